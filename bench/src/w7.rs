//! W7, offline push fan-out: one group of M members, all logged in with a registered push token
//! (half APNs, half FCM) and none connected but the sender, who sends N messages (windowed, or
//! at a fixed rate). Every message is one native push per member. Measures the pushes/s the
//! fake APNs and FCM servers accepted (`tidings-fake-push`'s `/stats`), and the sender's
//! send-to-ack latency, which push must not slow: run it once with `push.provider = native`
//! and once with `none` on the same machine, and compare the ack latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{self, Device};
use crate::cpu::{self, CpuShare};
use crate::stats::{self, Latency};

/// What to run.
#[derive(Debug, Clone)]
pub struct W7Params {
    /// The server (`http://127.0.0.1:port`).
    pub server: String,
    /// The fakes' `/stats` (empty: do not wait for pushes, as when push is off).
    pub stats_url: String,
    /// Group members, the sender included.
    pub members: usize,
    /// Messages the sender sends.
    pub messages: usize,
    /// Unacknowledged sends allowed.
    pub window: usize,
    /// Messages per second; 0: windowed, as fast as acks allow.
    pub rate: u64,
    /// Hard limit for the whole run.
    pub timeout: Duration,
    /// Usernames start with this (unique per run).
    pub prefix: String,
    /// Server processes whose CPU the report gives.
    pub server_pids: Vec<u32>,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W7Report {
    /// Always "w7".
    pub workload: &'static str,
    /// Group size.
    pub members: usize,
    /// Sends acknowledged.
    pub acked: u64,
    /// Pushes expected: every acked message to every member but the sender.
    pub expected_pushes: u64,
    /// Pushes the fakes accepted during the run.
    pub pushes: u64,
    /// From the first send to the last push accepted (or the last ack when not waiting).
    pub elapsed_s: f64,
    /// `pushes / elapsed_s`.
    pub pushes_per_s: f64,
    /// The sender's send-to-ack latency.
    pub ack_latency: Latency,
    /// The load generator's own CPU use (100 = one core).
    pub client_cpu_pct: f64,
    /// Where the machine's CPU went during the run (the fakes are a process of their own).
    pub cpu: CpuShare,
}

/// Pushes accepted by both fakes so far.
async fn accepted(http: &reqwest::Client, stats_url: &str) -> anyhow::Result<u64> {
    let v: Value = http.get(stats_url).send().await?.error_for_status()?.json().await?;
    Ok(v["apns"]["accepted"].as_u64().unwrap_or(0) + v["fcm"]["accepted"].as_u64().unwrap_or(0))
}

/// Registers a push token for each member but the sender: even members APNs, odd ones FCM.
async fn register_tokens(base: &str, devices: &[Device]) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    futures_util::stream::iter(devices.iter().enumerate().skip(1))
        .map(|(i, d)| {
            let http = http.clone();
            async move {
                let (platform, token) =
                    if i % 2 == 0 { ("apns", format!("{i:064x}")) } else { ("fcm", format!("bench-fcm-{i}")) };
                let resp = http
                    .put(format!("{base}/api/v1/me/devices/dev{i}/push"))
                    .bearer_auth(&d.token)
                    .json(&json!({"platform": platform, "token": token}))
                    .send()
                    .await?;
                anyhow::ensure!(resp.status().as_u16() == 204, "registering a push token: {}", resp.status());
                Ok(())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Runs W7.
pub async fn run(p: W7Params) -> anyhow::Result<W7Report> {
    crate::check_loopback(&p.server)?;
    if !p.stats_url.is_empty() {
        crate::check_loopback(&p.stats_url)?;
    }
    anyhow::ensure!(p.members >= 2 && p.messages > 0, "need at least 2 members and a message");
    let devices = client::devices(&p.server, &p.prefix, p.members, 1, 32).await?;
    register_tokens(&p.server, &devices).await?;
    let conv = crate::w3::create_group(&p.server, &devices).await?;
    let sender = devices.first().ok_or_else(|| anyhow!("no devices"))?;
    let ws = client::connect(&p.server, &sender.token, 1).await?;
    let http = reqwest::Client::new();
    let before = if p.stats_url.is_empty() { 0 } else { accepted(&http, &p.stats_url).await? };

    let deadline = tokio::time::Instant::now() + p.timeout;
    let machine_start = cpu::start(&p.server_pids);
    let cpu_start = stats::own_cpu_secs();
    let start = Instant::now();
    let (mut write, mut read) = ws.split();
    let permits = Arc::new(Semaphore::new(p.window.max(1)));
    let (messages, rate, window_permits) = (p.messages, p.rate, permits.clone());
    let sending = tokio::spawn(async move {
        let gap = (rate > 0).then(|| Duration::from_secs_f64(1.0 / rate as f64));
        for i in 0..messages {
            if let Some(gap) = gap {
                tokio::time::sleep_until((start + gap * u32::try_from(i).unwrap_or(u32::MAX)).into()).await;
            } else {
                let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, window_permits.acquire()).await else { break };
                permit.forget();
            }
            let frame = json!({"type": "send", "id": stats::now_us().to_string(), "conv": conv,
                               "client_msg_id": format!("w7-{i}"), "kind": "text", "body": {"text": format!("push {i}")}});
            if write.send(Message::text(frame.to_string())).await.is_err() {
                break;
            }
        }
        write
    });
    let mut ack_latency = stats::histogram();
    let mut acked = 0u64;
    while acked < p.messages as u64 {
        let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, read.next()).await else { break };
        let Ok(text) = frame.to_text() else { continue };
        let Ok(v) = serde_json::from_str::<Value>(text) else { continue };
        if v["type"] == "ack" {
            let sent_us: u64 = v["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
            ack_latency.record(stats::now_us().saturating_sub(sent_us).max(1))?;
            acked += 1;
            permits.add_permits(1);
        }
    }
    let _write = sending.await.context("the sending task")?;
    let expected_pushes = acked * (p.members as u64 - 1);
    let (mut pushes, mut last) = (0, Instant::now());
    if !p.stats_url.is_empty() {
        while tokio::time::Instant::now() < deadline {
            let now = accepted(&http, &p.stats_url).await? - before;
            if now > pushes {
                (pushes, last) = (now, Instant::now());
            }
            if pushes >= expected_pushes || last.elapsed() > Duration::from_secs(5) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let elapsed = last.duration_since(start).as_secs_f64().max(1e-9);
    let cpu = stats::own_cpu_secs() - cpu_start;
    Ok(W7Report {
        workload: "w7",
        members: p.members,
        acked,
        expected_pushes,
        pushes,
        elapsed_s: elapsed,
        pushes_per_s: pushes as f64 / elapsed,
        ack_latency: Latency::of(&ack_latency),
        client_cpu_pct: 100.0 * cpu / elapsed,
        cpu: machine_start.share_until_now(),
    })
}
