//! Which faults a run applies, to which instance, for how long, with what quiet gap before.

use std::time::Duration;

use super::rng::Rng;

/// A kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// SIGKILL, restart after the duration.
    Kill,
    /// SIGSTOP for the duration, then SIGCONT.
    Stop,
    /// Delete the run's Redis keys (instant).
    RedisFlush,
    /// Cut the instance's Redis link for the duration.
    RedisCut,
    /// Hang the instance's Redis link for the duration.
    RedisHang,
    /// Cut the instance's RabbitMQ link for the duration.
    AmqpCut,
    /// Hang the instance's RabbitMQ link for the duration.
    AmqpHang,
    /// Kill the instance's MariaDB connections (instant).
    DbKill,
    /// SIGTERM, wait for exit, start again, wait ready: every instance in turn.
    RollingRestart,
}

impl FaultKind {
    /// Every kind, in the short schedule's order.
    pub const ALL: [FaultKind; 9] = [
        Self::Kill,
        Self::Stop,
        Self::RedisFlush,
        Self::RedisCut,
        Self::RedisHang,
        Self::AmqpCut,
        Self::AmqpHang,
        Self::DbKill,
        Self::RollingRestart,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Kill => "kill",
            Self::Stop => "stop",
            Self::RedisFlush => "redis-flush",
            Self::RedisCut => "redis-cut",
            Self::RedisHang => "redis-hang",
            Self::AmqpCut => "amqp-cut",
            Self::AmqpHang => "amqp-hang",
            Self::DbKill => "db-kill",
            Self::RollingRestart => "rolling-restart",
        }
    }

    /// A hung dependency (readiness and send-latency are measured during these).
    pub fn is_hang(self) -> bool {
        matches!(self, Self::RedisHang | Self::AmqpHang)
    }

    /// Whether it lasts for a duration (the others are one action).
    pub fn lasts(self) -> bool {
        !matches!(self, Self::RedisFlush | Self::DbKill | Self::RollingRestart)
    }

    /// Whether it concerns every instance rather than one.
    pub fn whole_cluster(self) -> bool {
        matches!(self, Self::RedisFlush | Self::RollingRestart)
    }
}

/// One planned fault.
#[derive(Debug, Clone)]
pub struct Fault {
    /// What.
    pub kind: FaultKind,
    /// Against which instance (ignored by whole-cluster kinds).
    pub instance: usize,
    /// How long (zero for one-action kinds).
    pub duration: Duration,
    /// Quiet time before it starts.
    pub gap_before: Duration,
}

/// The named schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// Each kind once, short durations (CI).
    Short,
    /// Random kinds, instances and durations for a given time.
    Long,
}

/// Quiet gap before each fault of the short schedule.
pub const SHORT_GAP: Duration = Duration::from_secs(5);

/// Each kind once, in [`FaultKind::ALL`] order, instances in rotation: 6 s cuts and kills,
/// 7 s stop, 8 s hangs (long enough to see `/readyz` turn within its 5 s target).
pub fn short(instances: usize) -> Vec<Fault> {
    FaultKind::ALL
        .iter()
        .enumerate()
        .map(|(k, &kind)| Fault {
            kind,
            instance: (k + 1) % instances.max(1),
            duration: Duration::from_secs(match kind {
                _ if !kind.lasts() => 0,
                FaultKind::Stop => 7,
                _ if kind.is_hang() => 8,
                _ => 6,
            }),
            gap_before: SHORT_GAP,
        })
        .collect()
}

/// Rounds of every kind in a seeded random order, random instances, durations of 4–15 s
/// (hangs 7–15 s) and gaps of 4–10 s, until the plan fills `minutes` (a rolling restart is
/// counted as 6 s per instance).
pub fn long(instances: usize, seed: u64, minutes: f64) -> Vec<Fault> {
    let mut rng = Rng::new(seed);
    let budget = Duration::from_secs_f64(minutes.max(0.5) * 60.0);
    let mut planned = Duration::ZERO;
    let mut out = Vec::new();
    while planned < budget {
        let mut round = FaultKind::ALL.to_vec();
        rng.shuffle(&mut round);
        for kind in round {
            let gap_before = Duration::from_secs(rng.between(4, 10));
            let duration = Duration::from_secs(match kind {
                _ if !kind.lasts() => 0,
                _ if kind.is_hang() => rng.between(7, 15),
                _ => rng.between(4, 15),
            });
            let cost =
                if kind == FaultKind::RollingRestart { Duration::from_secs(6 * instances as u64) } else { duration };
            planned += gap_before + cost;
            out.push(Fault { kind, instance: rng.below(instances.max(1)), duration, gap_before });
            if planned >= budget {
                break;
            }
        }
    }
    out
}
