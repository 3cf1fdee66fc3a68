//! W5, a day in compressed time: many connected users, most of them idle; a steady trickle of
//! direct and group messages with bursts on top; groups of several sizes; recipients marking
//! some messages read; senders recalling some of theirs. Checks that every acked message reached
//! every other member of its conversation once and in order, and reports latency and rates.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{self, Device};
use crate::cpu::{self, CpuShare};
use crate::stats::{self, Latency};

/// What to run.
#[derive(Debug, Clone)]
pub struct W5Params {
    /// Servers (`http://127.0.0.1:port`); users are spread over them.
    pub servers: Vec<String>,
    /// Connected users (one device each).
    pub users: usize,
    /// Group sizes; members are drawn from the users (the server's `groups.max_members` must
    /// allow the largest).
    pub group_sizes: Vec<usize>,
    /// How long the day lasts, compressed.
    pub duration: Duration,
    /// Messages per second outside bursts.
    pub rate: u64,
    /// A one-second burst every this many seconds…
    pub burst_every: Duration,
    /// …at this multiple of the rate.
    pub burst_factor: u64,
    /// Share of received messages the recipient marks read (percent).
    pub read_pct: u64,
    /// Share of acked sends their sender recalls (percent).
    pub recall_pct: u64,
    /// Hard limit for the whole run.
    pub timeout: Duration,
    /// Usernames start with this (unique per run).
    pub prefix: String,
    /// Server processes whose CPU the report gives (empty: every local process named `tidings`).
    pub server_pids: Vec<u32>,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W5Report {
    /// Always "w5".
    pub workload: &'static str,
    /// Connected users.
    pub users: usize,
    /// Groups and their sizes.
    pub group_sizes: Vec<usize>,
    /// Messages sent.
    pub sent: u64,
    /// Messages acked (persisted).
    pub acked: u64,
    /// Of which to groups.
    pub acked_group: u64,
    /// Deliveries expected: each acked message to every other member of its conversation.
    pub expected: u64,
    /// Distinct deliveries received.
    pub delivered: u64,
    /// Expected but never received.
    pub lost: u64,
    /// Received more than once.
    pub duplicated: u64,
    /// Received after a higher seq of the same conversation.
    pub reordered: u64,
    /// `read` frames sent.
    pub reads: u64,
    /// `recall` frames sent, and how many were acked.
    pub recalls: u64,
    /// Recalls acked.
    pub recalls_acked: u64,
    /// `error` frames received (none are expected).
    pub errors: u64,
    /// Those errors by code.
    pub error_codes: std::collections::BTreeMap<String, u64>,
    /// From the first send to the last receipt.
    pub elapsed_s: f64,
    /// `acked / elapsed_s`.
    pub messages_per_s: f64,
    /// `delivered / elapsed_s`.
    pub deliveries_per_s: f64,
    /// Send-to-receipt latency over all deliveries.
    pub latency: Latency,
    /// The load generator's own CPU use over the run (100 = one core).
    pub client_cpu_pct: f64,
    /// Where the machine's CPU went during the measured part of the run.
    pub cpu: CpuShare,
}

/// A small deterministic generator: the same parameters give the same day.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }

    fn percent(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

/// Counters every reader adds to.
#[derive(Default)]
struct Tally {
    acked: AtomicU64,
    acked_group: AtomicU64,
    expected: AtomicU64,
    delivered: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    reads: AtomicU64,
    recalls: AtomicU64,
    recalls_acked: AtomicU64,
    errors: AtomicU64,
    last_receipt_us: AtomicU64,
}

/// What a reader needs to know about the day.
struct Shared {
    tally: Tally,
    /// Other members of each group conversation (fan-out of one message).
    fanout: HashMap<String, u64>,
    latency: Mutex<hdrhistogram::Histogram<u64>>,
    error_codes: Mutex<std::collections::BTreeMap<String, u64>>,
    read_pct: u64,
    recall_pct: u64,
}

/// Runs W5.
pub async fn run(p: W5Params) -> anyhow::Result<W5Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.users >= 2, "need servers and at least 2 users");
    anyhow::ensure!(p.group_sizes.iter().all(|g| (2..=p.users).contains(g)), "group sizes must be 2..=users");
    anyhow::ensure!(p.rate > 0 && !p.duration.is_zero(), "need a rate and a duration");
    let devices = client::devices(&p.servers[0], &p.prefix, p.users, 1, 32).await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // Groups of the given sizes, members drawn at random; each user knows their groups.
    let mut groups_of: Vec<Vec<String>> = vec![Vec::new(); p.users];
    let mut fanout = HashMap::new();
    for &size in &p.group_sizes {
        let mut members: Vec<usize> = Vec::with_capacity(size);
        let mut chosen = HashSet::new();
        while members.len() < size {
            let u = rng.below(p.users);
            if chosen.insert(u) {
                members.push(u);
            }
        }
        let conv = create_group(&p.servers[0], &devices, &members).await?;
        for &m in &members {
            groups_of[m].push(conv.clone());
        }
        fanout.insert(conv, size as u64 - 1);
    }
    let shared = Arc::new(Shared {
        tally: Tally::default(),
        fanout,
        latency: Mutex::new(stats::histogram()),
        error_codes: Mutex::new(std::collections::BTreeMap::new()),
        read_pct: p.read_pct,
        recall_pct: p.recall_pct,
    });

    // Everyone online: one writer task and one reader task per user.
    let deadline = tokio::time::Instant::now() + p.timeout;
    let mut outboxes = Vec::with_capacity(p.users);
    let mut tasks = Vec::with_capacity(p.users * 2);
    for (i, d) in devices.iter().enumerate() {
        let source = u8::try_from(1 + i % 200).unwrap_or(1);
        let ws = client::connect(&p.servers[i % p.servers.len()], &d.token, source).await?;
        let (write, read) = ws.split();
        let (tx, rx) = mpsc::unbounded_channel::<String>();
        tasks.push(tokio::spawn(write_loop(write, rx, deadline)));
        tasks.push(tokio::spawn(read_loop(read, tx.clone(), shared.clone(), deadline, i as u64)));
        outboxes.push(tx);
    }

    // The day: a steady rate with bursts, ticks of 20 ms.
    let machine_start = cpu::start(&p.server_pids);
    let cpu_start = stats::own_cpu_secs();
    let start = Instant::now();
    let tick = Duration::from_millis(20);
    let mut interval = tokio::time::interval(tick);
    let mut sent = 0u64;
    let mut owed = 0.0f64;
    while start.elapsed() < p.duration && tokio::time::Instant::now() < deadline {
        interval.tick().await;
        let secs = start.elapsed().as_secs();
        let bursting =
            !p.burst_every.is_zero() && secs % p.burst_every.as_secs().max(1) == p.burst_every.as_secs().max(1) - 1;
        let rate = if bursting { p.rate * p.burst_factor.max(1) } else { p.rate };
        owed += rate as f64 * tick.as_secs_f64();
        while owed >= 1.0 {
            owed -= 1.0;
            let from = rng.below(p.users);
            let conv = if !groups_of[from].is_empty() && rng.percent(50) {
                groups_of[from][rng.below(groups_of[from].len())].clone()
            } else {
                let mut to = rng.below(p.users - 1);
                if to >= from {
                    to += 1;
                }
                client::direct(&devices[from].user_id, &devices[to].user_id)
            };
            let frame = json!({"type": "send", "id": format!("s{sent}"), "conv": conv,
                               "client_msg_id": format!("w5-{sent}"), "kind": "custom", "body": {"t": stats::now_us()}});
            if outboxes[from].send(frame.to_string()).is_ok() {
                sent += 1;
            }
        }
    }

    // Let the last replies and deliveries arrive (bounded), then stop everything. Recalls are
    // sent in answer to acks, so the last ones may still be on their way when every send is in.
    let t = &shared.tally;
    let settle = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < settle.min(deadline) {
        let answered = t.acked.load(Ordering::Relaxed)
            + t.recalls_acked.load(Ordering::Relaxed)
            + t.errors.load(Ordering::Relaxed);
        let asked = sent + t.recalls.load(Ordering::Relaxed);
        if answered >= asked && t.delivered.load(Ordering::Relaxed) >= t.expected.load(Ordering::Relaxed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(outboxes);
    for task in &tasks {
        task.abort();
    }
    let cpu = stats::own_cpu_secs() - cpu_start;
    let machine = machine_start.share_until_now();
    let last_us = t.last_receipt_us.load(Ordering::Relaxed);
    let start_us = stats::now_us().saturating_sub(u64::try_from(start.elapsed().as_micros()).unwrap_or(0));
    let elapsed = (last_us.saturating_sub(start_us) as f64 / 1e6).max(1e-9);
    let latency = shared.latency.lock().map_err(|_| anyhow!("latency lock poisoned"))?.clone();
    let (acked, expected, delivered) =
        (t.acked.load(Ordering::Relaxed), t.expected.load(Ordering::Relaxed), t.delivered.load(Ordering::Relaxed));
    Ok(W5Report {
        workload: "w5",
        users: p.users,
        group_sizes: p.group_sizes.clone(),
        sent,
        acked,
        acked_group: t.acked_group.load(Ordering::Relaxed),
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        duplicated: t.duplicated.load(Ordering::Relaxed),
        reordered: t.reordered.load(Ordering::Relaxed),
        reads: t.reads.load(Ordering::Relaxed),
        recalls: t.recalls.load(Ordering::Relaxed),
        recalls_acked: t.recalls_acked.load(Ordering::Relaxed),
        errors: t.errors.load(Ordering::Relaxed),
        error_codes: shared.error_codes.lock().map_err(|_| anyhow!("error tally poisoned"))?.clone(),
        elapsed_s: elapsed,
        messages_per_s: acked as f64 / elapsed,
        deliveries_per_s: delivered as f64 / elapsed,
        latency: Latency::of(&latency),
        client_cpu_pct: 100.0 * cpu / elapsed,
        cpu: machine,
    })
}

/// `owner` = the first member creates the group with the others.
async fn create_group(base: &str, devices: &[Device], members: &[usize]) -> anyhow::Result<String> {
    let (owner, others) = members.split_first().ok_or_else(|| anyhow!("empty group"))?;
    let ids: Vec<&str> = others.iter().map(|&m| devices[m].user_id.as_str()).collect();
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/groups"))
        .bearer_auth(&devices[*owner].token)
        .json(&json!({"name": format!("w5-{}", members.len()), "members": ids}))
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "creating a group: {status} {body} (raise groups.max_members?)");
    body["conv"].as_str().map(str::to_owned).context("no conv in the group answer")
}

type WsRead = futures_util::stream::SplitStream<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>>;
type WsWrite = futures_util::stream::SplitSink<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, Message>;

/// Writes whatever the scheduler and the reader queue for this user.
async fn write_loop(mut write: WsWrite, mut rx: mpsc::UnboundedReceiver<String>, deadline: tokio::time::Instant) {
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if write.send(Message::text(frame)).await.is_err() {
            break;
        }
    }
}

/// Reads one user's socket: acks of their sends (and recalls), messages of others (checked for
/// duplicates and order per conversation), some marked read, some own messages recalled.
async fn read_loop(
    mut read: WsRead,
    outbox: mpsc::UnboundedSender<String>,
    shared: Arc<Shared>,
    deadline: tokio::time::Instant,
    seed: u64,
) {
    let t = &shared.tally;
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let mut seen: HashMap<String, (u64, HashSet<u64>)> = HashMap::new();
    let mut recalls = 0u64;
    while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, read.next()).await {
        let Message::Text(text) = msg else { continue };
        let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        match frame["type"].as_str() {
            Some("ack") if frame["id"].as_str().is_some_and(|id| id.starts_with('r')) => {
                t.recalls_acked.fetch_add(1, Ordering::Relaxed);
            }
            Some("ack") => {
                let conv = frame["conv"].as_str().unwrap_or_default();
                let fan = shared.fanout.get(conv).copied();
                t.acked.fetch_add(1, Ordering::Relaxed);
                if fan.is_some() {
                    t.acked_group.fetch_add(1, Ordering::Relaxed);
                }
                t.expected.fetch_add(fan.unwrap_or(1), Ordering::Relaxed);
                if rng.percent(shared.recall_pct) {
                    let seq = frame["seq"].as_u64().unwrap_or(0);
                    let recall = json!({"type": "recall", "id": format!("r{recalls}"), "conv": conv, "seq": seq});
                    recalls += 1;
                    if outbox.send(recall.to_string()).is_ok() {
                        t.recalls.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Some("msg") if frame["message"]["kind"] == "custom" => {
                let m = &frame["message"];
                let conv = m["conv"].as_str().unwrap_or_default().to_owned();
                let seq = m["seq"].as_u64().unwrap_or(0);
                let (max_seq, got) = seen.entry(conv.clone()).or_default();
                if !got.insert(seq) {
                    t.duplicated.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if seq < *max_seq {
                    t.reordered.fetch_add(1, Ordering::Relaxed);
                }
                *max_seq = (*max_seq).max(seq);
                t.delivered.fetch_add(1, Ordering::Relaxed);
                let now = stats::now_us();
                t.last_receipt_us.fetch_max(now, Ordering::Relaxed);
                let sent_at = m["body"]["t"].as_u64().unwrap_or(now);
                if let Ok(mut h) = shared.latency.lock() {
                    let _ = h.record(now.saturating_sub(sent_at).max(1));
                }
                if rng.percent(shared.read_pct) {
                    let read = json!({"type": "read", "conv": conv, "seq": seq});
                    if outbox.send(read.to_string()).is_ok() {
                        t.reads.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Some("error") => {
                t.errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut codes) = shared.error_codes.lock() {
                    *codes.entry(frame["code"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
                }
            }
            _ => {}
        }
    }
}
