//! The thread index: written by the message store in the commit of each thread reply (and
//! trimmed by a recall), read here for thread pages, root summaries, read positions and the
//! conversation list's `threads` count.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::error::StoreError;
use crate::ids::{ConvId, UserId};
use crate::thread::{ThreadSummary, UnreadThread};

/// Reads of the thread index, and the followers' read positions.
#[async_trait]
pub trait ThreadStore: Send + Sync {
    /// The summaries of those of `roots` (seqs of `conv`) that have replies, in one query.
    async fn summaries(&self, conv: &ConvId, roots: &[u64]) -> Result<HashMap<u64, ThreadSummary>, StoreError>;
    /// Seqs of the replies of `root` below `before`, newest first, at most `limit`.
    async fn reply_seqs(&self, conv: &ConvId, root: u64, before: u64, limit: u64) -> Result<Vec<u64>, StoreError>;
    /// Raises `user`'s read position in the thread of `root` to `seq`; the position after the
    /// call, or `None` when the user does not follow that thread.
    async fn mark_read(&self, conv: &ConvId, root: u64, user: &UserId, seq: u64) -> Result<Option<u64>, StoreError>;
    /// The threads `user` follows in `convs` that hold replies by others past the user's read
    /// position, one query for the page.
    async fn unread(&self, user: &UserId, convs: &[ConvId]) -> Result<Vec<UnreadThread>, StoreError>;
}
