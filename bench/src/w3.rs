//! W3, group fan-out: one group of G online members, S of them sending M messages each
//! (windowed). Measures deliveries per second (each message reaches G - 1 members), end-to-end
//! latency, and checks that every member got every message once, in order.

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
pub struct W3Params {
    /// Servers (`http://127.0.0.1:port`); members are spread over them.
    pub servers: Vec<String>,
    /// Group members, all online (the server's `groups.max_members` must allow them).
    pub members: usize,
    /// Members who send.
    pub senders: usize,
    /// Messages each sender sends.
    pub messages: usize,
    /// Unacknowledged sends allowed per sender.
    pub window: usize,
    /// Hard limit for the whole run.
    pub timeout: Duration,
    /// Usernames start with this (unique per run).
    pub prefix: String,
    /// Server processes whose CPU the report gives (empty: every local process named `tidings`).
    pub server_pids: Vec<u32>,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W3Report {
    /// Always "w3".
    pub workload: &'static str,
    /// Group size.
    pub members: usize,
    /// Sending members.
    pub senders: usize,
    /// Sends acknowledged (persisted).
    pub acked: u64,
    /// Deliveries expected: every acked message to every member but its sender.
    pub expected: u64,
    /// Distinct (member, message) deliveries received.
    pub delivered: u64,
    /// Expected but never received.
    pub lost: u64,
    /// Received more than once.
    pub duplicated: u64,
    /// Received after a higher seq.
    pub reordered: u64,
    /// From the first send to the last receipt.
    pub elapsed_s: f64,
    /// `delivered / elapsed_s`.
    pub deliveries_per_s: f64,
    /// Send-to-receipt latency over all deliveries.
    pub latency: Latency,
    /// The load generator's own CPU use over the run (100 = one core).
    pub client_cpu_pct: f64,
    /// Where the machine's CPU went during the measured part of the run.
    pub cpu: CpuShare,
}

struct Received {
    delivered: u64,
    duplicated: u64,
    reordered: u64,
    latency: hdrhistogram::Histogram<u64>,
    last_receipt: Option<Instant>,
}

/// Runs W3.
pub async fn run(p: W3Params) -> anyhow::Result<W3Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.members >= 2, "need servers and at least 2 members");
    anyhow::ensure!(p.senders >= 1 && p.senders <= p.members && p.messages > 0, "need 1..=members senders");
    let devices = client::devices(&p.servers[0], &p.prefix, p.members, 1, 32).await?;
    let conv = create_group(&p.servers[0], &devices).await?;

    // Everyone online first; each receiver expects every message of the others.
    let total = (p.senders * p.messages) as u64;
    let deadline = tokio::time::Instant::now() + p.timeout;
    let mut sockets = Vec::with_capacity(p.members);
    for (i, d) in devices.iter().enumerate() {
        let source = u8::try_from(1 + i % 200).unwrap_or(1);
        sockets.push(client::connect(&p.servers[i % p.servers.len()], &d.token, source).await?);
    }
    let machine_start = cpu::start(&p.server_pids);
    let cpu_start = stats::own_cpu_secs();
    let start = Instant::now();
    let mut receivers = Vec::with_capacity(p.members);
    let mut senders = Vec::with_capacity(p.senders);
    for (i, ws) in sockets.into_iter().enumerate() {
        let (write, read) = ws.split();
        let own = if i < p.senders { p.messages as u64 } else { 0 };
        let permits = Arc::new(Semaphore::new(p.window.max(1)));
        receivers.push(tokio::spawn(receive(read, total - own, own, permits.clone(), deadline)));
        if i < p.senders {
            senders.push(tokio::spawn(send(write, conv.clone(), i, p.messages, permits, deadline)));
        }
    }
    let mut open_writers = Vec::with_capacity(senders.len());
    for s in senders {
        open_writers.push(s.await?);
    }
    let mut latency = stats::histogram();
    let (mut delivered, mut duplicated, mut reordered, mut acked) = (0, 0, 0, 0);
    let mut last = start;
    for r in receivers {
        let (got, acks) = r.await?;
        delivered += got.delivered;
        duplicated += got.duplicated;
        reordered += got.reordered;
        acked += acks;
        latency.add(&got.latency)?;
        last = last.max(got.last_receipt.unwrap_or(last));
    }
    drop(open_writers);
    let expected = acked * (p.members as u64 - 1);
    let elapsed = last.duration_since(start).as_secs_f64().max(1e-9);
    let cpu = stats::own_cpu_secs() - cpu_start;
    let machine = machine_start.share_until_now();
    Ok(W3Report {
        workload: "w3",
        members: p.members,
        senders: p.senders,
        acked,
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        duplicated,
        reordered,
        elapsed_s: elapsed,
        deliveries_per_s: delivered as f64 / elapsed,
        latency: Latency::of(&latency),
        client_cpu_pct: 100.0 * cpu / elapsed,
        cpu: machine,
    })
}

/// The first device creates the group with everyone else in it; returns its conversation id.
pub(crate) async fn create_group(base: &str, devices: &[Device]) -> anyhow::Result<String> {
    let (owner, others) = devices.split_first().ok_or_else(|| anyhow!("no devices"))?;
    let members: Vec<&str> = others.iter().map(|d| d.user_id.as_str()).collect();
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/groups"))
        .bearer_auth(&owner.token)
        .json(&json!({"name": "bench", "members": members}))
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "creating the group: {status} {body} (raise groups.max_members?)");
    body["conv"].as_str().map(str::to_owned).context("no conv in the group answer")
}

type WsRead = futures_util::stream::SplitStream<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>>;
type WsWrite = futures_util::stream::SplitSink<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, Message>;

/// Reads one member's socket: counts the chat messages of others (`want` of them) and the acks
/// of its own sends (`own`), releasing a window permit per ack.
async fn receive(
    mut read: WsRead,
    want: u64,
    own: u64,
    permits: Arc<Semaphore>,
    deadline: tokio::time::Instant,
) -> (Received, u64) {
    let mut latency = stats::histogram();
    let (mut delivered, mut duplicated, mut reordered, mut max_seq, mut acks) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut seen = std::collections::HashSet::new();
    let mut last_receipt = None;
    while delivered < want || acks < own {
        let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, read.next()).await else { break };
        let Message::Text(text) = msg else { continue };
        let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        match frame["type"].as_str() {
            Some("ack") => {
                acks += 1;
                permits.add_permits(1);
            }
            Some("msg") if frame["message"]["kind"] == "custom" => {
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
            _ => {}
        }
    }
    (Received { delivered, duplicated, reordered, latency, last_receipt }, acks)
}

/// One sender: `messages` sends, at most the window unacknowledged. Returns the write half so
/// the socket stays open until the run ends.
async fn send(
    mut write: WsWrite,
    conv: String,
    index: usize,
    messages: usize,
    permits: Arc<Semaphore>,
    deadline: tokio::time::Instant,
) -> (u64, WsWrite) {
    let mut sent = 0u64;
    for i in 0..messages {
        let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, permits.acquire()).await else { break };
        permit.forget();
        let frame = json!({"type": "send", "id": i.to_string(), "conv": conv,
                           "client_msg_id": format!("w3-{index}-{i}"), "kind": "custom", "body": {"t": stats::now_us()}});
        if write.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
        sent += 1;
    }
    (sent, write)
}
