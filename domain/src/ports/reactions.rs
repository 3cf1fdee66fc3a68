//! The current reactions of messages: written by the message store in the transaction of each
//! `reaction` entry (so the table always equals the log's entries applied in seq order), read
//! here by the reaction use case and the read paths.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::error::StoreError;
use crate::ids::{ConvId, UserId};
use crate::reaction::{ReactionCount, ReactionStanding};

/// Reads of the reactions table.
#[async_trait]
pub trait ReactionStore: Send + Sync {
    /// Where `user`'s `emoji` on message `seq` stands, and which emoji anyone has on for it:
    /// everything a reaction request decides on, in one read.
    async fn standing(
        &self,
        conv: &ConvId,
        seq: u64,
        emoji: &str,
        user: &UserId,
    ) -> Result<ReactionStanding, StoreError>;
    /// The totals per emoji of each of `targets` as `reader` sees them (`me`), in one query
    /// per page; targets without reactions are left out. Emoji come most used first, then by
    /// the first time they were turned on.
    async fn counts(
        &self,
        reader: &UserId,
        targets: &[(ConvId, u64)],
    ) -> Result<HashMap<(ConvId, u64), Vec<ReactionCount>>, StoreError>;
}
