//! Calls to Redis and RabbitMQ on the message path, counted for `/metrics`: how many, how many
//! failed, and the time they took. Process-wide atomics (one process serves one instance; a
//! test process running several instances sees their sum).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Counters of one kind of call.
#[derive(Debug)]
pub struct CallStats {
    calls: AtomicU64,
    errors: AtomicU64,
    micros: AtomicU64,
}

impl CallStats {
    const fn new() -> Self {
        Self { calls: AtomicU64::new(0), errors: AtomicU64::new(0), micros: AtomicU64::new(0) }
    }

    /// Runs `call`, counting it, its failure, and its duration.
    pub async fn time<T, E>(&self, call: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        let started = Instant::now();
        let outcome = call.await;
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
        if outcome.is_err() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        outcome
    }

    /// Counts a call that failed before it could be made (no connection).
    pub fn failed(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// `(calls, errors, microseconds)` since start.
    pub fn read(&self) -> (u64, u64, u64) {
        (self.calls.load(Ordering::Relaxed), self.errors.load(Ordering::Relaxed), self.micros.load(Ordering::Relaxed))
    }
}

/// Redis round trips on the message path: route lookups, seq allocation, the dedupe cache and
/// rate-limit checks.
pub static REDIS: CallStats = CallStats::new();

/// Publishes of pushes to other instances' queues.
pub static AMQP_PUBLISH: CallStats = CallStats::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_calls_errors_and_time() {
        let stats = CallStats::new();
        let ok: Result<u8, ()> = stats.time(async { Ok(1) }).await;
        assert_eq!(ok, Ok(1));
        let failed: Result<u8, &str> = stats.time(async { Err("down") }).await;
        assert!(failed.is_err());
        let (calls, errors, _) = stats.read();
        assert_eq!((calls, errors), (2, 1));
    }
}
