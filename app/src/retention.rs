//! The retention job: every interval, messages older than the configured age are purged (each
//! conversation's floor, `min_seq`, moves up), then every registered [`Purger`] (media, for
//! one) trims with the same cutoff. Every instance may run it: the store's deletes are
//! idempotent and bounded, and a floor never moves down.

use std::sync::Arc;
use std::time::Duration;

use tidings_domain::retention::{Purger, RetentionStore};
use tracing::Instrument;

use crate::clock::now_ms;

/// Job settings.
#[derive(Debug, Clone, Copy)]
pub struct RetentionConfig {
    /// Messages older than this are purged (must be positive: a zero age means no job at all).
    pub max_age: Duration,
    /// Time between passes.
    pub interval: Duration,
    /// Rows per delete statement.
    pub batch: u64,
}

/// The background purge.
pub struct RetentionJob {
    store: Arc<dyn RetentionStore>,
    purgers: Vec<Arc<dyn Purger>>,
    config: RetentionConfig,
}

impl RetentionJob {
    /// A job over the message store and the extra purgers (may be empty).
    pub fn new(store: Arc<dyn RetentionStore>, purgers: Vec<Arc<dyn Purger>>, config: RetentionConfig) -> Self {
        Self { store, purgers, config }
    }

    /// Runs a pass every interval on the current tokio runtime, until the runtime ends.
    pub fn spawn(self) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.config.interval.max(Duration::from_millis(100)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.pass().await;
            }
        });
    }

    /// One pass: messages first, then the other purgers. Failures are logged and retried at the
    /// next pass.
    pub async fn pass(&self) {
        let age_ms = i64::try_from(self.config.max_age.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now_ms().saturating_sub(age_ms);
        self.purge(cutoff).instrument(tracing::info_span!("retention", cutoff)).await;
    }

    async fn purge(&self, cutoff: i64) {
        match self.store.purge_messages_before(cutoff, self.config.batch).await {
            Ok(r) if r.deleted > 0 => {
                tracing::info!(deleted = r.deleted, conversations = r.conversations, "old messages purged");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "message purge failed; retried next pass"),
        }
        for purger in &self.purgers {
            match purger.purge_before(cutoff).await {
                Ok(r) if r.deleted > 0 => tracing::info!(purger = purger.name(), deleted = r.deleted, "purged"),
                Ok(_) => {}
                Err(e) => tracing::warn!(purger = purger.name(), error = %e, "purge failed; retried next pass"),
            }
        }
    }
}
