//! Editing a text message over REST and the list of the bodies it has had. The WebSocket side
//! is the `edit` frame ([`crate::ClientFrame::Edit`]); both answer with the ack of the `edit`
//! entry written to the log.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/conversations/{conv}/messages/{seq}/edit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditRequest {
    /// The new text body, checked like a sent `text` body; `reply_to` is kept from the original.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// One body a message has had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditVersion {
    /// 1 for the original, then one more per edit.
    pub version: u32,
    /// The body as it was.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
    /// For the original: when it was sent (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// For an edited version: when the edit was made (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
}

/// `GET /api/v1/conversations/{conv}/messages/{seq}/edits`: oldest first, the current body last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditVersions {
    /// The versions; empty for a recalled message (a recall erases them all).
    pub versions: Vec<EditVersion>,
}
