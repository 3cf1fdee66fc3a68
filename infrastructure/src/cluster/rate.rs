//! The cluster [`RateLimiter`]: the same GCRA, as an atomic Lua script in Redis, using Redis's
//! own clock so instances with skewed clocks still agree. Checks made at the same time share one
//! script call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::redis::RedisPool;
use async_trait::async_trait;
use dashmap::DashMap;
use deadpool_redis::redis::Script;
use tidings_domain::ports::{Rate, RateLimiter};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::redis::RedisKeys;

/// GCRA for many checks in one call: KEYS are the callers' states, ARGV three values per key
/// (emission interval ms, burst tolerance ms, how many requests to take: 0 only looks). Returns
/// one number per key: when allowed, how many were taken (at least 1, at most the number asked,
/// as many as fit now; 1 for a look), else minus the milliseconds to wait. Checks of the same key
/// in one call see each other, in order.
const GCRA_MANY: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local out = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[3 * i - 2])
  local tolerance = tonumber(ARGV[3 * i - 1])
  local want = tonumber(ARGV[3 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  if tat - now > tolerance then
    out[i] = -math.ceil(tat - now - tolerance)
  elseif want == 0 then
    out[i] = 1
  else
    local fit = math.floor((tolerance - (tat - now)) / interval) + 1
    local take = math.min(want, fit)
    local new = tat + take * interval
    redis.call('SET', key, tostring(new), 'PX', math.ceil(new - now) + 1)
    out[i] = take
  end
end
return out";

/// Most checks sent in one script call.
const MAX_BATCH: usize = 256;

/// Script calls on their way at once; checks arriving meanwhile wait and go in the next.
const MAX_IN_FLIGHT: usize = 4;

/// Checks waiting for a call.
const QUEUE: usize = 16_384;

/// Longest lease: requests taken from Redis ahead and spent in this instance.
const MAX_LEASE: u32 = 64;

/// How long leased requests may be spent; the unspent rest is forfeited.
const LEASE_LIFE: Duration = Duration::from_secs(1);

/// Past this many keys, expired leases are swept out.
const SWEEP_AT: usize = 100_000;

/// One caller's question.
struct Check {
    key: String,
    interval: f64,
    tolerance: f64,
    /// How many requests to take (0: only look).
    want: u32,
    answer: oneshot::Sender<Result<i64, String>>,
}

/// Requests this instance took from a key's budget ahead of use.
#[derive(Debug, Clone, Copy)]
struct Lease {
    left: u32,
    until: Instant,
    /// How many the last lease asked for; doubles while leases run out before expiring.
    size: u32,
}

/// Limits shared by every instance. Concurrent checks (from every connection of this instance)
/// share script calls: under load one round trip answers many requests. A caller that keeps
/// running through its requests leases them from Redis several at a time (doubling up to a
/// quarter of its burst, at most [`MAX_LEASE`]) and spends them here without a round trip; what
/// is left of a lease after [`LEASE_LIFE`] is forfeited, so leasing can only make a limit
/// stricter, never looser. Rates with a burst under 8 are never leased: each request goes to Redis.
pub struct RedisRateLimiter {
    pool: RedisPool,
    keys: RedisKeys,
    queue: mpsc::Sender<Check>,
    leases: DashMap<String, Lease>,
}

impl RedisRateLimiter {
    /// Uses `pool` and the key layout `keys`; starts the batching task on the current runtime.
    pub fn new(pool: RedisPool, keys: RedisKeys) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(answer_checks(pool.clone(), rx));
        Self { pool, keys, queue, leases: DashMap::new() }
    }

    /// Spends a leased request of `key`, if one is left and still valid. Otherwise returns
    /// how many to ask Redis for: more than last time if the last lease ran out in time.
    fn spend_leased(&self, key: &str, most: u32, now: Instant) -> Result<(), u32> {
        let Some(mut lease) = self.leases.get_mut(key) else { return Err(1) };
        if lease.until <= now {
            return Err(1);
        }
        if lease.left > 0 {
            lease.left -= 1;
            return Ok(());
        }
        Err(lease.size.saturating_mul(2).min(most))
    }

    /// Keeps what Redis granted beyond the one request being answered.
    fn store_lease(&self, key: &str, asked: u32, granted: u32, now: Instant) {
        if self.leases.len() >= SWEEP_AT {
            self.leases.retain(|_, l| l.until > now);
        }
        let mut lease =
            self.leases.entry(key.to_owned()).or_insert(Lease { left: 0, until: now + LEASE_LIFE, size: 1 });
        if lease.until <= now {
            lease.left = 0;
        }
        lease.left += granted.saturating_sub(1);
        lease.until = now + LEASE_LIFE;
        lease.size = asked.max(1);
    }

    async fn ask(&self, key: &str, rate: Rate, want: u32) -> Result<u32, Duration> {
        let (interval, tolerance) = crate::memory::rate::gcra_params(rate);
        let (answer, answered) = oneshot::channel();
        let check = Check { key: self.keys.rate(key), interval, tolerance, want, answer };
        if self.queue.send(check).await.is_err() {
            return outcome(Err("rate limiter stopped".into()));
        }
        outcome(answered.await.unwrap_or_else(|_| Err("rate limiter dropped a check".into())))
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        let most = (rate.burst / 4).min(MAX_LEASE);
        if most < 2 {
            return self.ask(key, rate, 1).await.map(|_| ());
        }
        let now = Instant::now();
        let want = match self.spend_leased(key, most, now) {
            Ok(()) => return Ok(()),
            Err(want) => want,
        };
        let granted = self.ask(key, rate, want).await?;
        self.store_lease(key, want, granted, now);
        Ok(())
    }

    async fn peek(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        let held = self.leases.get(key).is_some_and(|l| l.left > 0 && l.until > Instant::now());
        if held {
            return Ok(());
        }
        self.ask(key, rate, 0).await.map(|_| ())
    }

    async fn forget(&self, key: &str) {
        self.leases.remove(key);
        let deleted = super::stats::REDIS
            .time(async {
                let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
                deadpool_redis::redis::cmd("DEL")
                    .arg(self.keys.rate(key))
                    .query_async::<i64>(&mut conn)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await;
        if let Err(e) = deleted {
            // The budget then recovers at its own pace, as if nothing had been forgiven.
            tracing::warn!(error = %e, "could not reset a rate budget");
        }
    }
}

/// Takes queued checks in batches, up to [`MAX_IN_FLIGHT`] calls at once, until the limiter is
/// dropped.
async fn answer_checks(pool: RedisPool, mut rx: mpsc::Receiver<Check>) {
    let script = Arc::new(Script::new(GCRA_MANY));
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        let Ok(permit) = in_flight.clone().acquire_owned().await else { return };
        let mut batch = Vec::new();
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let (pool, script) = (pool.clone(), script.clone());
        tokio::spawn(async move {
            let answers = run_batch(&pool, &script, &batch).await;
            for (i, check) in batch.into_iter().enumerate() {
                let answer = match &answers {
                    Ok(waits) => waits.get(i).copied().ok_or_else(|| "short script answer".to_owned()),
                    Err(e) => Err(e.clone()),
                };
                let _ = check.answer.send(answer);
            }
            drop(permit);
        });
    }
}

async fn run_batch(pool: &RedisPool, script: &Script, batch: &[Check]) -> Result<Vec<i64>, String> {
    let mut call = script.prepare_invoke();
    for check in batch {
        call.key(&check.key).arg(check.interval).arg(check.tolerance).arg(check.want);
    }
    super::stats::REDIS
        .time(async {
            let mut conn = pool.get().await.map_err(|e| e.to_string())?;
            call.invoke_async(&mut conn).await.map_err(|e| e.to_string())
        })
        .await
}

/// A script's answer as the port's: a positive number is how many were taken, a negative one
/// the wait in ms.
fn outcome(answer: Result<i64, String>) -> Result<u32, Duration> {
    match answer {
        Ok(taken) if taken > 0 => Ok(u32::try_from(taken).unwrap_or(1)),
        Ok(wait) => Err(Duration::from_millis(wait.unsigned_abs().max(1))),
        // An unreachable Redis must not lock everyone out: fail open, and say so.
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable; allowing");
            Ok(1)
        }
    }
}
