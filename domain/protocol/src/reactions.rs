//! Reactions on the wire: the totals a message carries on read paths, and the REST request
//! that turns one on or off (the WebSocket `react` frame carries the same fields).

use serde::{Deserialize, Serialize};

/// One emoji's total on a message, as the reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireReaction {
    /// The emoji.
    pub emoji: String,
    /// How many users have it on.
    pub count: u64,
    /// The reader is one of them.
    pub me: bool,
}

/// `POST /api/v1/conversations/{conv}/messages/{seq}/reactions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactRequest {
    /// The emoji: 1 to 64 bytes of UTF-8, no whitespace or control characters.
    pub emoji: String,
    /// `true` to add it, `false` to take it back.
    pub on: bool,
}
