//! A histogram whose buckets are counted elsewhere (plain atomics in `app`, which knows nothing
//! of Prometheus) and copied in at each scrape, then encoded like any OpenMetrics histogram.

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

/// The last copy of the counts: sum (seconds), count, and `(upper bound, count in that bucket)`
/// (the encoder makes them cumulative).
#[derive(Debug, Default)]
struct Snapshot {
    sum: f64,
    count: u64,
    buckets: Vec<(f64, u64)>,
}

/// A histogram mirrored from outside counts; clones share the same counts.
#[derive(Debug, Clone, Default)]
pub struct MirroredHistogram {
    snapshot: Arc<Mutex<Snapshot>>,
}

impl MirroredHistogram {
    /// Copies in per-bucket counts (not cumulative): `counts[i]` for values at most
    /// `bounds_us[i]` microseconds, the last entry for those over every bound; `sum_us` in µs.
    pub fn set(&self, bounds_us: &[u64], counts: &[u64], sum_us: u64) {
        let buckets = counts
            .iter()
            .enumerate()
            .map(|(i, &count)| (bounds_us.get(i).map_or(f64::INFINITY, |&us| us as f64 / 1e6), count))
            .collect();
        let mut snapshot = self.snapshot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *snapshot = Snapshot { sum: sum_us as f64 / 1e6, count: counts.iter().sum(), buckets };
    }
}

impl EncodeMetric for MirroredHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let snapshot = self.snapshot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        encoder.encode_histogram::<NoLabelSet>(snapshot.sum, snapshot.count, &snapshot.buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;
    use prometheus_client::registry::Registry;

    #[test]
    fn buckets_are_cumulative_in_seconds() {
        let mut registry = Registry::with_prefix("t");
        let histogram = MirroredHistogram::default();
        registry.register("commit_batch_seconds", "test", histogram.clone());
        histogram.set(&[1_000, 10_000], &[3, 1, 2], 40_000);
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        assert!(out.contains("t_commit_batch_seconds_bucket{le=\"0.001\"} 3"), "{out}");
        assert!(out.contains("t_commit_batch_seconds_bucket{le=\"0.01\"} 4"), "{out}");
        assert!(out.contains("t_commit_batch_seconds_bucket{le=\"+Inf\"} 6"), "{out}");
        assert!(out.contains("t_commit_batch_seconds_count 6"), "{out}");
        assert!(out.contains("t_commit_batch_seconds_sum 0.04"), "{out}");
    }
}
