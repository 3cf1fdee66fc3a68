//! W8, placement: N devices (one per user) connect through discovery, each asking
//! `GET /api/v1/discovery?device_id=…` and connecting to the first instance of the answer, at
//! most `parallel` at a time (a reconnect storm when high). Reports how many landed on each
//! instance against an even spread. Then every device in turn drops its connection and, after
//! a reconnect delay, comes back the same way while the others stay connected (a network blip,
//! `parallel` at a time), and the run reports how many came back to the same instance.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;

use crate::client::{self, Ws};
use crate::stats::{self, Latency};

/// A connection kept alive: read in a task of its own, so the server's pings are answered;
/// dropping it closes the connection.
struct Held(tokio::task::JoinHandle<()>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads `ws` until it ends, in the background.
fn hold(mut ws: Ws) -> Held {
    Held(tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} }))
}

/// What to run.
#[derive(Debug, Clone)]
pub struct W8Params {
    /// The server asked for logins and discovery (any instance, or a load balancer).
    pub server: String,
    /// Devices to place.
    pub devices: usize,
    /// Devices connecting at once.
    pub parallel: usize,
    /// Usernames start with this (unique per run).
    pub prefix: String,
    /// Hard limit for the whole run.
    pub timeout: Duration,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W8Report {
    /// Always "w8".
    pub workload: &'static str,
    /// Devices placed.
    pub devices: usize,
    /// Devices connecting at once.
    pub parallel: usize,
    /// Devices per instance id after the first wave.
    pub per_instance: BTreeMap<String, usize>,
    /// The largest deviation from an even spread, as a share of it (0.1 = ±10 %).
    pub worst_deviation: f64,
    /// Devices that came back to the same instance when they reconnected, as a share.
    pub same_home: f64,
    /// Discovery answers' latency over both waves.
    pub discovery: Latency,
    /// Time to place every device in the first wave (s).
    pub wave_s: f64,
}

/// Runs W8.
pub async fn run(p: W8Params) -> anyhow::Result<W8Report> {
    tokio::time::timeout(p.timeout, run_inner(p.clone())).await.map_err(|_| anyhow!("w8 timed out"))?
}

async fn run_inner(p: W8Params) -> anyhow::Result<W8Report> {
    let logins = client::devices(&p.server, &p.prefix, p.devices, 1, 32).await.context("logins")?;
    let http = reqwest::Client::new();
    let mut latencies = stats::histogram();
    let started = Instant::now();
    let (first, sockets) = wave(&http, &p, &logins, &mut latencies).await?;
    let wave_s = started.elapsed().as_secs_f64();
    let mut per_instance: BTreeMap<String, usize> = BTreeMap::new();
    first.iter().for_each(|id| *per_instance.entry(id.clone()).or_default() += 1);
    let even = p.devices as f64 / per_instance.len().max(1) as f64;
    let worst_deviation = per_instance.values().map(|&n| (n as f64 - even).abs() / even).fold(0.0, f64::max);
    let (second, _sockets) = rolling(&http, &p, &logins, sockets, &first, &mut latencies).await?;
    let same = first.iter().zip(&second).filter(|(a, b)| a == b).count();
    Ok(W8Report {
        workload: "w8",
        devices: p.devices,
        parallel: p.parallel,
        per_instance,
        worst_deviation,
        same_home: same as f64 / p.devices.max(1) as f64,
        discovery: Latency::of(&latencies),
        wave_s,
    })
}

/// Every device asks discovery and connects to its first answer; returns the instance id and
/// the connection of each device, in order, and records each discovery call's latency.
async fn wave(
    http: &reqwest::Client,
    p: &W8Params,
    logins: &[client::Device],
    latencies: &mut Histogram<u64>,
) -> anyhow::Result<(Vec<String>, Vec<Held>)> {
    let placed = futures_util::stream::iter(logins.iter().enumerate())
        .map(|(i, login)| place(http, &p.server, i, login, None))
        .buffered(p.parallel.max(1))
        .collect()
        .await;
    settle(placed, latencies)
}

/// Splits placements into instance ids and connections, recording their discovery latencies;
/// the first failed placement fails the run.
fn settle(
    placed: Vec<anyhow::Result<(String, Duration, Held)>>,
    latencies: &mut Histogram<u64>,
) -> anyhow::Result<(Vec<String>, Vec<Held>)> {
    let mut homes = Vec::with_capacity(placed.len());
    let mut sockets = Vec::with_capacity(placed.len());
    for r in placed {
        let (id, took, held) = r?;
        latencies.saturating_record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        homes.push(id);
        sockets.push(held);
    }
    Ok((homes, sockets))
}

/// How long a device waits after losing its connection before it asks again (the SDK's first
/// backoff is 250 ms).
const RECONNECT_DELAY: Duration = Duration::from_millis(250);

/// Every device drops its connection, waits, asks discovery and connects again, `parallel` at a
/// time while the rest stay connected; returns the instance each came back to and its new
/// connection, in order.
async fn rolling(
    http: &reqwest::Client,
    p: &W8Params,
    logins: &[client::Device],
    sockets: Vec<Held>,
    was: &[String],
    latencies: &mut Histogram<u64>,
) -> anyhow::Result<(Vec<String>, Vec<Held>)> {
    let back = futures_util::stream::iter(logins.iter().zip(sockets).enumerate())
        .map(|(i, (login, ws))| async move {
            drop(ws);
            tokio::time::sleep(RECONNECT_DELAY).await;
            place(http, &p.server, i, login, was.get(i).map(String::as_str)).await
        })
        .buffered(p.parallel.max(1))
        .collect()
        .await;
    settle(back, latencies)
}

/// Device `i` asks discovery (saying which instance it was on, if any, as the SDK does) and
/// connects to the first instance offered: (its id, the discovery call's latency, the
/// connection).
async fn place(
    http: &reqwest::Client,
    server: &str,
    i: usize,
    login: &client::Device,
    last: Option<&str>,
) -> anyhow::Result<(String, Duration, Held)> {
    let asked = Instant::now();
    let last = last.map(|id| format!("&last={id}")).unwrap_or_default();
    let answer: Value = http
        .get(format!("{server}/api/v1/discovery?device_id=dev{i}{last}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let took = asked.elapsed();
    let home = &answer["instances"][0];
    let (Some(id), Some(url)) = (home["id"].as_str(), home["url"].as_str()) else {
        return Err(anyhow!("no instance offered: {answer}"));
    };
    let ws = client::connect(url, &login.token, (i % 200 + 1) as u8).await?;
    Ok((id.to_owned(), took, hold(ws)))
}
