//! Pinned messages of a conversation.

use async_trait::async_trait;

use crate::error::StoreError;
use crate::ids::{ConvId, UserId};

/// One pinned message: which, by whom, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Seq of the pinned message.
    pub seq: u64,
    /// Who pinned it.
    pub by: UserId,
    /// When (ms).
    pub at: i64,
}

/// The current pins of every conversation. The log holds each change as a `pin` entry; this
/// is the state those entries leave, so a listing needs no replay.
#[async_trait]
pub trait PinStore: Send + Sync {
    /// Pins `pin.seq` in `conv`; false when it was pinned already (nothing changed).
    async fn pin(&self, conv: &ConvId, pin: &Pin) -> Result<bool, StoreError>;
    /// Unpins `seq`; false when it was not pinned.
    async fn unpin(&self, conv: &ConvId, seq: u64) -> Result<bool, StoreError>;
    /// Every pin of `conv`, the most recent first.
    async fn pins(&self, conv: &ConvId) -> Result<Vec<Pin>, StoreError>;
}
