//! The owned, FFI-friendly values the SDK hands to apps: messages with a delivery status,
//! conversations with unread counts, friends and groups. Bodies travel as JSON text so the
//! bindings need no JSON type of their own; with the `uniffi` feature each type is also a UniFFI
//! record or enum, the very one the bindings hand out.

use tidings_protocol::WireMessage;

/// Where a message is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MessageStatus {
    /// Written locally and in the outbox; no ack yet.
    Sending,
    /// Acked by the server: it is stored and has its `seq`.
    Sent,
    /// Given up after the bounded retries or refused by the server; `retry` requeues it.
    Failed,
    /// Someone else's message (or this user's from another device), received from the server.
    Received,
}

impl MessageStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Received => "received",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => Self::Received,
        }
    }
}

/// One message as the app shows it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Message {
    /// Conversation id.
    pub conv: String,
    /// Position in the conversation; `None` until the server acked it.
    pub seq: Option<u64>,
    /// Server message id; `None` until acked.
    pub msg_id: Option<String>,
    /// Sending user.
    pub sender: String,
    /// The sender's id for the message (the dedupe key of retries).
    pub client_msg_id: String,
    /// `text`, `image`, ..., or a system kind (`recall`, `recalled`, `edit`, `group_notice`).
    /// `text`, `image`, ..., or a system kind (`recall`, `recalled`, `reaction`, `group_notice`).
    pub kind: String,
    /// The body as JSON text, e.g. `{"text":"hi"}`.
    pub body: String,
    /// Server time (ms) once acked; local time while sending.
    pub ts: i64,
    /// Delivery status.
    pub status: MessageStatus,
    /// When the sender last edited the body (ms); `None` if never edited.
    pub edited_at: Option<i64>,
    /// Reactions, most used first, from the `reaction` entries in the store (empty on events
    /// about the message itself; read the message again after a [`crate::ClientEvent::Reacted`]).
    pub reactions: Vec<Reaction>,
    /// For the root of a thread: its summary (`None` when it has no replies). Read paths fill
    /// it; events about the message itself leave it out (a [`crate::ClientEvent::ThreadUpdated`]
    /// says when to read it again).
    pub thread: Option<ThreadSummary>,
}

/// What a thread's root shows of its replies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ThreadSummary {
    /// Replies not recalled.
    pub replies: u64,
    /// Time of the newest (ms).
    pub last_ts: i64,
    /// Seq of the newest.
    pub last_seq: u64,
    /// Who replied, in order of their first reply (at most 10).
    pub participants: Vec<String>,
}

/// A page of one thread: its root and replies, ascending.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ThreadPage {
    /// The root, with its summary.
    pub root: Message,
    /// Replies, ascending by seq.
    pub replies: Vec<Message>,
    /// Older replies exist (page on with `before_seq` = the first reply's seq).
    pub has_more: bool,
}

/// One emoji's total on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many users have it on.
    pub count: u64,
    /// This user is one of them.
    pub me: bool,
}

impl Message {
    /// The `text` of a text message.
    pub fn text(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        v.get("text")?.as_str().map(str::to_owned)
    }

    pub(crate) fn from_wire(m: &WireMessage, me: &str) -> Self {
        Self {
            conv: m.conv.clone(),
            seq: Some(m.seq),
            msg_id: Some(m.msg_id.clone()),
            sender: m.sender.clone(),
            client_msg_id: m.client_msg_id.clone(),
            kind: m.kind.clone(),
            body: m.body.to_string(),
            ts: m.ts,
            status: if m.sender == me { MessageStatus::Sent } else { MessageStatus::Received },
            edited_at: m.edited_at,
            reactions: Vec::new(),
            thread: None,
        }
    }
}

/// One row of the conversation list.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Conversation {
    /// Conversation id (`d:{lo}:{hi}` or `g:{group_id}`).
    pub conv: String,
    /// `direct` or `group`.
    pub kind: String,
    /// The other user of a direct chat.
    pub peer: Option<String>,
    /// The peer's display name or the group's name, as last seen from the server.
    pub title: String,
    /// Highest seq known locally.
    pub max_seq: u64,
    /// This user's read position.
    pub read_seq: u64,
    /// Messages past `read_seq` from others, not recalled (the server's rule).
    pub unread: u64,
    /// Of those, the ones that mention this user (by id or `mention_all`), as the server counts
    /// its `mention_count`.
    pub mention_count: u64,
    /// Threads this user follows here (wrote the root or replied) with replies by others not
    /// read in the thread: the server's count, as of the last conversation list or thread read.
    pub threads: u64,
    /// This user muted the conversation (no pushes for it): for good, or until `muted_until`,
    /// still ahead (read against this device's clock when the row is read).
    pub muted: bool,
    /// When this user's timed mute ends (ms since epoch), as the server last said; `None` when
    /// there is no timed mute. A past value means the mute is over.
    pub muted_until: Option<i64>,
    /// The newest message in the local store.
    pub last_message: Option<Message>,
}

/// What a forward did in one target conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ForwardOutcome {
    /// The target conversation.
    pub conv: String,
    /// Seqs of what was stored there (empty when refused).
    pub seqs: Vec<u64>,
    /// The server's code when the target was refused (`not_member`, `blocked`, …).
    pub error_code: Option<String>,
}

/// A pinned message of a conversation.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PinnedMessage {
    /// The message, as the store has it now.
    pub message: Message,
    /// Who pinned it.
    pub pinned_by: String,
    /// When (ms since epoch).
    pub pinned_at: i64,
}

/// A page of [`crate::Client::search_local`] results, newest first.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LocalSearchPage {
    /// The matching messages.
    pub results: Vec<LocalSearchHit>,
    /// Pass it as `cursor` for older matches; `None` when there are none.
    pub next_cursor: Option<String>,
}

/// One stored message that matched a local search.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LocalSearchHit {
    /// The message as the store has it now (an edited one with its current text), with its
    /// reactions and thread summary like every read path.
    pub message: Message,
    /// The part of its text (a file's name for an upload) around the first match, at most 120
    /// characters, as the server's search gives it.
    pub snippet: String,
    /// What matched in `snippet`, in order.
    pub highlights: Vec<Highlight>,
}

/// A matched part of a snippet: `[start, end)` offsets in Unicode characters (code points, as
/// Python indexes strings; Kotlin and Swift count UTF-16 units or graphemes, so convert there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Highlight {
    /// First character of the match.
    pub start: u32,
    /// One past its last character.
    pub end: u32,
}

/// Connection state, as reported to listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ConnectionState {
    /// Opening a WebSocket to `server` (attempt counts from 1 since the last success).
    Connecting {
        /// Base URL being tried.
        server: String,
        /// Attempt number.
        attempt: u32,
    },
    /// The WebSocket is open.
    Connected {
        /// Base URL connected to.
        server: String,
    },
    /// The WebSocket is gone; the SDK retries by itself unless it was stopped.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// The server logged this device out (`device_limit`, `remote_logout`); log in again.
    Kicked {
        /// The server's reason.
        reason: String,
    },
    /// The session cannot be refreshed any more; log in again.
    TokenExpired,
}

/// A friend of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Friend {
    /// Their user id.
    pub user_id: String,
    /// Their display name.
    pub display_name: String,
    /// The user's private remark about them.
    pub remark: Option<String>,
}

/// A friend request, either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FriendRequest {
    /// Request id (to accept or reject).
    pub request_id: String,
    /// Who asked (`from_user` in the bindings: `from` is a Python keyword).
    #[cfg_attr(feature = "uniffi", uniffi(name = "from_user"))]
    pub from: String,
    /// Who was asked.
    #[cfg_attr(feature = "uniffi", uniffi(name = "to_user"))]
    pub to: String,
    /// Optional note.
    #[cfg_attr(feature = "uniffi", uniffi(name = "note"))]
    pub message: Option<String>,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
}

/// A group the user belongs to (or just created).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Group {
    /// Group id.
    pub group_id: String,
    /// Its conversation id (`g:{group_id}`).
    pub conv: String,
    /// Name.
    pub name: String,
    /// Current member count.
    pub member_count: u32,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GroupMember {
    /// User id.
    pub user_id: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
}

/// The direct conversation id of two users (`d:{lo}:{hi}`).
pub fn direct_conv_id(a: &str, b: &str) -> String {
    if a < b { format!("d:{a}:{b}") } else { format!("d:{b}:{a}") }
}

/// An upload the server stored; messages refer to it by `media_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UploadedMedia {
    /// Id to put in a message body.
    pub media_id: String,
    /// `image`, `file`, `voice` or `video`.
    pub kind: String,
    /// The type served on download.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// File name given at upload.
    pub name: Option<String>,
    /// Image width in pixels (measured by the server).
    pub width: Option<u32>,
    /// Image height in pixels.
    pub height: Option<u32>,
    /// Whether a thumbnail can be downloaded.
    pub thumbnail: bool,
}
