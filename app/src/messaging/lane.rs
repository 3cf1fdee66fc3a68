//! Turns at the database for the background writers.
//!
//! SQLite lets one transaction write at a time, and a writer that finds the database locked
//! sleeps in its busy handler (1 ms, 2 ms, 5 ms, ... up to 100 ms) before it tries again. The
//! commit pipeline and the read-position writer would race like that under load, so on SQLite
//! they take turns on one lane instead, in arrival order. Databases with row locks need no lane.

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard};

/// A lane shared by the writers, or none.
#[derive(Clone, Default)]
pub struct WriteLane(Option<Arc<Mutex<()>>>);

impl WriteLane {
    /// One lane: its holders write one after another.
    pub fn shared() -> Self {
        Self(Some(Arc::new(Mutex::new(()))))
    }

    /// No lane: writers go straight to the database.
    pub fn none() -> Self {
        Self(None)
    }

    /// Waits for this writer's turn; the turn lasts as long as the returned guard.
    pub async fn turn(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.0 {
            Some(lane) => Some(lane.lock().await),
            None => None,
        }
    }
}
