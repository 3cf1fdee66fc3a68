//! W2, one-to-one: P pairs, each sender streaming M messages to its peer, windowed (at most W
//! unacknowledged per sender) or at a fixed total rate. Measures delivered messages per second,
//! end-to-end latency (send to receipt, same clock), and checks that nothing was lost,
//! duplicated or reordered.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
pub struct W2Params {
    /// Servers (`http://127.0.0.1:port`); pairs alternate so sender and receiver sit on
    /// different instances when there are several.
    pub servers: Vec<String>,
    /// Sender/receiver pairs.
    pub pairs: usize,
    /// Messages each sender sends.
    pub messages: usize,
    /// Unacknowledged sends allowed per sender (windowed mode).
    pub window: usize,
    /// Total messages per second over all senders; 0 means windowed, as fast as acks allow.
    pub rate: u64,
    /// Hard limit for the whole run.
    pub timeout: Duration,
    /// Usernames start with this (unique per run).
    pub prefix: String,
    /// Server processes whose CPU the report gives (empty: every local process named `tidings`).
    pub server_pids: Vec<u32>,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W2Report {
    /// Always "w2".
    pub workload: &'static str,
    /// Pairs.
    pub pairs: usize,
    /// Sends issued.
    pub sent: u64,
    /// Sends acknowledged (persisted).
    pub acked: u64,
    /// Distinct messages received by the peers.
    pub delivered: u64,
    /// Acked but never received.
    pub lost: u64,
    /// Received more than once.
    pub duplicated: u64,
    /// Received after a higher seq of the same conversation.
    pub reordered: u64,
    /// From the first send to the last receipt.
    pub elapsed_s: f64,
    /// `delivered / elapsed_s`.
    pub delivered_per_s: f64,
    /// Send-to-receipt latency.
    pub latency: Latency,
    /// The load generator's own CPU use over the run (100 = one core).
    pub client_cpu_pct: f64,
    /// Target rate (0 = windowed).
    pub target_rate: u64,
    /// Unacknowledged sends allowed per sender (windowed mode).
    pub window: usize,
    /// Sends answered with an `error` frame (`busy` and the like) instead of an ack.
    pub refused: u64,
    /// Where the machine's CPU went from the first send to the last receipt.
    pub cpu: CpuShare,
}

struct PairResult {
    sent: u64,
    acked: u64,
    refused: u64,
    delivered: u64,
    duplicated: u64,
    reordered: u64,
    latency: hdrhistogram::Histogram<u64>,
    last_receipt: Option<Instant>,
}

/// Runs W2.
pub async fn run(p: W2Params) -> anyhow::Result<W2Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.pairs > 0 && p.messages > 0, "need servers, pairs and messages");
    let devices = client::devices(&p.servers[0], &p.prefix, p.pairs * 2, 1, 32).await?;
    let per_sender_rate = if p.rate == 0 { 0.0 } else { p.rate as f64 / p.pairs as f64 };
    let cpu_start = stats::own_cpu_secs();
    let machine_start = cpu::start(&p.server_pids);
    let start = Instant::now();
    let deadline = start + p.timeout;
    let mut tasks = Vec::with_capacity(p.pairs);
    for i in 0..p.pairs {
        let sender = devices[2 * i].clone();
        let receiver = devices[2 * i + 1].clone();
        let send_server = p.servers[i % p.servers.len()].clone();
        let recv_server = p.servers[(i + 1) % p.servers.len()].clone();
        let (messages, window) = (p.messages, p.window.max(1));
        tasks.push(tokio::spawn(async move {
            pair(i, sender, receiver, &send_server, &recv_server, messages, window, per_sender_rate, deadline).await
        }));
    }
    let mut latency = stats::histogram();
    let (mut sent, mut acked, mut refused, mut delivered, mut duplicated, mut reordered) = (0, 0, 0, 0, 0, 0);
    let mut last = start;
    for t in tasks {
        let r = t.await??;
        sent += r.sent;
        acked += r.acked;
        refused += r.refused;
        delivered += r.delivered;
        duplicated += r.duplicated;
        reordered += r.reordered;
        latency.add(&r.latency)?;
        last = last.max(r.last_receipt.unwrap_or(last));
    }
    let elapsed = last.duration_since(start).as_secs_f64().max(1e-9);
    let cpu = stats::own_cpu_secs() - cpu_start;
    let machine = machine_start.share_until_now();
    Ok(W2Report {
        workload: "w2",
        pairs: p.pairs,
        sent,
        acked,
        delivered,
        lost: acked.saturating_sub(delivered),
        duplicated,
        reordered,
        elapsed_s: elapsed,
        delivered_per_s: delivered as f64 / elapsed,
        latency: Latency::of(&latency),
        client_cpu_pct: 100.0 * cpu / elapsed,
        target_rate: p.rate,
        window: p.window,
        refused,
        cpu: machine,
    })
}

#[allow(clippy::too_many_arguments)]
async fn pair(
    index: usize,
    sender: Device,
    receiver: Device,
    send_server: &str,
    recv_server: &str,
    messages: usize,
    window: usize,
    rate: f64,
    deadline: Instant,
) -> anyhow::Result<PairResult> {
    let source = u8::try_from(1 + index % 200).unwrap_or(1);
    let conv = client::direct(&sender.user_id, &receiver.user_id);
    let rx_ws = client::connect(recv_server, &receiver.token, source).await?;
    let tx_ws = client::connect(send_server, &sender.token, source).await?;
    let deadline = tokio::time::Instant::from_std(deadline);

    // Sends the server refused: their messages will never arrive, so the receiver stops
    // waiting for them (checked whenever it has been idle for a moment).
    let refused_so_far = Arc::new(AtomicU64::new(0));
    let refused_seen = refused_so_far.clone();
    let receive = tokio::spawn(async move {
        let (_, mut read) = rx_ws.split();
        let mut latency = stats::histogram();
        let (mut delivered, mut duplicated, mut reordered, mut max_seq) = (0u64, 0u64, 0u64, 0u64);
        let mut seen = std::collections::HashSet::new();
        let mut last_receipt = None;
        while delivered + refused_seen.load(Ordering::Relaxed) < messages as u64 {
            let wait = deadline.min(tokio::time::Instant::now() + Duration::from_millis(200));
            let msg = match tokio::time::timeout_at(wait, read.next()).await {
                Ok(Some(Ok(msg))) => msg,
                Err(_) if wait < deadline => continue,
                _ => break,
            };
            let Message::Text(text) = msg else { continue };
            let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            if frame["type"] != "msg" {
                continue;
            }
            let m = &frame["message"];
            let seq = m["seq"].as_u64().unwrap_or(0);
            if !seen.insert(seq) {
                duplicated += 1;
                continue;
            }
            if seq < max_seq {
                reordered += 1;
            }
            max_seq = max_seq.max(seq);
            delivered += 1;
            let sent_at = m["body"]["t"].as_u64().unwrap_or(0);
            let _ = latency.record(stats::now_us().saturating_sub(sent_at).max(1));
            last_receipt = Some(Instant::now());
        }
        (delivered, duplicated, reordered, latency, last_receipt)
    });

    let (mut write, mut read) = tx_ws.split();
    let permits = Arc::new(Semaphore::new(if rate > 0.0 { messages } else { window }));
    let acks = {
        let permits = permits.clone();
        tokio::spawn(async move {
            let (mut acked, mut refused) = (0u64, 0u64);
            while acked + refused < messages as u64 {
                let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, read.next()).await else { break };
                let Message::Text(text) = msg else { continue };
                if text.as_str().contains("\"type\":\"ack\"") {
                    acked += 1;
                    permits.add_permits(1);
                } else if text.as_str().contains("\"type\":\"error\"") {
                    // A refused send (`busy`): counted, not retried; the window moves on.
                    refused += 1;
                    refused_so_far.fetch_add(1, Ordering::Relaxed);
                    permits.add_permits(1);
                }
            }
            (acked, refused)
        })
    };
    let mut ticker = (rate > 0.0).then(|| tokio::time::interval(Duration::from_secs_f64(1.0 / rate)));
    let mut sent = 0u64;
    for i in 0..messages {
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        match ticker.as_mut() {
            Some(t) => {
                t.tick().await;
            }
            None => {
                let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, permits.acquire()).await else { break };
                permit.forget();
            }
        }
        let frame = json!({"type": "send", "id": i.to_string(), "conv": conv, "client_msg_id": format!("b{i}"),
                           "kind": "custom", "body": {"t": stats::now_us()}});
        if write.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
        sent += 1;
    }
    let (acked, refused) = acks.await?;
    // The receiver waits for every message; refused ones will never come.
    let (delivered, duplicated, reordered, latency, last_receipt) = receive.await?;
    let _ = write.close().await;
    Ok(PairResult { sent, acked, refused, delivered, duplicated, reordered, latency, last_receipt })
}
