//! W1, connections: N authenticated idle connections that answer the server's pings. Measures
//! the connect rate and the server's resident memory per connection (from /proc of its pid).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;

use crate::client;
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
    /// How long to hold the connections open after the last one connected.
    pub hold: Duration,
    /// Connections opened at once.
    pub parallel: usize,
    /// Usernames start with this.
    pub prefix: String,
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
}

fn total_rss(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|p| stats::rss_kib(*p)).sum()
}

/// `kib` spread over `connections`, in bytes (0 without connections).
fn per_conn(kib: u64, connections: usize) -> f64 {
    if connections == 0 { 0.0 } else { (kib * 1024) as f64 / connections as f64 }
}

/// Runs W1.
pub async fn run(p: W1Params) -> anyhow::Result<W1Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.connections > 0, "need servers and connections");
    let rss_start = total_rss(&p.server_pids);
    let devices = client::devices(&p.servers[0], &p.prefix, p.connections, p.devices_per_user, 64).await?;
    let rss_before = total_rss(&p.server_pids);
    let cpu_start = stats::own_cpu_secs();
    let start = Instant::now();
    let mut devices: Vec<_> = devices.into_iter().enumerate().collect();
    let second = devices.split_off(devices.len() / 2);
    let mut opened = connect_all(&p, devices).await;
    let first_phase = start.elapsed();
    // Let the servers finish registering the first half before reading their memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_half = total_rss(&p.server_pids);
    let first_open = opened.iter().filter(|r| r.is_ok()).count();
    let second_start = Instant::now();
    opened.extend(connect_all(&p, second).await);
    let connect_s = (first_phase + second_start.elapsed()).as_secs_f64().max(1e-9);
    let cpu = stats::own_cpu_secs() - cpu_start;
    let failed = opened.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = opened.iter().find(|r| r.is_err()) {
        // The library has no logger: failures are counted in the report, and the first cause
        // goes to stderr for the person running the benchmark.
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "first connection failure: {e:#}");
    }
    // Hold: keep reading so pings are answered; count who is still open at the end.
    let until = tokio::time::Instant::now() + p.hold;
    let holders: Vec<_> = opened
        .into_iter()
        .flatten()
        .map(|mut ws| {
            tokio::spawn(async move {
                loop {
                    match tokio::time::timeout_at(until, ws.next()).await {
                        Err(_) => return true,
                        Ok(Some(Ok(_))) => continue,
                        Ok(_) => return false,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep_until(until).await;
    let rss_after = total_rss(&p.server_pids);
    let mut open = 0;
    for h in holders {
        if h.await.unwrap_or(false) {
            open += 1;
        }
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
        rss_per_conn_bytes: per_conn(rss_after.saturating_sub(rss_before), open),
        rss_per_conn_with_logins_bytes: per_conn(rss_after.saturating_sub(rss_start), open),
        client_cpu_pct: 100.0 * cpu / connect_s,
        rss_half_kib: rss_half,
        rss_marginal_per_conn_bytes: per_conn(rss_after.saturating_sub(rss_half), open.saturating_sub(first_open)),
    })
}

/// Opens a WebSocket for each `(index, device)`, spread over the servers round-robin.
async fn connect_all(
    p: &W1Params,
    devices: Vec<(usize, client::Device)>,
) -> Vec<anyhow::Result<WebSocketStream<TcpStream>>> {
    futures_util::stream::iter(devices)
        .map(|(i, d)| {
            let server = p.servers[i % p.servers.len()].clone();
            async move { client::connect(&server, &d.token, u8::try_from(1 + i % 200).unwrap_or(1)).await }
        })
        .buffer_unordered(p.parallel.max(1))
        .collect()
        .await
}
