//! W1, connections: N authenticated idle connections that answer the server's pings. Measures
//! the connect rate, the server's resident memory per connection (from /proc of its pid), the
//! load generator's own, and where the CPU went while the connections were held. Optionally,
//! while holding, messages to randomly chosen connected users and their delivery latency
//! (`w1/deliveries.rs`).
//!
//! Each connection is read from the moment it opens (a connection that waited for the others
//! unread would miss the server's pings and be closed as idle). Several generator processes can
//! line up their holds with a ready file and a go file (`bench/million.sh` does).

mod cli;
mod deliveries;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use cli::W1Args;
pub use deliveries::{DeliveryParams, DeliveryReport, Tracker};

use crate::client;
use crate::cpu::{self, CpuShare};
use crate::stats;

/// What to run.
#[derive(Debug, Clone)]
pub struct W1Params {
    /// Servers; connections are spread over them round-robin.
    pub servers: Vec<String>,
    /// Server process ids, for memory readings (one per server, same order), if known.
    pub server_pids: Vec<u32>,
    /// Connections to open.
    pub connections: usize,
    /// Devices per user (each connection is one device login).
    pub devices_per_user: usize,
    /// How long to hold the connections open after the last one connected (or after the go
    /// file appeared).
    pub hold: Duration,
    /// Connections opened at once.
    pub parallel: usize,
    /// Usernames start with this.
    pub prefix: String,
    /// Messages to randomly chosen connected users while holding (`None`: the connections idle).
    pub deliveries: Option<DeliveryParams>,
    /// Lining the hold up with other generators'.
    pub sync: HoldSync,
    /// Longest wait for the go file.
    pub timeout: Duration,
}

/// Lining up several generator processes: each writes `logged_in` once its devices are logged
/// in and connects when `connect` exists (so the servers' memory can be read between the two
/// phases); writes `ready` (its open count) once its connections are open, and starts its hold
/// when `go` exists, so that the held connections of all of them add up at the same time.
#[derive(Debug, Clone, Default)]
pub struct HoldSync {
    /// Written (the login count) once every device is logged in.
    pub logged_in: Option<PathBuf>,
    /// Connecting starts when this exists (at once if unset).
    pub connect: Option<PathBuf>,
    /// Written once every connection is open (or failed).
    pub ready: Option<PathBuf>,
    /// The hold starts when this exists (at once if unset).
    pub go: Option<PathBuf>,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W1Report {
    /// Always "w1".
    pub workload: &'static str,
    /// Connections asked for.
    pub connections: usize,
    /// Connections open at the end of the hold.
    pub open: usize,
    /// Connections that failed to open.
    pub failed: usize,
    /// Time to open them all.
    pub connect_s: f64,
    /// Connections opened per second.
    pub connects_per_s: f64,
    /// Servers' resident memory when the run started, before the logins (KiB, summed).
    pub rss_start_kib: u64,
    /// Servers' resident memory before connecting, after the logins (KiB, summed).
    pub rss_before_kib: u64,
    /// Servers' resident memory after the hold (KiB, summed).
    pub rss_after_kib: u64,
    /// Each server's resident memory after the hold (KiB, in the order of the pids).
    pub rss_after_each_kib: Vec<u64>,
    /// `(after - before) / open`, in bytes.
    pub rss_per_conn_bytes: f64,
    /// Servers' resident memory once the first half of the connections was open (KiB, summed).
    pub rss_half_kib: u64,
    /// The second half's cost: `(after - half) / (open - opened in the first half)`, in bytes.
    /// Memory the allocator kept from the logins (before any connection) can be reused by the
    /// first connections and flatter the average; the second half cannot hide that way.
    pub rss_marginal_per_conn_bytes: f64,
    /// `(after - start) / open`, in bytes: an upper bound that charges the connections with
    /// whatever the logins left behind too, and that no allocator can flatter by giving back
    /// memory the logins used while the connections open.
    pub rss_per_conn_with_logins_bytes: f64,
    /// The load generator's CPU use while connecting (100 = one core).
    pub client_cpu_pct: f64,
    /// The load generator's resident memory before connecting and at the end of the hold (KiB).
    pub client_rss_before_kib: u64,
    /// See `client_rss_before_kib`.
    pub client_rss_after_kib: u64,
    /// `(client after - client before) / open`, in bytes.
    pub client_rss_per_conn_bytes: f64,
    /// How long this generator waited for the go file after its connections were open.
    pub waited_for_go_s: f64,
    /// The hold, as it ran.
    pub hold_s: f64,
    /// The load generator's CPU use during the hold (heartbeats, and the deliveries if any).
    pub client_hold_cpu_pct: f64,
    /// Where the machine's CPU went during the hold; the servers are the pids given, or every
    /// local process named `tidings`.
    pub hold_cpu: CpuShare,
    /// The deliveries, if any were asked for.
    pub deliveries: Option<DeliveryReport>,
}

fn total_rss(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|p| stats::rss_kib(*p)).sum()
}

fn own_rss() -> u64 {
    stats::rss_kib(std::process::id()).unwrap_or(0)
}

/// `kib` spread over `connections`, in bytes (0 without connections).
fn per_conn(kib: u64, connections: usize) -> f64 {
    if connections == 0 { 0.0 } else { (kib * 1024) as f64 / connections as f64 }
}

/// One connection to open: its index, token, and outbox if it sends.
type Job = (usize, String, Option<mpsc::UnboundedReceiver<String>>);

/// Runs W1.
pub async fn run(p: W1Params) -> anyhow::Result<W1Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.connections > 0, "need servers and connections");
    let window = p.deliveries.as_ref().map(|d| p.hold.saturating_sub(d.grace));
    anyhow::ensure!(window.is_none_or(|w| !w.is_zero()), "the grace period must be shorter than the hold");
    let rss_start = total_rss(&p.server_pids);
    let devices = client::devices(&p.servers[0], &p.prefix, p.connections, p.devices_per_user, 64).await?;
    if let Some(logged_in) = &p.sync.logged_in {
        std::fs::write(logged_in, format!("{}\n", devices.len()))?;
    }
    wait_for(p.sync.connect.as_deref(), p.timeout).await?;
    let rss_before = total_rss(&p.server_pids);
    let client_rss_before = own_rss();
    let users: Vec<String> = devices.iter().map(|d| d.user_id.clone()).collect();
    let senders = p.deliveries.as_ref().map_or(0, |d| d.senders.min(p.connections));
    let (outboxes, mut inboxes): (Vec<_>, Vec<_>) =
        (0..senders).map(|_| mpsc::unbounded_channel()).map(|(tx, rx)| (tx, Some(rx))).unzip();
    let tracker = p.deliveries.as_ref().zip(window).map(|(d, w)| Arc::new(Tracker::new(messages_in(d, w))));

    let cpu_start = stats::own_cpu_secs();
    let start = Instant::now();
    let mut jobs: Vec<Job> =
        devices.into_iter().enumerate().map(|(i, d)| (i, d.token, inboxes.get_mut(i).and_then(Option::take))).collect();
    let second = jobs.split_off(jobs.len() / 2);
    let mut opened = connect_all(&p, jobs, tracker.as_ref()).await;
    let first_phase = start.elapsed();
    // Let the servers finish registering the first half before reading their memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_half = total_rss(&p.server_pids);
    let first_open = opened.iter().filter(|(_, r)| r.is_ok()).count();
    let second_start = Instant::now();
    opened.extend(connect_all(&p, second, tracker.as_ref()).await);
    let connect_s = (first_phase + second_start.elapsed()).as_secs_f64().max(1e-9);
    let cpu = stats::own_cpu_secs() - cpu_start;
    let failed = opened.iter().filter(|(_, r)| r.is_err()).count();
    if let Some((_, Err(e))) = opened.iter().find(|(_, r)| r.is_err()) {
        // The library has no logger: failures are counted in the report, and the first cause
        // goes to stderr for the person running the benchmark.
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "first connection failure: {e:#}");
    }
    let targets: Vec<u32> =
        opened.iter().filter(|(_, r)| r.is_ok()).filter_map(|(i, _)| u32::try_from(*i).ok()).collect();
    let holders: Vec<JoinHandle<()>> = opened.into_iter().filter_map(|(_, r)| r.ok()).collect();
    if let Some(ready) = &p.sync.ready {
        std::fs::write(ready, format!("{}\n", holders.len()))?;
    }
    let waited = wait_for(p.sync.go.as_deref(), p.timeout).await?;

    // The hold: every connection keeps reading (pings answered); the deliveries, if any.
    let hold_start = tokio::time::Instant::now();
    let until = hold_start + p.hold;
    let (hold_cpu, client_hold_cpu) = (cpu::start(&p.server_pids), stats::own_cpu_secs());
    let scheduler = p.deliveries.clone().zip(tracker.clone()).zip(window).map(|((d, t), w)| {
        let senders = targets
            .iter()
            .filter(|i| (**i as usize) < senders)
            .map(|i| (*i, outboxes[*i as usize].clone()))
            .collect::<Vec<_>>();
        let count = senders.len();
        let schedule = deliveries::Schedule {
            start: hold_start,
            wall_us: stats::now_us(),
            end: hold_start + w,
            targets,
            users,
            senders,
            seed: stats::mix(u64::from(std::process::id()) ^ stats::now_us()),
        };
        (tokio::spawn(deliveries::schedule(d, schedule, t)), count)
    });
    drop(outboxes);
    tokio::time::sleep_until(until).await;
    let rss_after_each: Vec<u64> = p.server_pids.iter().map(|pid| stats::rss_kib(*pid).unwrap_or(0)).collect();
    let rss_after = rss_after_each.iter().sum();
    let client_rss_after = own_rss();
    let hold_cpu = hold_cpu.share_until_now();
    let hold_s = hold_start.elapsed().as_secs_f64().max(1e-9);
    let client_hold_cpu_pct = 100.0 * (stats::own_cpu_secs() - client_hold_cpu) / hold_s;
    // A holder returns only when its connection is gone.
    let open = holders.iter().filter(|h| !h.is_finished()).count();
    holders.iter().for_each(JoinHandle::abort);
    let mut delivery_report = None;
    if let (Some((task, count)), Some(d), Some(t), Some(w)) = (scheduler, &p.deliveries, &tracker, window) {
        task.await?;
        if let Some(path) = &d.latencies_file {
            t.write_latencies(path)?;
        }
        delivery_report = Some(t.report(d, count, w));
    }
    Ok(W1Report {
        workload: "w1",
        connections: p.connections,
        open,
        failed,
        connect_s,
        connects_per_s: (p.connections - failed) as f64 / connect_s,
        rss_start_kib: rss_start,
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        rss_after_each_kib: rss_after_each,
        rss_per_conn_bytes: per_conn(rss_after.saturating_sub(rss_before), open),
        rss_per_conn_with_logins_bytes: per_conn(rss_after.saturating_sub(rss_start), open),
        client_cpu_pct: 100.0 * cpu / connect_s,
        rss_half_kib: rss_half,
        rss_marginal_per_conn_bytes: per_conn(rss_after.saturating_sub(rss_half), open.saturating_sub(first_open)),
        client_rss_before_kib: client_rss_before,
        client_rss_after_kib: client_rss_after,
        client_rss_per_conn_bytes: per_conn(client_rss_after.saturating_sub(client_rss_before), open),
        waited_for_go_s: waited.as_secs_f64(),
        hold_s,
        client_hold_cpu_pct,
        hold_cpu,
        deliveries: delivery_report,
    })
}

/// The most messages `d` can schedule in `window` (the tracker's size).
fn messages_in(d: &DeliveryParams, window: Duration) -> usize {
    (d.per_s.max(0.0) * window.as_secs_f64()).ceil() as usize + 1
}

/// Waits until `go` exists (not at all without one), at most `timeout`; how long it waited.
async fn wait_for(go: Option<&std::path::Path>, timeout: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let Some(go) = go else { return Ok(Duration::ZERO) };
    while !go.exists() {
        anyhow::ensure!(started.elapsed() < timeout, "no go file {} within {timeout:?}", go.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(started.elapsed())
}

/// Opens a WebSocket for each job, spread over the servers round-robin, and starts holding each
/// as soon as it is open.
async fn connect_all(
    p: &W1Params,
    jobs: Vec<Job>,
    tracker: Option<&Arc<Tracker>>,
) -> Vec<(usize, anyhow::Result<JoinHandle<()>>)> {
    futures_util::stream::iter(jobs)
        .map(|(i, token, outbox)| {
            let server = p.servers[i % p.servers.len()].clone();
            let tracker = tracker.cloned();
            async move {
                let source = u8::try_from(1 + i % 200).unwrap_or(1);
                let held = connect_retrying(&server, &token, source).await.map(|ws| {
                    let me = u32::try_from(i).unwrap_or(u32::MAX);
                    tokio::spawn(deliveries::hold(ws, me, tracker, outbox))
                });
                (i, held)
            }
        })
        .buffer_unordered(p.parallel.max(1))
        .collect()
        .await
}

/// How many times a refused connection (`503`/`429`, e.g. its route could not be written during
/// a connect storm) is tried again, as a client would, before it counts as failed.
const CONNECT_RETRIES: u32 = 10;
/// The longest pause between two tries (the SDK's reconnect backoff is capped the same way).
const CONNECT_BACKOFF_CAP: Duration = Duration::from_secs(8);

/// [`client::connect_lean`], trying again after a refusal the server asks to retry, with the
/// exponential backoff and jitter a real client uses.
async fn connect_retrying(server: &str, token: &str, source: u8) -> anyhow::Result<client::Ws> {
    let mut attempt = 0;
    let seed = crate::stats::now_us() ^ u64::from(source);
    loop {
        match client::connect_lean(server, token, source).await {
            Err(e) if attempt < CONNECT_RETRIES && client::is_retryable_refusal(&e) => {
                let base = (Duration::from_millis(500) * 2u32.pow(attempt.min(5))).min(CONNECT_BACKOFF_CAP);
                tokio::time::sleep(base + Duration::from_millis(crate::stats::mix(seed + u64::from(attempt)) % 500))
                    .await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

impl W1Report {
    /// The readable summary: one line, two more with deliveries.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "W1: {}/{} connections open ({} failed), {:.0} connects/s, server RSS {} -> (logins) {} -> (half) {} -> {} KiB = {:.0} bytes/connection ({:.0} for the second half, {:.0} counting the logins); load generator CPU {:.0}%",
            self.open,
            self.connections,
            self.failed,
            self.connects_per_s,
            self.rss_start_kib,
            self.rss_before_kib,
            self.rss_half_kib,
            self.rss_after_kib,
            self.rss_per_conn_bytes,
            self.rss_marginal_per_conn_bytes,
            self.rss_per_conn_with_logins_bytes,
            self.client_cpu_pct
        );
        s.push_str(&format!(
            "\nW1 hold: {:.0}s (after {:.1}s waiting for the go file); load generator {:.0} bytes/connection, CPU {:.1}%; {}",
            self.hold_s,
            self.waited_for_go_s,
            self.client_rss_per_conn_bytes,
            self.client_hold_cpu_pct,
            self.hold_cpu.summary()
        ));
        if let Some(d) = &self.deliveries {
            s.push_str(&format!("\nW1 {d}"));
        }
        s
    }
}
