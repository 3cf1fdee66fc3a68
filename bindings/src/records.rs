//! Plain values the bindings hand out: messages, conversations, connection states, friends and
//! groups. Each mirrors the SDK type field for field (bodies stay JSON text), so the generated
//! code gets ordinary records and enums.

use tidings_sdk as sdk;

/// Where a message is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MessageStatus {
    /// Written locally and in the outbox; no ack yet.
    Sending,
    /// Acked by the server: stored there, with its `seq`.
    Sent,
    /// Refused or given up after the bounded retries; `TidingsClient.retry` requeues it.
    Failed,
    /// Someone else's message (or this user's from another device).
    Received,
}

impl From<sdk::MessageStatus> for MessageStatus {
    fn from(s: sdk::MessageStatus) -> Self {
        match s {
            sdk::MessageStatus::Sending => Self::Sending,
            sdk::MessageStatus::Sent => Self::Sent,
            sdk::MessageStatus::Failed => Self::Failed,
            sdk::MessageStatus::Received => Self::Received,
        }
    }
}

/// One message as the app shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Message {
    /// Conversation id.
    pub conv: String,
    /// Position in the conversation; absent until the server acked it.
    pub seq: Option<u64>,
    /// Server message id; absent until acked.
    pub msg_id: Option<String>,
    /// Sending user.
    pub sender: String,
    /// The sender's id for the message (the dedupe key of retries).
    pub client_msg_id: String,
    /// `text`, `image`, …, or a system kind (`recall`, `recalled`, `group_notice`).
    pub kind: String,
    /// The body as JSON text, e.g. `{"text":"hi"}`.
    pub body: String,
    /// Server time (ms) once acked; local time while sending.
    pub ts: i64,
    /// Delivery status.
    pub status: MessageStatus,
}

impl From<sdk::Message> for Message {
    fn from(m: sdk::Message) -> Self {
        Self {
            conv: m.conv,
            seq: m.seq,
            msg_id: m.msg_id,
            sender: m.sender,
            client_msg_id: m.client_msg_id,
            kind: m.kind,
            body: m.body,
            ts: m.ts,
            status: m.status.into(),
        }
    }
}

/// One row of the conversation list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
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
    /// The newest message in the local store.
    pub last_message: Option<Message>,
}

impl From<sdk::Conversation> for Conversation {
    fn from(c: sdk::Conversation) -> Self {
        Self {
            conv: c.conv,
            kind: c.kind,
            peer: c.peer,
            title: c.title,
            max_seq: c.max_seq,
            read_seq: c.read_seq,
            unread: c.unread,
            last_message: c.last_message.map(Message::from),
        }
    }
}

/// Connection state, as reported to listeners.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
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
    /// The server logged this device out; log in again.
    Kicked {
        /// The server's reason.
        reason: String,
    },
    /// The session cannot be refreshed any more; log in again.
    TokenExpired,
}

impl From<sdk::ConnectionState> for ConnectionState {
    fn from(s: sdk::ConnectionState) -> Self {
        match s {
            sdk::ConnectionState::Connecting { server, attempt } => Self::Connecting { server, attempt },
            sdk::ConnectionState::Connected { server } => Self::Connected { server },
            sdk::ConnectionState::Disconnected { reason } => Self::Disconnected { reason },
            sdk::ConnectionState::Kicked { reason } => Self::Kicked { reason },
            sdk::ConnectionState::TokenExpired => Self::TokenExpired,
        }
    }
}

/// A friend of the user.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Friend {
    /// Their user id.
    pub user_id: String,
    /// Their display name.
    pub display_name: String,
    /// The user's private remark about them.
    pub remark: Option<String>,
}

impl From<sdk::Friend> for Friend {
    fn from(f: sdk::Friend) -> Self {
        Self { user_id: f.user_id, display_name: f.display_name, remark: f.remark }
    }
}

/// A friend request, either direction.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FriendRequest {
    /// Request id (to accept or reject).
    pub request_id: String,
    /// Who asked.
    pub from_user: String,
    /// Who was asked.
    pub to_user: String,
    /// Optional note.
    pub note: Option<String>,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
}

impl From<sdk::FriendRequest> for FriendRequest {
    fn from(r: sdk::FriendRequest) -> Self {
        Self { request_id: r.request_id, from_user: r.from, to_user: r.to, note: r.message, status: r.status }
    }
}

/// A group the user belongs to (or just created).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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

impl From<sdk::Group> for Group {
    fn from(g: sdk::Group) -> Self {
        Self { group_id: g.group_id, conv: g.conv, name: g.name, member_count: g.member_count }
    }
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GroupMember {
    /// User id.
    pub user_id: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
}

impl From<sdk::GroupMember> for GroupMember {
    fn from(m: sdk::GroupMember) -> Self {
        Self { user_id: m.user_id, role: m.role }
    }
}

/// An upload the server stored; messages refer to it by `media_id`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
    /// Image width in pixels.
    pub width: Option<u32>,
    /// Image height in pixels.
    pub height: Option<u32>,
    /// Whether a thumbnail can be downloaded.
    pub thumbnail: bool,
}

impl From<sdk::UploadedMedia> for UploadedMedia {
    fn from(m: sdk::UploadedMedia) -> Self {
        Self {
            media_id: m.media_id,
            kind: m.kind,
            content_type: m.content_type,
            size: m.size,
            name: m.name,
            width: m.width,
            height: m.height,
            thumbnail: m.thumbnail,
        }
    }
}

impl From<UploadedMedia> for sdk::UploadedMedia {
    fn from(m: UploadedMedia) -> Self {
        Self {
            media_id: m.media_id,
            kind: m.kind,
            content_type: m.content_type,
            size: m.size,
            name: m.name,
            width: m.width,
            height: m.height,
            thumbnail: m.thumbnail,
        }
    }
}
