//! Friends, friend requests, blocks and the direct-message policy.

use crate::ids::UserId;

/// Where a friend request (or a group join request) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// Waiting for an answer.
    Pending,
    /// Accepted (friends now, or member now).
    Accepted,
    /// Turned down.
    Rejected,
}

impl RequestStatus {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// One user asking another to be friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRequest {
    /// Id (`fr_` + ULID, so ids sort by creation time).
    pub id: String,
    /// Who asks.
    pub from: UserId,
    /// Who is asked.
    pub to: UserId,
    /// A note from the asker.
    pub message: Option<String>,
    /// Where it stands.
    pub status: RequestStatus,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

impl FriendRequest {
    /// A fresh request id.
    pub fn generate_id() -> String {
        format!("fr_{}", ulid::Ulid::new())
    }
}

/// A friend as the owner of the list sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Friend {
    /// The friend.
    pub user: UserId,
    /// The owner's private remark about them.
    pub remark: Option<String>,
    /// Friends since (ms).
    pub since: i64,
}

/// Who may message a user directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DmPolicy {
    /// Anybody who is not blocked.
    #[default]
    Anyone,
    /// Friends only.
    Friends,
}

impl DmPolicy {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anyone => "anyone",
            Self::Friends => "friends",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "anyone" => Some(Self::Anyone),
            "friends" => Some(Self::Friends),
            _ => None,
        }
    }
}

/// What decides whether `sender` may message `peer` directly, read in one go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectGate {
    /// The peer has blocked the sender.
    pub blocked: bool,
    /// The two are friends.
    pub friends: bool,
    /// The peer's own policy, if they set one (else the server default applies).
    pub policy: Option<DmPolicy>,
    /// The peer is a user. Read with the rest so that opening a chat costs one query, not two
    /// (users are never deleted, so a cached `true` stays true).
    pub peer_exists: bool,
}
