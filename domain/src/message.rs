//! Messages and the acknowledgement a sender gets for one.

use crate::ids::{ConvId, UserId};

/// A persisted message: one entry of a conversation's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Conversation.
    pub conv: ConvId,
    /// Position in the conversation's log.
    pub seq: u64,
    /// Globally unique id (ULID).
    pub msg_id: String,
    /// Author.
    pub sender: UserId,
    /// The author's id for the message, unique per author (dedupe key).
    pub client_msg_id: String,
    /// Kind, e.g. `text`.
    pub kind: String,
    /// Kind-specific body as compact JSON text.
    pub body: String,
    /// Persist time, ms since epoch.
    pub ts: i64,
}

impl Message {
    /// The acknowledgement the sender gets for this message.
    pub fn ack(&self, duplicate: bool) -> Ack {
        Ack {
            conv: self.conv.clone(),
            seq: self.seq,
            msg_id: self.msg_id.clone(),
            client_msg_id: self.client_msg_id.clone(),
            ts: self.ts,
            duplicate,
        }
    }
}

/// What a sender learns once its message is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Conversation.
    pub conv: ConvId,
    /// Assigned seq.
    pub seq: u64,
    /// Assigned id.
    pub msg_id: String,
    /// The sender's id for it.
    pub client_msg_id: String,
    /// Persist time (ms).
    pub ts: i64,
    /// True when the message had already been stored by an earlier send.
    pub duplicate: bool,
}

/// Message kinds a client may send.
pub const USER_KINDS: &[&str] = &["text", "image", "file", "voice", "video", "custom"];

/// Kind of a recall notice: a system message recording that a message was recalled.
pub const RECALL_KIND: &str = "recall";

/// Kind a recalled message takes in the log; its body is then `{}`.
pub const RECALLED_KIND: &str = "recalled";

/// Recalled body: the original is erased.
pub const RECALLED_BODY: &str = "{}";

/// Kinds that never count as unread: a recall notice and the recalled message itself.
pub const NOT_UNREAD_KINDS: &[&str] = &[RECALL_KIND, RECALLED_KIND];

/// Whether clients may send this kind, and so whether a message of it may be recalled (system
/// messages and already recalled ones may not).
pub fn is_user_kind(kind: &str) -> bool {
    USER_KINDS.contains(&kind)
}

/// A fresh message id (`m_` + ULID, so ids sort by creation time).
pub fn generate_msg_id() -> String {
    format!("m_{}", ulid::Ulid::new())
}
