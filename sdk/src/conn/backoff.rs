//! Reconnect delays: exponential from an initial delay up to a cap, with "equal jitter" (a
//! random point in the upper half) so a crowd of clients cut off together does not return
//! together.

use std::time::Duration;

use rand::Rng as _;

/// Delay generator for one run of failures.
#[derive(Debug)]
pub(crate) struct Backoff {
    initial_ms: u64,
    max_ms: u64,
    failures: u32,
}

impl Backoff {
    /// Starts at `initial_ms`, never above `max_ms`.
    pub(crate) fn new(initial_ms: u64, max_ms: u64) -> Self {
        Self { initial_ms: initial_ms.max(1), max_ms: max_ms.max(initial_ms.max(1)), failures: 0 }
    }

    /// The delay before the next attempt; each call doubles the ceiling.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let ceiling = self.initial_ms.saturating_mul(1u64 << self.failures.min(20)).min(self.max_ms);
        self.failures = self.failures.saturating_add(1);
        let half = ceiling / 2;
        Duration::from_millis(half + rand::rng().random_range(0..=ceiling - half))
    }

    /// A connection succeeded: start over from the initial delay.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn delays_grow_stay_in_the_upper_half_and_are_capped() {
        let mut b = Backoff::new(100, 1_000);
        for ceiling in [100u64, 200, 400, 800, 1_000, 1_000, 1_000] {
            let d = u64::try_from(b.next_delay().as_millis()).unwrap_or(u64::MAX);
            assert!(d >= ceiling / 2 && d <= ceiling, "{d} not in [{}, {ceiling}]", ceiling / 2);
        }
        b.reset();
        let d = b.next_delay().as_millis();
        assert!((50..=100).contains(&d), "after reset: {d}");
    }

    #[test]
    fn jitter_spreads_clients() {
        let delays: std::collections::HashSet<u128> =
            (0..50).map(|_| Backoff::new(10_000, 10_000).next_delay().as_millis()).collect();
        assert!(delays.len() > 10, "50 clients got only {} distinct delays", delays.len());
    }
}
