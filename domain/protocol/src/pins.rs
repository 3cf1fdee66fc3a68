//! Pinned messages of a conversation.

use serde::{Deserialize, Serialize};

use crate::WireMessage;

/// `POST /api/v1/conversations/{conv}/pins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinRequest {
    /// Seq of the message to pin.
    pub seq: u64,
}

/// One pinned message, as it is now (a recalled message is unpinned with its recall).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinnedMessage {
    /// The message.
    pub message: WireMessage,
    /// Who pinned it.
    pub pinned_by: String,
    /// When (ms since epoch).
    pub pinned_at: i64,
}

/// `GET /api/v1/conversations/{conv}/pins`: the most recently pinned first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinList {
    /// The pinned messages the caller can see.
    pub pins: Vec<PinnedMessage>,
}
