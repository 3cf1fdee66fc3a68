//! Time as the rules see it: token and session expiry, recall windows, mutes, the conversation
//! list's settle time, message timestamps. A port, so a test moves time forward instead of
//! sleeping until a rule changes its answer.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current time, in the units the domain stores.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// Whole seconds since the Unix epoch (token expiry is in seconds).
    fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

/// The machine's wall clock: what every server runs on.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        wall_ms()
    }
}

/// The wall clock plus an offset that only moves forward when told to. A test server runs on
/// one (it reads like the wall clock until a test calls [`ShiftedClock::advance`]), so a story
/// that needs a token to expire or a recall window to close skips ahead instead of sleeping.
/// Tokio timers (heartbeats, retries, the retention interval) do not follow it.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl ShiftedClock {
    /// Moves this clock `by` into the future, for everyone who reads it.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(by, Ordering::Relaxed);
    }
}

impl Clock for ShiftedClock {
    fn now_ms(&self) -> i64 {
        wall_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }
}

fn wall_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_reads_the_wall_clock_until_advanced() {
        let clock = ShiftedClock::default();
        let wall = SystemClock.now_ms();
        let read = clock.now_ms();
        assert!((read - wall).abs() < 1_000, "{read} vs {wall}");
        clock.advance(Duration::from_secs(90));
        let moved = clock.now_ms() - SystemClock.now_ms();
        assert!((89_000..=91_000).contains(&moved), "moved by {moved} ms");
        assert_eq!(clock.now_secs(), clock.now_ms().div_euclid(1000));
    }
}
