//! WebSocket frames: JSON text frames, each an object with a `type`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message as the wire shows it, in pushes, sync results and REST history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireMessage {
    /// Conversation id (`d:{lo}:{hi}` or `g:{group_id}`).
    pub conv: String,
    /// Position in the conversation, 1-based, gap-free except for settled holes.
    pub seq: u64,
    /// Server-wide unique message id (ULID).
    pub msg_id: String,
    /// The sending user.
    pub sender: String,
    /// The sender's own id for the message, used for dedupe.
    pub client_msg_id: String,
    /// `text`, `custom`, ... (see docs/protocol.md).
    pub kind: String,
    /// Kind-specific body, e.g. `{"text": "hi"}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: Value,
    /// Server time of persisting, milliseconds since the Unix epoch.
    pub ts: i64,
    /// When the body was last replaced by an `edit` (ms); absent if never edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    /// The message's reactions, most used first, on history, sync and the list's
    /// `last_message`; left out when there are none (and on pushes, where the `reaction`
    /// entries themselves tell the change).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<crate::WireReaction>,
    /// The summary of the thread this message is the root of, on history, sync and thread
    /// pages; left out when it has no replies (and on pushes, where the replies tell the change).
    /// Boxed: most messages are no root, and frames stay small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Box<crate::WireThread>>,
}

/// A frame sent by a client. Fields the server does not know are ignored, so a newer client
/// can add an optional field without breaking an older server (docs/protocol.md, Evolution).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames)]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ClientFrame {
    /// Send a message; answered by `ack` (or `error`) with the same `id`.
    Send {
        /// Request id chosen by the client, echoed in the answer.
        id: String,
        /// Target conversation.
        conv: String,
        /// The client's own unique id for this message (retries reuse it).
        client_msg_id: String,
        /// Message kind.
        kind: String,
        /// Kind-specific body.
        body: Value,
    },
    /// Fetch messages after a seq; answered by `sync_result`.
    Sync {
        /// Request id, echoed.
        id: String,
        /// Conversation to read.
        conv: String,
        /// Return messages with seq strictly greater than this.
        after_seq: u64,
        /// Page size; the server caps it.
        #[serde(default)]
        limit: Option<u32>,
    },
    /// Mark everything up to `seq` as read.
    Read {
        /// Conversation.
        conv: String,
        /// Last read seq.
        seq: u64,
    },
    /// Recall a message; answered by `ack` (of the `recall` notice written to the log) or `error`.
    Recall {
        /// Request id, echoed.
        id: String,
        /// Conversation.
        conv: String,
        /// Seq of the message to recall.
        seq: u64,
    },
    /// Edit an own text message; answered by `ack` (of the `edit` entry written to the log) or `error`.
    Edit {
        /// Request id, echoed.
        id: String,
        /// Conversation.
        conv: String,
        /// Seq of the message to edit.
        seq: u64,
        /// The new text body (`reply_to` is kept from the original whatever this says).
        body: Value,
    },
    /// Turn an emoji on or off on a message; answered by `ack` (of the `reaction` entry written
    /// to the log; `duplicate: true` when nothing changed) or `error`.
    React {
        /// Request id, echoed.
        id: String,
        /// Conversation.
        conv: String,
        /// Seq of the message reacted to.
        seq: u64,
        /// The emoji (1 to 64 bytes of UTF-8, no whitespace or control characters).
        emoji: String,
        /// `true` to add it, `false` to take it back.
        on: bool,
    },
    /// Application-level keepalive; answered by `pong`.
    Ping {},
    /// Replace this connection's presence subscriptions; answered by one `presence` frame per
    /// user with the current state, then a `presence` frame whenever one comes online or goes offline.
    PresenceSub {
        /// Request id, echoed in an `error` if the request is refused.
        id: String,
        /// Users to watch (bounded by `ws.max_presence_subs`; empty clears the set).
        users: Vec<String>,
    },
    /// The user is typing in a conversation; forwarded to the other members' online devices.
    Typing {
        /// Conversation.
        conv: String,
    },
}

impl ClientFrame {
    /// Every `type` a client may send, for error messages and docs: derived from the enum, so a
    /// new frame is named once.
    pub const TYPES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;
}

/// A frame sent by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The message is persisted.
    Ack {
        /// The `send` frame's id.
        id: String,
        /// The client's message id.
        client_msg_id: String,
        /// Conversation.
        conv: String,
        /// Assigned seq.
        seq: u64,
        /// Assigned message id.
        msg_id: String,
        /// Server timestamp (ms).
        ts: i64,
        /// True when this client_msg_id was already stored; the ack is the original one.
        duplicate: bool,
    },
    /// A new message in one of the user's conversations.
    Msg {
        /// The message.
        message: WireMessage,
    },
    /// Answer to `sync`.
    SyncResult {
        /// The `sync` frame's id.
        id: String,
        /// Conversation.
        conv: String,
        /// Messages in seq order.
        messages: Vec<WireMessage>,
        /// More messages exist past the last one returned.
        has_more: bool,
        /// Set when retention purged the history below this seq: nothing older can be synced.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_seq: Option<u64>,
    },
    /// Someone's read position moved.
    Read {
        /// Conversation.
        conv: String,
        /// Whose read position.
        user_id: String,
        /// New read seq.
        seq: u64,
    },
    /// The caller's read position in a thread moved (on another device, or this one through
    /// REST); `threads` is the conversation's count of unread followed threads now.
    ThreadRead {
        /// Conversation.
        conv: String,
        /// The thread's root.
        root: u64,
        /// The position now.
        seq: u64,
        /// The list's `threads` count of the conversation.
        threads: u64,
    },
    /// A request failed, or the server could not understand a frame.
    Error {
        /// The failing frame's id, when it had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Stable code.
        code: String,
        /// Human-readable explanation.
        message: String,
        /// With `rate_limited`: when a retry would be accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Answer to `ping`.
    Pong {
        /// The user's change counter: it moves with every message committed into one of their
        /// conversations. When it differs from the previous `pong`'s on this connection, the
        /// device catches up (a push may have been missed). Absent when the server could not
        /// read it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        changes: Option<u64>,
    },
    /// A watched user's presence: the current state after `presence_sub`, then each change.
    Presence {
        /// Whose presence.
        user_id: String,
        /// At least one device is connected.
        online: bool,
        /// Last time a device was connected (ms); now while online; absent if never seen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_active_at: Option<i64>,
    },
    /// Another member is typing in a conversation.
    Typing {
        /// Conversation.
        conv: String,
        /// Who is typing.
        user_id: String,
    },
    /// This device was logged out by the server (another login on the same platform beyond the
    /// limit, or a remote logout); the socket closes right after with code 4001.
    Kicked {
        /// `device_limit` or `remote_logout`.
        reason: String,
    },
    /// The server is going away (a graceful drain before a restart): connect again, to `url`
    /// when given, after waiting `after_ms`. Sends already accepted are still acked; the socket
    /// then closes with code 1012. New `send`/`recall` frames get `error` code `draining`.
    Reconnect {
        /// `draining`.
        reason: String,
        /// Where to connect instead (a server base URL, `http(s)://host:port`), when the server
        /// knows one; otherwise the client's next server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// How long to wait before connecting (a random spread, so clients do not all come
        /// back at the same instant).
        after_ms: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::ClientFrame;

    #[test]
    fn the_listed_types_are_the_ones_serde_reads() {
        assert_eq!(
            ClientFrame::TYPES,
            ["send", "sync", "read", "recall", "edit", "react", "ping", "presence_sub", "typing"]
        );
        for kind in ClientFrame::TYPES {
            let err = serde_json::from_value::<ClientFrame>(serde_json::json!({ "type": kind })).err();
            assert!(!err.is_some_and(|e| e.to_string().contains("unknown variant")), "{kind} is not a frame type");
        }
        let unknown = serde_json::from_value::<ClientFrame>(serde_json::json!({ "type": "nope" })).unwrap_err();
        assert!(unknown.to_string().contains("unknown variant"), "{unknown}");
    }
}
