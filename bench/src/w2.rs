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
//!
//! With `edit_pct` / `react_pct`, that share of the messages also gets an `edit` from its sender
//! and a `react` from its receiver, over the same sockets (`w2/actions.rs`): reported apart, never
//! counted as messages, so the message figures stay comparable to a run without them.

mod actions;
mod pair;
mod seconds;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{Semaphore, watch};

pub use actions::ActionReport;
pub use seconds::{SecondStats, by_second_summary};

use crate::client;
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
    /// Percent (0..=100) of messages their sender edits once acked; those are sent as `text`
    /// (only text can be edited), the others as `custom`.
    pub edit_pct: u64,
    /// Percent (0..=100) of messages their receiver reacts to once received.
    pub react_pct: u64,
    /// Every message a `text` with words after its stamp (what search indexes).
    pub text: bool,
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
    /// Percent of messages edited by their sender.
    pub edit_pct: u64,
    /// Percent of messages reacted to by their receiver.
    pub react_pct: u64,
    /// The senders' `edit` frames: not messages, in none of the figures above.
    pub edits: ActionReport,
    /// The receivers' `react` frames: not messages, in none of the figures above.
    pub reactions: ActionReport,
}

/// Runs W2.
pub async fn run(p: W2Params) -> anyhow::Result<W2Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.pairs > 0 && p.messages > 0, "need servers, pairs and messages");
    anyhow::ensure!(p.edit_pct <= 100 && p.react_pct <= 100, "edit and react percentages are 0 to 100");
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
            edit_pct: p.edit_pct,
            react_pct: p.react_pct,
            text: p.text,
        };
        tasks
            .push(tokio::spawn(async move { pair::pair(i, sender, receiver, &send_server, &recv_server, load).await }));
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
    let (mut edits, mut reactions) = (actions::Tally::new(p.edit_pct > 0), actions::Tally::new(p.react_pct > 0));
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
        edits.add(&r.edits)?;
        reactions.add(&r.reactions)?;
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
        edit_pct: p.edit_pct,
        react_pct: p.react_pct,
        edits: edits.report(),
        reactions: reactions.report(),
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
    /// Percent of messages to edit once acked.
    edit_pct: u64,
    /// Percent of messages to react to once received.
    react_pct: u64,
    /// Every message a `text` with words.
    text: bool,
}
