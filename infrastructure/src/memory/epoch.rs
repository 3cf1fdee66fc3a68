//! The embedded [`GateEpoch`]: one process takes every write, so a counter in memory is exact.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use tidings_domain::StoreError;
use tidings_domain::ports::GateEpoch;

/// An in-process epoch.
#[derive(Debug, Default)]
pub struct MemoryGateEpoch {
    value: AtomicU64,
}

#[async_trait]
impl GateEpoch for MemoryGateEpoch {
    async fn current(&self) -> Result<u64, StoreError> {
        Ok(self.value.load(Ordering::Acquire))
    }

    async fn bump(&self) -> Result<(), StoreError> {
        self.value.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}
