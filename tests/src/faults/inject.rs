//! Applies a schedule to the cluster, one fault at a time, recording each fault's window and,
//! during a hung dependency, how `/readyz` of the instance answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::cluster::{Cluster, Topology};
use super::proxy::Mode;
use super::rest::Http;
use super::schedule::{Fault, FaultKind};
use super::traffic::Traffic;

/// Interval of the `/readyz` polls during a hang.
pub const PROBE_EVERY: Duration = Duration::from_millis(250);
/// Timeout of one `/readyz` poll.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long after a heal the probe keeps polling for `/readyz` to be 200 again.
const PROBE_AFTER_HEAL: Duration = Duration::from_secs(10);
/// Before each fault every instance must answer `/readyz` with 200 within this (a longer wait
/// is noted on the fault; no answer at all fails the `faults` check through the window's error).
const READY_BEFORE: Duration = Duration::from_secs(30);
/// After a heal, devices are sent back to their home instances this much later (when the next
/// fault is not due before).
pub const REBALANCE_AFTER: Duration = Duration::from_secs(2);

/// One applied fault: from when it began to when it was healed.
#[derive(Debug, Clone)]
pub struct Window {
    /// What.
    pub kind: FaultKind,
    /// Against which instance (`None`: the whole cluster).
    pub instance: Option<usize>,
    /// When it began.
    pub start: Instant,
    /// When healing completed (restarted and ready, resumed, link back to pass).
    pub heal: Instant,
    /// Details (killed connections, drain times).
    pub note: String,
    /// Why applying or healing it failed (the run goes on; the `faults` check fails).
    pub error: Option<String>,
}

/// `/readyz` of an instance during a hang of one of its dependencies.
#[derive(Debug, Clone)]
pub struct ReadyProbe {
    /// Index of the fault window.
    pub window: usize,
    /// The instance.
    pub instance: usize,
    /// Polls made.
    pub polls: u32,
    /// Polls that got no answer within their timeout.
    pub timeouts: u32,
    /// Time from the fault's start to the first non-200 answer, and its status.
    pub first_not_ready: Option<(Duration, u16)>,
    /// Time from the heal to the first 200 after it.
    pub ready_again: Option<Duration>,
}

/// Applies `faults` in order (each after its quiet gap, asking devices home [`REBALANCE_AFTER`]
/// into the gap); the windows and the readiness probes.
pub async fn run(
    cluster: &mut Cluster,
    traffic: &Traffic,
    faults: &[Fault],
    log: fn(&str),
) -> anyhow::Result<(Vec<Window>, Vec<ReadyProbe>)> {
    let http = Http::new()?;
    let mut windows = Vec::new();
    let mut probes = Vec::new();
    for (k, f) in faults.iter().enumerate() {
        if !windows.is_empty() && f.gap_before > REBALANCE_AFTER {
            tokio::time::sleep(REBALANCE_AFTER).await;
            traffic.rebalance();
            tokio::time::sleep(f.gap_before - REBALANCE_AFTER).await;
        } else {
            tokio::time::sleep(f.gap_before).await;
        }
        // Each fault starts from a ready cluster, so what a probe sees is this fault's doing.
        let (mut before, mut unready) = (Vec::new(), Vec::new());
        for j in 0..cluster.len() {
            match cluster.wait_ready(j, READY_BEFORE).await {
                Ok(waited) if waited > Duration::from_millis(500) => {
                    before.push(format!(
                        "{} ready only {:.1}s after the gap",
                        cluster.topo.id(j),
                        waited.as_secs_f64()
                    ));
                }
                Ok(_) => {}
                Err(e) => unready.push(format!("before it: {e:#}")),
            }
        }
        let target = if f.kind.whole_cluster() { None } else { Some(f.instance % cluster.len().max(1)) };
        let on = target.map_or_else(|| "all".to_owned(), |i| cluster.topo.id(i));
        log(&format!("fault {}: {} on {on} for {:?}", k + 1, f.kind.name(), f.duration));
        let start = Instant::now();
        let probe = match (f.kind.is_hang(), target) {
            (true, Some(i)) => Some(spawn_probe(http.clone(), Arc::clone(&cluster.topo), k, i, start)),
            _ => None,
        };
        let applied = apply(cluster, f, target).await;
        let heal = Instant::now();
        if let Some((healed, task)) = probe {
            healed.send_replace(Some(heal));
            probes.push(task);
        }
        let (mut note, mut error) = match applied {
            Ok(note) => (note, None),
            Err(e) => {
                log(&format!("fault {} failed: {e:#}", k + 1));
                (String::new(), Some(format!("{e:#}")))
            }
        };
        if !unready.is_empty() {
            error = Some(unready.into_iter().chain(error).collect::<Vec<_>>().join("; "));
        }
        if !before.is_empty() {
            note = [note, before.join(", ")].into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>().join("; ");
        }
        windows.push(Window { kind: f.kind, instance: target, start, heal, note, error });
    }
    let mut done = Vec::with_capacity(probes.len());
    for task in probes {
        done.push(task.await?);
    }
    Ok((windows, done))
}

/// Does the fault and heals it; a note for the report.
async fn apply(cluster: &mut Cluster, f: &Fault, target: Option<usize>) -> anyhow::Result<String> {
    let i = target.unwrap_or(0);
    let hold = || tokio::time::sleep(f.duration);
    match f.kind {
        FaultKind::Kill => {
            cluster.kill(i);
            hold().await;
            cluster.restart(i).await?;
        }
        FaultKind::Stop => {
            cluster.pause(i);
            hold().await;
            cluster.resume(i);
        }
        FaultKind::RedisFlush => cluster.resources().flush_redis().await,
        FaultKind::RedisCut | FaultKind::RedisHang | FaultKind::AmqpCut | FaultKind::AmqpHang => {
            let mode = if f.kind.is_hang() { Mode::Hang } else { Mode::Cut };
            let redis = matches!(f.kind, FaultKind::RedisCut | FaultKind::RedisHang);
            let set = |c: &Cluster, m| if redis { c.redis(i, m) } else { c.amqp(i, m) };
            set(&*cluster, mode);
            hold().await;
            set(&*cluster, Mode::Pass);
        }
        FaultKind::DbKill => {
            let db = cluster.resources().db_name.clone();
            let (killed, how) = super::dbkill::kill_connections(&db, cluster.pid(i)).await?;
            return Ok(format!("killed {killed} connections ({how})"));
        }
        FaultKind::RollingRestart => {
            let mut notes = Vec::new();
            for j in 0..cluster.len() {
                let took = cluster.drain_and_restart(j, Duration::from_secs(40)).await?;
                notes.push(format!("{} exited {:.1}s after SIGTERM", cluster.topo.id(j), took.as_secs_f64()));
            }
            return Ok(notes.join(", "));
        }
    }
    Ok(String::new())
}

type Probe = (watch::Sender<Option<Instant>>, tokio::task::JoinHandle<ReadyProbe>);

/// Polls `/readyz` of instance `i` every [`PROBE_EVERY`] from `start` until it is 200 again
/// after the heal (sent on the returned channel), or [`PROBE_AFTER_HEAL`] passed.
fn spawn_probe(http: Http, topo: Arc<Topology>, window: usize, i: usize, start: Instant) -> Probe {
    let (healed_tx, healed) = watch::channel(None::<Instant>);
    let task = tokio::spawn(async move {
        let mut p = ReadyProbe { window, instance: i, polls: 0, timeouts: 0, first_not_ready: None, ready_again: None };
        for _ in 0..100_000 {
            let next = tokio::time::Instant::now() + PROBE_EVERY;
            let port = topo.node(i).map_or(0, |n| n.port);
            let answer = http.get(port, "/readyz", None, PROBE_TIMEOUT).await;
            let (at, heal) = (Instant::now(), *healed.borrow());
            p.polls += 1;
            match answer {
                Ok((200, _)) => {
                    if let Some(h) = heal.filter(|h| at > *h) {
                        p.ready_again = Some(at - h);
                        break;
                    }
                }
                Ok((status, _)) => {
                    if p.first_not_ready.is_none() && heal.is_none_or(|h| at <= h) {
                        p.first_not_ready = Some((at - start, status));
                    }
                }
                Err(_) => p.timeouts += 1,
            }
            if heal.is_some_and(|h| at.duration_since(h) > PROBE_AFTER_HEAL) {
                break;
            }
            tokio::time::sleep_until(next).await;
        }
        p
    });
    (healed_tx, task)
}
