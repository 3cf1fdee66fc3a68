//! Answers remembered under a [`GateEpoch`]: each entry carries the epoch it was read under and
//! is trusted only while the epoch stands still. Writers move the epoch on after their write
//! reached storage, so a reader never trusts an answer older than a finished write. In embedded
//! mode the epoch is a counter in memory; in a cluster it is one Redis key, read once for many
//! concurrent callers. Used for the gates every send checks (direct and group).

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use tidings_domain::StoreError;
use tidings_domain::ports::GateEpoch;

/// Entries remembered before the memory starts over.
const CAP: usize = 200_000;

/// The longest an entry is trusted. Only matters if an instance died between a write and its
/// epoch bump, or the bump failed: the epoch then stood still over a change.
const MAX_AGE: Duration = Duration::from_secs(30);

struct Remembered<V> {
    epoch: u64,
    value: V,
    read_at: Instant,
}

/// A map of answers valid under one epoch.
pub struct EpochCache<K, V> {
    epoch: Arc<dyn GateEpoch>,
    entries: DashMap<K, Remembered<V>>,
    /// What the writes are, for the log if moving the epoch on fails.
    writes: &'static str,
}

impl<K: Eq + Hash, V: Clone> EpochCache<K, V> {
    /// An empty cache under `epoch`, which every process writing to the same storage must share;
    /// `writes` names the writes that move it on (for the log).
    pub fn new(epoch: Arc<dyn GateEpoch>, writes: &'static str) -> Self {
        Self { epoch, entries: DashMap::new(), writes }
    }

    /// The answer for `key`: remembered if it was read under the current epoch, else `read`.
    pub async fn get_or_read<F, Fut>(&self, key: K, read: F) -> Result<V, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, StoreError>>,
    {
        // Read before the answer, so an answer remembered under this epoch was read after every
        // write that finished before the epoch was.
        let epoch = self.epoch.current().await?;
        if let Some(seen) = self.entries.get(&key)
            && seen.epoch == epoch
            && seen.read_at.elapsed() < MAX_AGE
        {
            return Ok(seen.value.clone());
        }
        let value = read().await?;
        if self.entries.len() >= CAP {
            self.entries.clear();
        }
        self.entries.insert(key, Remembered { epoch, value: value.clone(), read_at: Instant::now() });
        Ok(value)
    }

    /// Passes on a write's outcome after moving the epoch on, whatever the outcome was (a failed
    /// write may still have reached storage).
    pub async fn after_write<T>(&self, outcome: T) -> T {
        if let Err(e) = self.epoch.bump().await {
            // Exact here at least; other instances catch up within MAX_AGE.
            self.entries.clear();
            tracing::error!(error = %e, "could not move the gate epoch on after {}", self.writes);
        }
        outcome
    }
}
