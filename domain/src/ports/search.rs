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

/// Where message terms are kept and matched.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Applies `changes` in order.
    async fn apply(&self, changes: &[IndexChange]) -> Result<(), StoreError>;
    /// Entries matching every term of `query` in the conversations `convs`, newest first,
    /// below `before` (a position, exclusive) when given; at most `limit`.
    async fn search(
        &self,
        query: &SearchQuery,
        convs: &[ConvId],
        before: Option<u64>,
        limit: u64,
    ) -> Result<Vec<IndexHit>, StoreError>;
}
