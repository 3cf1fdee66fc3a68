//! Read receipts of one message in a conversation.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/conversations/{conv}/messages/{seq}/reads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadReceipts {
    /// Current members (not the sender) whose read position reached the message, by user id.
    pub read_by: Vec<String>,
    /// `read_by`'s length.
    pub count: u64,
    /// Current members (not the sender) who can see the message and have not read it.
    pub unread_count: u64,
}
