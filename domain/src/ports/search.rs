//! The full-text index of messages (docs/search-design.md): terms per message, written after
//! commit, asked newest first.

use async_trait::async_trait;

use crate::error::StoreError;
use crate::ids::ConvId;
use crate::search::SearchQuery;

/// One change to the index, in the order the log made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexChange {
    /// Index (or re-index, after an edit) message `seq` of `conv` with `terms`
    /// ([`crate::search::index_text`] of its searchable text).
    Put {
        /// Conversation.
        conv: ConvId,
        /// The message.
        seq: u64,
        /// Its terms, space-separated.
        terms: String,
    },
    /// Take message `seq` of `conv` out (a recall, or an edit that left nothing to search).
    Remove {
        /// Conversation.
        conv: ConvId,
        /// The message.
        seq: u64,
    },
}

impl IndexChange {
    /// The message the change is about.
    pub fn target(&self) -> (&ConvId, u64) {
        match self {
            Self::Put { conv, seq, .. } | Self::Remove { conv, seq } => (conv, *seq),
        }
    }
}

/// A message that matched, with its place in the index (newer entries have higher ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHit {
    /// Position in the index: the cursor of the next page asks below it.
    pub position: u64,
    /// Conversation.
    pub conv: ConvId,
    /// The message.
    pub seq: u64,
}

/// Which conversations a search looks in.
#[derive(Debug, Clone, Copy)]
pub enum SearchScope<'a> {
    /// These (a user's own: what they may read).
    Conversations(&'a [ConvId]),
    /// Every conversation (an administrator's compliance search).
    Everywhere,
}

/// Where message terms are kept and matched.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Applies `changes` in order.
    async fn apply(&self, changes: &[IndexChange]) -> Result<(), StoreError>;
    /// Entries matching every term of `query` within `scope`, newest first, below `before` (a
    /// position, exclusive) when given; at most `limit`.
    async fn search(
        &self,
        query: &SearchQuery,
        scope: SearchScope<'_>,
        before: Option<u64>,
        limit: u64,
    ) -> Result<Vec<IndexHit>, StoreError>;
}

/// How far one indexer has written: every change its instance committed before `through` (Unix
/// ms, give or take the moments between a commit and its observer) is in the index. `beat` is
/// when it last said so; an indexer that stopped beating has died, and what it held is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexerProgress {
    /// The indexer (one per running server process).
    pub writer: String,
    /// Indexed through this time.
    pub through: i64,
    /// Last heard of at this time.
    pub beat: i64,
}

/// What lets indexing catch up after a restart, a crash or dropped changes: each indexer's
/// progress, kept beside the index, and a replay of the log from a time.
#[async_trait]
pub trait SearchRecovery: Send + Sync {
    /// Records `progress` (replacing the writer's last record).
    async fn mark(&self, progress: &IndexerProgress) -> Result<(), StoreError>;
    /// Every indexer's last record.
    async fn progress(&self) -> Result<Vec<IndexerProgress>, StoreError>;
    /// Removes a writer's record once what it held has been replayed.
    async fn forget(&self, writer: &str) -> Result<(), StoreError>;
    /// Re-indexes every message the log changed at or after `since` (Unix ms), from its row as
    /// it is now; answers how many index changes it wrote.
    async fn replay_since(&self, since: i64) -> Result<u64, StoreError>;
}
