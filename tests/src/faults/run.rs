//! One run from start to report: cluster, population, traffic, schedule, settle, checks.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::check::{self, Evidence};
use super::cluster::Cluster;
use super::inject::{self, REBALANCE_AFTER};
use super::record::DeviceLog;
use super::report::{self, Report, dur, percentile};
use super::rest::Http;
use super::rng::Rng;
use super::schedule::{self, Plan};
use super::traffic::Traffic;
use super::{Options, progress, setup, timing};

/// Instance settings of every run: tokens outlive a long run, and a drain is bounded.
const INSTANCE_ENV: [(&str, &str); 2] = [("TIDINGS_AUTH__ACCESS_TTL", "1d"), ("TIDINGS_DRAIN__TIMEOUT", "10s")];

/// Runs the harness as `opts` says; the report (errors are runs that could not complete).
pub async fn run(opts: Options) -> anyhow::Result<Report> {
    let started = Instant::now();
    for (name, port) in [("MariaDB", 3306), ("Redis", 6379), ("RabbitMQ", 5672)] {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        anyhow::ensure!(
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok(),
            "{name} is not reachable on 127.0.0.1:{port}"
        );
    }
    let bin = opts.server_bin();
    anyhow::ensure!(bin.is_file(), "no server binary at {} (build it, or pass --bin)", bin.display());
    anyhow::ensure!(opts.rate > 0.0 && opts.heartbeat >= 0.5, "--rate must be positive and --heartbeat at least 0.5");
    let n = usize::from(opts.instances);
    progress(&format!("starting {n} instances of {}", bin.display()));
    let mut cluster = Cluster::start(&bin.to_string_lossy(), n, opts.hang_heal, &INSTANCE_ENV).await?;
    let result = drive(&mut cluster, &opts, started).await;
    if let Some(dir) = &opts.logs {
        match cluster.save_logs(dir) {
            Ok(n) => progress(&format!("{n} instance logs copied to {}", dir.display())),
            Err(e) => progress(&format!("saving logs: {e:#}")),
        }
    }
    progress("stopping the cluster");
    drop(cluster);
    result
}

async fn drive(cluster: &mut Cluster, opts: &Options, started: Instant) -> anyhow::Result<Report> {
    let hb = Duration::from_secs_f64(opts.heartbeat);
    let quiet = Duration::from_secs_f64(opts.quiet.max(REBALANCE_AFTER.as_secs_f64()));
    let mut rng = Rng::new(opts.seed);
    let world = setup::build(&cluster.topo, usize::from(opts.users), &mut rng).await?;
    progress(&format!(
        "{} users, {} devices, {} conversations",
        world.users.len(),
        world.devices.len(),
        world.convs.len()
    ));
    let t0 = Instant::now();
    let mut traffic = Traffic::start(&world, Arc::clone(&cluster.topo), hb);
    anyhow::ensure!(traffic.wait_online(Duration::from_secs(30)).await, "devices did not all connect within 30 s");
    traffic.start_sending(&world, opts.rate, opts.seed);
    tokio::time::sleep(quiet).await;

    let faults = match opts.schedule {
        Plan::Short => schedule::short(cluster.len()),
        Plan::Long => schedule::long(cluster.len(), opts.seed, opts.minutes),
    };
    let (windows, probes) = inject::run(cluster, &traffic, &faults, progress).await?;
    tokio::time::sleep(REBALANCE_AFTER).await;
    traffic.rebalance();
    tokio::time::sleep(quiet - REBALANCE_AFTER).await;
    let created = traffic.stop_sending().await?;
    progress(&format!("traffic stopped ({created} messages); settling {:.0}s", opts.settle));
    tokio::time::sleep(Duration::from_secs_f64(opts.settle.max(0.0))).await;
    let online = traffic.online();
    let caught_up = traffic.final_catch_up(Duration::from_secs(30)).await;
    let logs = traffic.finish().await?;
    progress(&format!("final catch-up done by {caught_up}/{} devices; checking", logs.len()));

    let http = Http::new()?;
    let history = check::read_histories(&http, &cluster.topo, &world).await;
    let ids: Vec<String> = cluster.topo.nodes().into_iter().map(|n| n.id).collect();
    let ev =
        Evidence { world: &world, logs: &logs, windows: &windows, probes: &probes, heartbeat: hb, t0, ids, history };
    let mut checks = vec![timing::faults(&ev), check::log(&ev), check::pushes(&ev)];
    checks.push(check::unread(&ev, &http, &cluster.topo).await);
    let (steady, after) = timing::delivery(&ev);
    checks.extend([steady, after, timing::complete(&ev), timing::readiness(&ev), timing::send_latency(&ev)]);
    checks.push(check::health(&ev, &http, &cluster.topo).await);

    let mut run = Map::new();
    run.insert("schedule".into(), serde_json::to_value(opts.schedule)?);
    run.insert("seed".into(), opts.seed.into());
    if opts.schedule == Plan::Long {
        run.insert("minutes".into(), opts.minutes.into());
    }
    run.insert("instances".into(), cluster.len().into());
    run.insert("users".into(), world.users.len().into());
    run.insert("devices".into(), world.devices.len().into());
    run.insert("conversations".into(), world.convs.len().into());
    run.insert("rate_per_s".into(), opts.rate.into());
    run.insert("heartbeat_s".into(), opts.heartbeat.into());
    run.insert("hang_heal".into(), serde_json::to_value(opts.hang_heal)?);
    run.insert("bin".into(), opts.server_bin().display().to_string().into());
    let mut traffic_map = summary(&ev, created);
    traffic_map.insert("devices_online_at_end_of_settle".into(), online.into());
    let pass = checks.iter().all(|c| c.pass);
    Ok(Report {
        run,
        traffic: traffic_map,
        windows: report::windows(t0, &windows, &ev.ids),
        checks,
        duration_s: started.elapsed().as_secs_f64(),
        pass,
    })
}

/// What the traffic did, for the report.
fn summary(ev: &Evidence<'_>, created: u64) -> Map<String, Value> {
    let logs: &[DeviceLog] = ev.logs;
    let sum = |f: &dyn Fn(&DeviceLog) -> u64| logs.iter().map(f).sum::<u64>();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut closes: BTreeMap<String, u64> = BTreeMap::new();
    for l in logs {
        for (k, v) in &l.errors {
            *errors.entry(k.clone()).or_default() += v;
        }
        for c in &l.conns {
            *closes.entry(if c.why.is_empty() { "open at end".to_owned() } else { c.why.clone() }).or_default() += 1;
        }
    }
    let in_window =
        |t: Instant| ev.windows.iter().any(|w| t + timing::PRE_GRACE >= w.start && t <= w.heal + timing::GRACE);
    let mut steady: Vec<Duration> = logs
        .iter()
        .flat_map(|l| l.attempts.iter())
        .filter(|a| !in_window(a.sent))
        .filter_map(|a| a.answer.as_ref().map(|(t, _)| t.saturating_duration_since(a.sent)))
        .collect();
    steady.sort_unstable();
    let attempts: Vec<_> = logs.iter().flat_map(|l| l.attempts.iter()).collect();
    let gave_up = |why: &str| attempts.iter().filter(|a| a.answer.is_none() && a.gave_up == Some(why)).count();
    let acked = sum(&|l| l.acks.len() as u64);
    let mut m = Map::new();
    m.insert("messages_created".into(), created.into());
    m.insert("acked".into(), acked.into());
    m.insert("unacked_at_end".into(), sum(&|l| l.unacked.len() as u64).into());
    m.insert("send_attempts".into(), attempts.len().into());
    m.insert("attempts_timed_out".into(), gave_up("timeout").into());
    m.insert("attempts_dropped_with_socket".into(), gave_up("dropped").into());
    m.insert("error_frames".into(), json!(errors).to_string().into());
    m.insert(
        "ack_latency_outside_windows".into(),
        format!(
            "p50 {} p99 {} max {} ({} answers)",
            dur(percentile(&steady, 50.0)),
            dur(percentile(&steady, 99.0)),
            dur(steady.last().copied().unwrap_or_default()),
            steady.len()
        )
        .into(),
    );
    m.insert("pushes_received".into(), sum(&|l| l.pushes.len() as u64).into());
    m.insert("messages_by_catch_up".into(), sum(&|l| l.caught.len() as u64).into());
    m.insert("catch_up_rounds".into(), sum(&|l| l.catchups.0).into());
    m.insert("catch_up_rounds_by_changes".into(), sum(&|l| l.catchups.1).into());
    m.insert("pongs".into(), sum(&|l| l.pongs.0).into());
    m.insert("pongs_with_changes".into(), sum(&|l| l.pongs.1).into());
    m.insert("connections".into(), sum(&|l| l.conns.len() as u64).into());
    m.insert("connection_ends".into(), json!(closes).to_string().into());
    m
}
