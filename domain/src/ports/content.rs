//! Where word lists and flagged content are kept, and the business system's before-send hook
//! (`crate::content`).

use async_trait::async_trait;

use crate::content::{FilterList, FilterStamp, FlaggedContent, HookCall, HookDecision, HookFailure};
use crate::error::StoreError;

/// The administrators' word lists.
#[async_trait]
pub trait FilterStore: Send + Sync {
    /// Every list's id and last change, ordered by id: what an instance polls.
    async fn stamps(&self) -> Result<Vec<FilterStamp>, StoreError>;
    /// Every list with its words.
    async fn all(&self) -> Result<Vec<FilterList>, StoreError>;
    /// One list.
    async fn get(&self, id: &str) -> Result<Option<FilterList>, StoreError>;
    /// Creates or replaces a list (by id). `Ok(false)`: the name is another list's.
    async fn put(&self, list: &FilterList) -> Result<bool, StoreError>;
    /// Deletes a list; `Ok(false)` if there was none.
    async fn delete(&self, id: &str) -> Result<bool, StoreError>;
}

/// Content that a Flag list matched, for review.
#[derive(Debug, Clone, Copy)]
pub struct FlagQuery {
    /// Entries with ids below this one (the cursor).
    pub before: Option<u64>,
    /// At most this many.
    pub limit: u64,
}

/// The review list of flagged content.
#[async_trait]
pub trait FlagStore: Send + Sync {
    /// Appends an entry (its `id` is assigned) and answers the id.
    async fn record(&self, flagged: &FlaggedContent) -> Result<u64, StoreError>;
    /// Entries newest first.
    async fn list(&self, query: FlagQuery) -> Result<Vec<FlaggedContent>, StoreError>;
}

/// The business system's before-send check, one call per send or edit.
#[async_trait]
pub trait SendHook: Send + Sync {
    /// Asks about one send and waits for the decision (bounded by the hook's timeout).
    async fn before_send(&self, call: &HookCall) -> Result<HookDecision, HookFailure>;
}
