//! W6, search at size: a log of `messages` chat messages (mostly Chinese, some English, some
//! mixed: `w6/corpus.rs`) in `conversations` direct chats, sent through the gateway like any
//! other; then, once the index has caught up, one user who is in `searcher_convs` of those
//! conversations searches for common and rare words, a planted phrase, a prefix, mixed text,
//! and a phrase that is frequent only in conversations they are not in (the walk that must skip
//! what they may not read). Reports the seeding rate, the indexing lag and query latency per
//! query and overall, with the servers' CPU during the queries.

mod corpus;
mod seed;

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde::Serialize;
use serde_json::Value;

use crate::cpu::{self, CpuShare};
use crate::stats::{self, Latency};

pub use corpus::{ELSEWHERE, PHRASE, PHRASE_EN};

/// The machine's busy share (percent of one core, every process) under which it counts as quiet.
pub const QUIET_PCT: f64 = 40.0;

/// What to run.
#[derive(Debug, Clone)]
pub struct W6Params {
    /// Servers; users are spread over them, the searcher asks the first.
    pub servers: Vec<String>,
    /// Direct conversations.
    pub conversations: usize,
    /// Messages in all.
    pub messages: usize,
    /// Conversations the searcher is in.
    pub searcher_convs: usize,
    /// Unacknowledged sends per connection while seeding.
    pub window: usize,
    /// Times each query is asked.
    pub rounds: usize,
    /// Hard limit for the whole run.
    pub timeout: Duration,
    /// Usernames start with this (unique per run).
    pub prefix: String,
    /// Server processes whose CPU the report gives.
    pub server_pids: Vec<u32>,
}

/// One query's figures.
#[derive(Debug, Clone, Serialize)]
pub struct QueryReport {
    /// What was typed.
    pub q: String,
    /// Results on the first page (at most 20).
    pub first_page: usize,
    /// Latency of every asking.
    pub latency: Latency,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W6Report {
    /// Always "w6".
    pub workload: &'static str,
    /// Conversations.
    pub conversations: usize,
    /// Messages asked for.
    pub messages: usize,
    /// Messages acked.
    pub acked: u64,
    /// Sends refused (`busy`).
    pub refused: u64,
    /// Seeding time.
    pub seed_s: f64,
    /// Seeding rate.
    pub seed_msgs_per_s: f64,
    /// From the last ack until the last message was found.
    pub index_lag_s: f64,
    /// From then until the machine was quiet (under [`QUIET_PCT`] busy over 2 s).
    pub settle_s: f64,
    /// Conversations the searcher is in.
    pub searcher_convs: usize,
    /// Per query.
    pub queries: Vec<QueryReport>,
    /// Every asking together.
    pub latency: Latency,
    /// The servers while seeding.
    pub seed_cpu: CpuShare,
    /// The servers while the queries ran.
    pub query_cpu: CpuShare,
    /// This process's CPU over the whole run, percent of one core.
    pub client_cpu_pct: f64,
}

/// The queries, in the order asked: planted phrase, common and rare Chinese words, a common
/// English word and a prefix, mixed text, an English phrase, the phrase only others have.
fn queries() -> Vec<String> {
    vec![
        "部署方案".into(),
        "我们".into(),
        "杭州".into(),
        "meeting".into(),
        "depl".into(),
        "我们 meeting".into(),
        PHRASE_EN.into(),
        ELSEWHERE.into(),
    ]
}

/// Runs W6.
pub async fn run(p: W6Params) -> anyhow::Result<W6Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    let started_cpu = stats::own_cpu_secs();
    let run_start = Instant::now();
    let deadline = tokio::time::Instant::now() + p.timeout;
    let seeding = cpu::start(&p.server_pids);
    let seeded = seed::seed(&p, deadline).await.context("seeding")?;
    let seed_cpu = seeding.share_until_now();
    let http = reqwest::Client::new();
    let base = p.servers.first().ok_or_else(|| anyhow!("no server"))?;
    let search = |q: &str| {
        let http = http.clone();
        let url = format!("{base}/api/v1/search");
        let token = seeded.searcher_token.clone();
        let q = q.to_owned();
        async move {
            let url = reqwest::Url::parse_with_params(&url, &[("q", q.as_str())])?;
            let resp = http.get(url).bearer_auth(token).send().await?;
            anyhow::ensure!(resp.status().is_success(), "search {q}: {}", resp.status());
            Ok::<Value, anyhow::Error>(resp.json().await?)
        }
    };
    // Indexed once the last message sent can be found.
    let lag_start = Instant::now();
    loop {
        let page = search(&seeded.last_marker).await?;
        if page["results"].as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "the index never caught up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let index_lag_s = lag_start.elapsed().as_secs_f64();
    // Indexers that dropped changes while the log grew faster than they could write replay
    // them afterwards (the cluster on this machine): the queries wait until the machine is
    // quiet, so they measure the index at rest, and the wait is reported.
    let settling = Instant::now();
    while tokio::time::Instant::now() < deadline {
        let window = cpu::start(&p.server_pids);
        tokio::time::sleep(Duration::from_secs(2)).await;
        if window.share_until_now().machine_busy_pct < QUIET_PCT {
            break;
        }
    }
    let settle_s = settling.elapsed().as_secs_f64();
    let querying = cpu::start(&p.server_pids);
    let mut all = stats::histogram();
    let mut reports = Vec::new();
    for q in queries() {
        let mut h = stats::histogram();
        let mut first_page = 0;
        for _ in 0..p.rounds.max(1) {
            let t = Instant::now();
            let page = search(&q).await?;
            let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX).max(1);
            h.saturating_record(us);
            all.saturating_record(us);
            first_page = page["results"].as_array().map_or(0, Vec::len);
        }
        reports.push(QueryReport { q, first_page, latency: Latency::of(&h) });
    }
    let query_cpu = querying.share_until_now();
    let elapsed = run_start.elapsed().as_secs_f64().max(1e-6);
    Ok(W6Report {
        workload: "w6",
        conversations: p.conversations,
        messages: p.messages,
        acked: seeded.acked,
        refused: seeded.refused,
        seed_s: seeded.seconds,
        seed_msgs_per_s: seeded.acked as f64 / seeded.seconds.max(1e-6),
        index_lag_s,
        settle_s,
        searcher_convs: p.searcher_convs,
        queries: reports,
        latency: Latency::of(&all),
        seed_cpu,
        query_cpu,
        client_cpu_pct: 100.0 * (stats::own_cpu_secs() - started_cpu) / elapsed,
    })
}
