//! Discovery's wiring: the registry this mode uses (Redis shared by the cluster, or this process
//! alone), and the announcer that keeps this instance's entry alive once it listens: its full
//! entry every `discovery.heartbeat`, its connection count as soon as it changes (one write in
//! flight at a time, so a storm of connects costs a write per Redis round trip, not one per
//! connect), until a drain begins (the drain withdraws the entry first thing).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tidings_app::DiscoveryService;
use tidings_domain::discovery::{DiscoveryPolicy, InstanceInfo};
use tidings_domain::ports::InstanceDirectory;
use tidings_infrastructure::cluster::{RedisDirectory, RedisKeys, RedisPool};
use tidings_infrastructure::memory::LocalDirectory;

use crate::drain::Drain;
use crate::settings::Settings;
use crate::ws::hub::Hub;

/// How often the announcer wakes without a change, to keep the heartbeat and see the drain.
const COUNT_CHECK: Duration = Duration::from_millis(100);

/// Capacity assumed when neither `discovery.capacity` nor `gateway.max_connections` says.
const DEFAULT_CAPACITY: u64 = 100_000;

/// The discovery service over this mode's registry.
pub(super) fn service(settings: &Settings, redis: Option<&RedisPool>) -> Arc<DiscoveryService> {
    let d = &settings.discovery;
    let directory: Arc<dyn InstanceDirectory> = match redis {
        Some(pool) => Arc::new(RedisDirectory::new(
            pool.clone(),
            RedisKeys::new(settings.cluster.redis_prefix.clone()),
            d.ttl.as_secs(),
        )),
        None => Arc::new(LocalDirectory::default()),
    };
    let policy = DiscoveryPolicy { answer: d.answer, balance: d.balance, overload: d.overload };
    Arc::new(DiscoveryService::new(directory, policy))
}

/// What the announcer needs.
pub(crate) struct Announcer {
    pub(crate) service: Arc<DiscoveryService>,
    pub(crate) hub: Arc<Hub>,
    pub(crate) drain: Arc<Drain>,
    /// This instance's entry as configured (connections and CPU are filled in as it runs).
    pub(crate) me: InstanceInfo,
    pub(crate) heartbeat: Duration,
}

impl Announcer {
    /// This instance's entry from the settings and the address it listens on.
    pub(crate) fn entry(settings: &Settings, instance: &str, addr: SocketAddr) -> InstanceInfo {
        let d = &settings.discovery;
        let url = match &d.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None if addr.ip().is_unspecified() => format!("http://127.0.0.1:{}", addr.port()),
            None => format!("http://{addr}"),
        };
        let ws_url = format!("{}/ws", url.replacen("http", "ws", 1));
        let capacity = match (d.capacity, settings.gateway.max_connections) {
            (0, 0) => DEFAULT_CAPACITY,
            (0, cap) => u64::from(cap),
            (c, _) => c,
        };
        InstanceInfo {
            id: instance.to_owned(),
            url,
            ws_url,
            zone: d.zone.clone(),
            connections: 0,
            capacity,
            cpu: 0.0,
            draining: false,
        }
    }

    /// Runs the announcer on the current runtime until the drain begins, then withdraws.
    pub(crate) fn spawn(self) {
        tokio::spawn(self.run());
    }

    async fn run(mut self) {
        let mut tick = tokio::time::interval(COUNT_CHECK);
        let mut told: Option<u64> = None;
        let mut last_beat: Option<Instant> = None;
        let mut failing = Failing::default();
        let mut cpu = CpuMeter::start();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.hub.count_changed() => {}
            }
            // The drain withdraws the entry; writing it again would undo that.
            if self.drain.is_draining() {
                return;
            }
            if !failing.may_try() {
                continue;
            }
            let connections = self.hub.device_count() as u64;
            if last_beat.is_none_or(|at| at.elapsed() >= self.heartbeat) {
                self.me.connections = connections;
                self.me.cpu = cpu.share();
                match self.service.announce(&self.me).await {
                    Ok(()) => {
                        failing.recovered();
                        last_beat = Some(Instant::now());
                        told = Some(connections);
                    }
                    Err(e) => failing.failed(&e, self.heartbeat),
                }
            } else if told != Some(connections) {
                match self.service.count_connections(&self.me.id, connections).await {
                    Ok(()) => told = Some(connections),
                    Err(e) => tracing::debug!(error = %e, "could not update the connection count"),
                }
            }
        }
    }
}

/// A streak of failed announcements: the next try waits twice as long each time (up to one
/// heartbeat), and only the first failure and the recovery are logged at warn/info, so a Redis
/// outage costs neither a write nor a log line every 100 ms.
#[derive(Default)]
struct Failing {
    since: Option<Instant>,
    wait: Duration,
    next_try: Option<Instant>,
}

impl Failing {
    fn may_try(&self) -> bool {
        self.next_try.is_none_or(|at| Instant::now() >= at)
    }

    fn failed(&mut self, e: &impl std::fmt::Display, cap: Duration) {
        if self.since.is_none() {
            tracing::warn!(error = %e, "could not write this instance's discovery entry; retrying with backoff");
            self.since = Some(Instant::now());
        } else {
            tracing::debug!(error = %e, "could not write this instance's discovery entry");
        }
        self.wait = (self.wait * 2).clamp(COUNT_CHECK, cap.max(COUNT_CHECK));
        self.next_try = Some(Instant::now() + self.wait);
    }

    fn recovered(&mut self) {
        if let Some(since) = self.since.take() {
            tracing::info!(after_ms = since.elapsed().as_millis() as u64, "discovery entry written again");
        }
        *self = Self::default();
    }
}

/// This process's CPU use between readings, as a share of the machine (from `/proc/self/stat`;
/// zero where there is none).
struct CpuMeter {
    at: Instant,
    ticks: u64,
}

/// Clock ticks per second of `/proc` times (`USER_HZ`, 100 on every Linux ABI).
const TICKS_PER_SEC: f64 = 100.0;

impl CpuMeter {
    fn start() -> Self {
        Self { at: Instant::now(), ticks: process_ticks() }
    }

    /// The share since the last reading (0..=1), and starts the next interval.
    fn share(&mut self) -> f64 {
        let (now, ticks) = (Instant::now(), process_ticks());
        let secs = now.duration_since(self.at).as_secs_f64();
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        let used = ticks.saturating_sub(self.ticks) as f64 / TICKS_PER_SEC;
        *self = Self { at: now, ticks };
        if secs <= 0.0 { 0.0 } else { (used / secs / cores).clamp(0.0, 1.0) }
    }
}

/// utime + stime of this process, in clock ticks.
fn process_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0 };
    // The command name (field 2) may hold spaces; the fields after its `)` are plain.
    let Some((_, rest)) = stat.rsplit_once(')') else { return 0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After `)`: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_uses_some_cpu_and_the_share_stays_a_share() {
        let mut meter = CpuMeter::start();
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(120) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0);
        assert!(process_ticks() > 0, "no CPU time read from /proc/self/stat");
        let share = meter.share();
        assert!((0.0..=1.0).contains(&share) && share > 0.0, "share {share}");
    }
}
