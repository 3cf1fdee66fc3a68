//! Change counters in memory (embedded mode: every device is connected to this process).

use async_trait::async_trait;
use dashmap::DashMap;
use tidings_domain::ports::ChangeCounter;
use tidings_domain::{StoreError, UserId};

/// Per-user change counters of one process; they start from 0 at each start (a device sees the
/// move and syncs, as it would after any restart).
#[derive(Default)]
pub struct MemoryChangeCounter {
    counts: DashMap<UserId, u64>,
}

impl MemoryChangeCounter {
    /// Moves each user's counter by their count.
    pub fn bump(&self, counts: &[(&UserId, u64)]) {
        for &(user, n) in counts {
            // A user seen before costs no allocation.
            match self.counts.get_mut(user) {
                Some(mut count) => *count += n,
                None => *self.counts.entry(user.clone()).or_default() += n,
            }
        }
    }
}

#[async_trait]
impl ChangeCounter for MemoryChangeCounter {
    async fn current(&self, user: &UserId) -> Result<u64, StoreError> {
        Ok(self.counts.get(user).map_or(0, |n| *n))
    }
}
