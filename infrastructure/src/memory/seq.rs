//! Per-conversation seq counters in memory, seeded lazily from the log's `MAX(seq)`.

use std::sync::Arc;

use async_trait::async_trait;
use dashmap::DashMap;
use tidings_domain::ports::{MessageStore, SeqAllocator};
use tidings_domain::{ConvId, StoreError};

/// Counters for a single instance. After a restart each conversation re-seeds from storage on
/// first use, so seqs continue without reuse.
pub struct MemorySeqAllocator {
    /// Last seq handed out, per conversation.
    last: DashMap<ConvId, u64>,
    store: Arc<dyn MessageStore>,
}

impl MemorySeqAllocator {
    /// Counters backed by the given log for seeding.
    pub fn new(store: Arc<dyn MessageStore>) -> Self {
        Self { last: DashMap::new(), store }
    }
}

#[async_trait]
impl SeqAllocator for MemorySeqAllocator {
    async fn allocate(&self, conv: &ConvId, n: u64) -> Result<u64, StoreError> {
        if !self.last.contains_key(conv) {
            let seed = self.store.max_seq(conv).await?;
            self.last.entry(conv.clone()).or_insert(seed);
        }
        let mut last = self.last.entry(conv.clone()).or_insert(0);
        let first = *last + 1;
        *last += n;
        Ok(first)
    }

    async fn allocate_many(&self, wanted: &[(ConvId, u64)]) -> Result<Vec<u64>, StoreError> {
        // Counters not seen since start are seeded together: one lookup for the batch, not one
        // per new conversation.
        let unseeded: Vec<ConvId> =
            wanted.iter().filter(|(conv, _)| !self.last.contains_key(conv)).map(|(conv, _)| conv.clone()).collect();
        if !unseeded.is_empty() {
            let seeds = self.store.max_seqs(&unseeded).await?;
            for (conv, seed) in unseeded.into_iter().zip(seeds) {
                self.last.entry(conv).or_insert(seed);
            }
        }
        let mut firsts = Vec::with_capacity(wanted.len());
        for (conv, n) in wanted {
            firsts.push(self.allocate(conv, *n).await?);
        }
        Ok(firsts)
    }

    async fn reseed(&self, conv: &ConvId, floor: u64) -> Result<(), StoreError> {
        let mut last = self.last.entry(conv.clone()).or_insert(floor);
        *last = (*last).max(floor);
        Ok(())
    }
}
