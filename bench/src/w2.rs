//! W2, one-to-one: P pairs, each sender streaming M messages to its peer, windowed (at most W
//! unacknowledged per sender) or at a fixed total rate. Measures delivered messages per second,
//! end-to-end latency (send to receipt, same clock), and checks that nothing was lost,
//! duplicated or reordered.
//!
//! Every pair connects first; the load starts when all are connected, so the connection storm
//! (W4's subject) is timed apart (`connect_s`) and not inside the message figures. At a fixed
//! rate the senders' schedules are spread evenly over one period (pair `i` starts `i / P` of a
//! period late) instead of all ticking together, and each message carries the time it was
//! *scheduled* for: a sender that falls behind counts its lag as latency (no coordinated
//! omission).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
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
    /// From the start of the load (every pair connected) to the last receipt.
    pub elapsed_s: f64,
    /// Connecting every pair's two sockets, before the load started.
    pub connect_s: f64,
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
    /// Latency by the second of the run a message was sent in: where in time the tail is
    /// (start-up, a periodic pause, a slow drift).
    pub by_second: Vec<SecondStats>,
    /// How late the senders sent, by second (open loop only: actual send time minus the slot).
    /// A late generator shows here, not as server latency.
    pub send_lag_by_second: Vec<SecondStats>,
}

/// The messages sent in one second of the run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SecondStats {
    /// Delivered.
    pub n: u64,
    /// Of those, slower than 20 ms.
    pub over_20ms: u64,
    /// Slower than 50 ms.
    pub over_50ms: u64,
    /// The slowest, µs.
    pub max_us: u64,
}

impl SecondStats {
    fn record(seconds: &mut Vec<SecondStats>, second: usize, latency_us: u64) {
        if seconds.len() <= second {
            seconds.resize(second + 1, SecondStats::default());
        }
        let s = &mut seconds[second];
        s.n += 1;
        s.over_20ms += u64::from(latency_us > 20_000);
        s.over_50ms += u64::from(latency_us > 50_000);
        s.max_us = s.max_us.max(latency_us);
    }

    fn add(seconds: &mut Vec<SecondStats>, other: &[SecondStats]) {
        if seconds.len() < other.len() {
            seconds.resize(other.len(), SecondStats::default());
        }
        for (s, o) in seconds.iter_mut().zip(other) {
            s.n += o.n;
            s.over_20ms += o.over_20ms;
            s.over_50ms += o.over_50ms;
            s.max_us = s.max_us.max(o.max_us);
        }
    }
}

/// `second: n/over 20 ms/over 50 ms/max ms`, one entry per second of the run.
pub fn by_second_summary(seconds: &[SecondStats]) -> String {
    let items: Vec<String> = seconds
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{i}: {}/{}/{}/{:.0}", s.n, s.over_20ms, s.over_50ms, s.max_us as f64 / 1000.0))
        .collect();
    items.join(", ")
}

struct PairResult {
    sent: u64,
    acked: u64,
    refused: u64,
    delivered: u64,
    duplicated: u64,
    reordered: u64,
    latency: hdrhistogram::Histogram<u64>,
    by_second: Vec<SecondStats>,
    send_lag: Vec<SecondStats>,
    last_receipt: Option<Instant>,
    /// The pair's sockets, held open until every pair is done: a pair that closed as soon as
    /// it finished would put a disconnect storm under the last second of the others.
    sockets: Box<dyn std::any::Any + Send>,
}

/// Runs W2.
pub async fn run(p: W2Params) -> anyhow::Result<W2Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.pairs > 0 && p.messages > 0, "need servers, pairs and messages");
    let devices = client::devices(&p.servers[0], &p.prefix, p.pairs * 2, 1, 32).await?;
    let per_sender_rate = if p.rate == 0 { 0.0 } else { p.rate as f64 / p.pairs as f64 };
    let connect_start = Instant::now();
    let deadline = connect_start + p.timeout;
    // Each pair adds a permit once connected (or failed); the load starts when all have.
    let connected = Arc::new(Semaphore::new(0));
    let (go, start_rx) = watch::channel(None::<LoadStart>);
    let mut tasks = Vec::with_capacity(p.pairs);
    // Only the sockets are kept until the end, not the pairs' histograms.
    let mut held_open = Vec::with_capacity(p.pairs);
    for i in 0..p.pairs {
        let sender = devices[2 * i].clone();
        let receiver = devices[2 * i + 1].clone();
        let send_server = p.servers[i % p.servers.len()].clone();
        let recv_server = p.servers[(i + 1) % p.servers.len()].clone();
        let (messages, window) = (p.messages, p.window.max(1));
        let load = Load {
            messages,
            window,
            rate: per_sender_rate,
            phase: i as f64 / p.pairs as f64,
            deadline,
            connected: connected.clone(),
            start: start_rx.clone(),
        };
        tasks.push(tokio::spawn(async move { pair(i, sender, receiver, &send_server, &recv_server, load).await }));
    }
    let pairs = u32::try_from(p.pairs).unwrap_or(u32::MAX);
    let all = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), connected.acquire_many(pairs)).await;
    anyhow::ensure!(matches!(all, Ok(Ok(_))), "not every pair connected before the deadline");
    let connect_s = connect_start.elapsed().as_secs_f64();
    let cpu_start = stats::own_cpu_secs();
    let machine_start = cpu::start(&p.server_pids);
    let start = Instant::now();
    let _ = go.send(Some(LoadStart { at: tokio::time::Instant::from_std(start), wall_us: stats::now_us() }));
    let mut latency = stats::histogram();
    let (mut by_second, mut send_lag) = (Vec::new(), Vec::new());
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
        SecondStats::add(&mut by_second, &r.by_second);
        SecondStats::add(&mut send_lag, &r.send_lag);
        last = last.max(r.last_receipt.unwrap_or(last));
        held_open.push(r.sockets);
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
        connect_s,
        delivered_per_s: delivered as f64 / elapsed,
        latency: Latency::of(&latency),
        client_cpu_pct: 100.0 * cpu / elapsed,
        target_rate: p.rate,
        window: p.window,
        refused,
        cpu: machine,
        by_second,
        send_lag_by_second: send_lag,
    })
}

/// When the load started: every pair was connected.
#[derive(Debug, Clone, Copy)]
struct LoadStart {
    at: tokio::time::Instant,
    wall_us: u64,
}

/// One pair's share of the load, and the run's start signal.
struct Load {
    messages: usize,
    window: usize,
    /// Messages per second for this sender; 0 means windowed.
    rate: f64,
    /// Where in one period this sender's schedule starts (0..1), so senders do not tick together.
    phase: f64,
    deadline: Instant,
    connected: Arc<Semaphore>,
    start: watch::Receiver<Option<LoadStart>>,
}

async fn pair(
    index: usize,
    sender: Device,
    receiver: Device,
    send_server: &str,
    recv_server: &str,
    mut load: Load,
) -> anyhow::Result<PairResult> {
    let source = u8::try_from(1 + index % 200).unwrap_or(1);
    let conv = client::direct(&sender.user_id, &receiver.user_id);
    let sockets = async {
        let rx_ws = client::connect(recv_server, &receiver.token, source).await?;
        let tx_ws = client::connect(send_server, &sender.token, source).await?;
        anyhow::Ok((rx_ws, tx_ws))
    }
    .await;
    // Allocated before the start (128 KiB each): a thousand of them allocated and zeroed in
    // the first second made the load generator itself late by up to 223 ms.
    let mut latency = stats::histogram();
    // Counted connected even on failure, so the run reports the error instead of waiting.
    load.connected.add_permits(1);
    let (rx_ws, tx_ws) = sockets?;
    let (messages, window, rate) = (load.messages, load.window, load.rate);
    let deadline = tokio::time::Instant::from_std(load.deadline);
    // The receiving and ack-reading tasks start before the load does, for the same reason.
    let start_seen = load.start.clone();

    // Sends the server refused: their messages will never arrive, so the receiver stops
    // waiting for them (checked whenever it has been idle for a moment).
    let refused_so_far = Arc::new(AtomicU64::new(0));
    let refused_seen = refused_so_far.clone();
    let receive = tokio::spawn(async move {
        let (rx_write, mut read) = rx_ws.split();
        // The start's time, read at the first message (nothing arrives before the start). Not
        // awaited up front: a thousand receivers waking at the start made the senders late.
        let mut start_us = None;
        let mut by_second = Vec::with_capacity(64);
        let (mut delivered, mut duplicated, mut reordered, mut max_seq) = (0u64, 0u64, 0u64, 0u64);
        let mut seen = std::collections::HashSet::with_capacity(messages);
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
            let took = stats::now_us().saturating_sub(sent_at).max(1);
            let _ = latency.record(took);
            let base = *start_us.get_or_insert_with(|| start_seen.borrow().map_or(0, |s| s.wall_us));
            let second = sent_at.saturating_sub(base) / 1_000_000;
            SecondStats::record(&mut by_second, usize::try_from(second).unwrap_or(0), took);
            last_receipt = Some(Instant::now());
        }
        (delivered, duplicated, reordered, latency, by_second, last_receipt, (rx_write, read))
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
            (acked, refused, read)
        })
    };
    let started = load.start.wait_for(Option::is_some).await.ok().and_then(|s| *s);
    let Some(started) = started else { anyhow::bail!("the run never started") };
    let period = (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate));
    let mut sent = 0u64;
    let mut send_lag = Vec::new();
    for i in 0..messages {
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        let stamp = match period {
            Some(period) => {
                // The i-th send's slot; a sender running late sends at once, stamped with the slot.
                let offset = period.mul_f64(load.phase + i as f64);
                tokio::time::sleep_until(started.at + offset).await;
                let late = (tokio::time::Instant::now() - (started.at + offset)).as_micros();
                let second = usize::try_from(offset.as_secs()).unwrap_or(0);
                SecondStats::record(&mut send_lag, second, u64::try_from(late).unwrap_or(u64::MAX).max(1));
                started.wall_us + u64::try_from(offset.as_micros()).unwrap_or(u64::MAX)
            }
            None => {
                let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, permits.acquire()).await else { break };
                permit.forget();
                stats::now_us()
            }
        };
        let frame = json!({"type": "send", "id": i.to_string(), "conv": conv, "client_msg_id": format!("b{i}"),
                           "kind": "custom", "body": {"t": stamp}});
        if write.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
        sent += 1;
    }
    let (acked, refused, tx_read) = acks.await?;
    // The receiver waits for every message; refused ones will never come.
    let (delivered, duplicated, reordered, latency, by_second, last_receipt, rx_halves) = receive.await?;
    let sockets = Box::new((write, tx_read, rx_halves));
    Ok(PairResult {
        sent,
        acked,
        refused,
        delivered,
        duplicated,
        reordered,
        latency,
        by_second,
        send_lag,
        last_receipt,
        sockets,
    })
}
