//! `tidings-bench`: load workloads that speak the real protocol over real sockets. Every run is
//! bounded in count and time and targets loopback addresses only. Workloads return a report that
//! the CLI prints as one JSON line plus a readable summary.

pub mod client;
pub mod content;
pub mod cpu;
pub mod stats;
pub mod w1;
pub mod w2;
pub mod w3;
pub mod w4;
pub mod w5;
pub mod w6;
pub mod w7;
pub mod w8;

/// Refuses any server address outside 127.0.0.0/8 (and `localhost`).
pub fn check_loopback(base: &str) -> anyhow::Result<()> {
    let host = base.trim_start_matches("http://").split(['/', ':']).next().unwrap_or_default();
    let ok = host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
    anyhow::ensure!(ok, "refusing to load {base}: only 127.0.0.0/8 targets are allowed");
    Ok(())
}
