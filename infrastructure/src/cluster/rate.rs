//! The cluster [`RateLimiter`]: the same GCRA, as one atomic Lua script in Redis, using Redis's
//! own clock so instances with skewed clocks still agree.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::Pool;
use deadpool_redis::redis::Script;
use tidings_domain::ports::{Rate, RateLimiter};

use super::redis::RedisKeys;

/// Returns 0 when allowed (and records it), else the milliseconds to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then return math.ceil(tat - now - tolerance) end
local new = tat + interval
redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil(new - now) + 1)
return 0";

/// The same test as [`GCRA`] without recording anything.
const GCRA_PEEK: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tolerance = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then return math.ceil(tat - now - tolerance) end
return 0";

/// Limits shared by every instance.
pub struct RedisRateLimiter {
    pool: Pool,
    keys: RedisKeys,
    script: Script,
    peek: Script,
}

impl RedisRateLimiter {
    /// Uses `pool` and the key layout `keys`.
    pub fn new(pool: Pool, keys: RedisKeys) -> Self {
        Self { pool, keys, script: Script::new(GCRA), peek: Script::new(GCRA_PEEK) }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        let (interval, tolerance) = crate::memory::rate::gcra_params(rate);
        let mut call = self.script.key(self.keys.rate(key));
        call.arg(interval).arg(tolerance);
        outcome(self.run(&call).await)
    }

    async fn peek(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        let (_, tolerance) = crate::memory::rate::gcra_params(rate);
        let mut call = self.peek.key(self.keys.rate(key));
        call.arg(tolerance);
        outcome(self.run(&call).await)
    }
}

impl RedisRateLimiter {
    async fn run(&self, call: &deadpool_redis::redis::ScriptInvocation<'_>) -> Result<i64, String> {
        super::stats::REDIS
            .time(async {
                let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
                call.invoke_async(&mut conn).await.map_err(|e| e.to_string())
            })
            .await
    }
}

/// A script's answer as the port's: 0 allows, a positive number is the wait in ms.
fn outcome(wait: Result<i64, String>) -> Result<(), Duration> {
    match wait {
        Ok(0) => Ok(()),
        Ok(ms) => Err(Duration::from_millis(u64::try_from(ms).unwrap_or(1))),
        // An unreachable Redis must not lock everyone out: fail open, and say so.
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable; allowing");
            Ok(())
        }
    }
}
