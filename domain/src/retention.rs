//! Retention: messages (and media) older than a configured age are deleted by a background job.
//! Each conversation keeps a floor, `min_seq`, the lowest seq still kept, so a client asking
//! for history below it learns the history was trimmed rather than lost.

use async_trait::async_trait;

use crate::error::StoreError;

/// What one purge pass removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeReport {
    /// Rows (or objects) deleted.
    pub deleted: u64,
    /// Conversations whose floor moved (0 for purgers that are not per conversation).
    pub conversations: u64,
}

/// Deletes old messages and records each conversation's floor. Idempotent and bounded, so every
/// instance of a cluster may run it: two passes at once delete nothing twice and never lower a
/// floor.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes messages with a timestamp before `cutoff_ms`, from the low end of each
    /// conversation's log up to its first newer message, at most `batch` rows per statement,
    /// and raises the conversation's `min_seq` to the lowest seq kept.
    async fn purge_messages_before(&self, cutoff_ms: i64, batch: u64) -> Result<PurgeReport, StoreError>;
}

/// Anything else the retention job should trim with the same cutoff (media files, say). The
/// job calls every registered purger once per pass, after the messages.
#[async_trait]
pub trait Purger: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &str;
    /// Deletes what is older than `cutoff_ms`.
    async fn purge_before(&self, cutoff_ms: i64) -> Result<PurgeReport, StoreError>;
}
