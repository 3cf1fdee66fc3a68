//! The embedded [`RateLimiter`]: GCRA with the "theoretical arrival time" of each key in memory.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use dashmap::DashMap;
use tidings_domain::ports::{Rate, RateLimiter};

/// Keys idle this long are forgotten when the map is swept.
const SWEEP_AT: usize = 100_000;

/// Limits in process.
pub struct MemoryRateLimiter {
    start: Instant,
    /// Per key: the theoretical arrival time of the next request, in ms since `start`.
    tat: DashMap<String, f64>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self { start: Instant::now(), tat: DashMap::new() }
    }
}

impl MemoryRateLimiter {
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }
}

/// GCRA's emission interval and burst tolerance for `rate`, in ms (shared with the Redis limiter).
pub(crate) fn gcra_params(rate: Rate) -> (f64, f64) {
    let interval = 1000.0 / rate.per_sec.max(f64::MIN_POSITIVE);
    (interval, interval * f64::from(rate.burst.max(1) - 1))
}

/// The GCRA step: given the stored arrival time, either the new
/// one or the wait.
pub(crate) fn gcra(tat: f64, now: f64, rate: Rate) -> Result<f64, Duration> {
    let (interval, tolerance) = gcra_params(rate);
    let tat = tat.max(now);
    if tat - now > tolerance {
        return Err(Duration::from_millis((tat - now - tolerance).ceil() as u64));
    }
    Ok(tat + interval)
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        let now = self.now_ms();
        if self.tat.len() > SWEEP_AT {
            self.tat.retain(|_, tat| *tat > now);
        }
        let mut entry = self.tat.entry(key.to_owned()).or_insert(now);
        *entry = gcra(*entry, now, rate)?;
        Ok(())
    }

    async fn peek(&self, key: &str, rate: Rate) -> Result<(), Duration> {
        let now = self.now_ms();
        let tat = self.tat.get(key).map_or(now, |t| *t);
        gcra(tat, now, rate).map(|_| ())
    }

    async fn forget(&self, key: &str) {
        self.tat.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let rate = Rate { per_sec: 2.0, burst: 3 };
        let mut tat = 0.0;
        for _ in 0..3 {
            tat = gcra(tat, 0.0, rate).unwrap();
        }
        let wait = gcra(tat, 0.0, rate).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(gcra(tat, 500.0, rate).is_ok(), "one more fits after the wait");
    }

    #[tokio::test]
    async fn peek_tells_without_spending() {
        let limiter = MemoryRateLimiter::default();
        let rate = Rate { per_sec: 0.001, burst: 2 };
        for _ in 0..5 {
            assert!(limiter.peek("k", rate).await.is_ok());
        }
        assert!(limiter.check("k", rate).await.is_ok());
        assert!(limiter.peek("k", rate).await.is_ok(), "one of two spent");
        assert!(limiter.check("k", rate).await.is_ok());
        assert!(limiter.peek("k", rate).await.is_err(), "both spent");
        assert!(limiter.peek("other", rate).await.is_ok(), "keys are separate");
    }
}
