//! W2's figures by second of the run: latency by the second a message was sent in, and the
//! senders' lag by second at a fixed rate.

use serde::Serialize;

/// The messages sent in one second of the run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SecondStats {
    /// Delivered.
    pub n: u64,
    /// Of those, slower than 20 ms.
    pub over_20ms: u64,
    /// Slower than 50 ms.
    pub over_50ms: u64,
    /// The slowest, µs.
    pub max_us: u64,
}

impl SecondStats {
    pub(super) fn record(seconds: &mut Vec<SecondStats>, second: usize, latency_us: u64) {
        if seconds.len() <= second {
            seconds.resize(second + 1, SecondStats::default());
        }
        let s = &mut seconds[second];
        s.n += 1;
        s.over_20ms += u64::from(latency_us > 20_000);
        s.over_50ms += u64::from(latency_us > 50_000);
        s.max_us = s.max_us.max(latency_us);
    }

    pub(super) fn add(seconds: &mut Vec<SecondStats>, other: &[SecondStats]) {
        if seconds.len() < other.len() {
            seconds.resize(other.len(), SecondStats::default());
        }
        for (s, o) in seconds.iter_mut().zip(other) {
            s.n += o.n;
            s.over_20ms += o.over_20ms;
            s.over_50ms += o.over_50ms;
            s.max_us = s.max_us.max(o.max_us);
        }
    }
}

/// `second: n/over 20 ms/over 50 ms/max ms`, one entry per second of the run.
pub fn by_second_summary(seconds: &[SecondStats]) -> String {
    let items: Vec<String> = seconds
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{i}: {}/{}/{}/{:.0}", s.n, s.over_20ms, s.over_50ms, s.max_us as f64 / 1000.0))
        .collect();
    items.join(", ")
}
