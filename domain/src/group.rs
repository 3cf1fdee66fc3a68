//! Groups: their settings, members, roles and join requests.

use std::collections::BTreeMap;

use crate::group_policy::GroupPolicies;
use crate::ids::{GroupId, UserId};
use crate::social::RequestStatus;

/// How people who are not members get in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinPolicy {
    /// Anyone may join by the group id.
    Open,
    /// Joining by id makes a request that an owner or admin approves.
    #[default]
    Approval,
    /// Only members' invitations bring people in.
    InviteOnly,
}

impl JoinPolicy {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Approval => "approval",
            Self::InviteOnly => "invite_only",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(Self::Open),
            "approval" => Some(Self::Approval),
            "invite_only" => Some(Self::InviteOnly),
            _ => None,
        }
    }
}

/// A member's standing; the order is the order of power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Ordinary member.
    Member,
    /// Manages members and settings.
    Admin,
    /// One per group; may also dissolve it, appoint admins and hand over ownership.
    Owner,
}

impl Role {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }

    /// Owners and admins manage the group.
    pub fn manages(self) -> bool {
        self >= Self::Admin
    }
}

/// A group and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Id (`g_` + ULID); its conversation is `g:{id}`.
    pub id: GroupId,
    /// Shown name.
    pub name: String,
    /// Avatar URL or media id.
    pub avatar: Option<String>,
    /// What the group is about.
    pub introduction: Option<String>,
    /// The current announcement.
    pub announcement: Option<String>,
    /// The owner.
    pub owner: UserId,
    /// How outsiders get in.
    pub join_policy: JoinPolicy,
    /// Only owners and admins may post.
    pub mute_all: bool,
    /// New members also see messages from before they joined.
    pub history_visible: bool,
    /// Who may do what is not every member's right (`group_policy.rs`).
    pub policies: GroupPolicies,
    /// Current number of members.
    pub member_count: u32,
    /// Bumped on every membership change, so cached member lists know when they are stale.
    pub version: i64,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change of settings (ms).
    pub updated_at: i64,
    /// Set when the owner dissolved the group.
    pub dissolved_at: Option<i64>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The member.
    pub user: UserId,
    /// Their standing.
    pub role: Role,
    /// The name they go by in this group.
    pub nickname: Option<String>,
    /// Their private remark for the group (shown to them only).
    pub remark: Option<String>,
    /// Muted until this time (ms), if muted.
    pub muted_until: Option<i64>,
    /// When they joined (ms).
    pub joined_at: i64,
}

impl GroupMember {
    /// A new member with no nickname, remark or mute.
    pub fn new(user: UserId, role: Role, now_ms: i64) -> Self {
        Self { user, role, nickname: None, remark: None, muted_until: None, joined_at: now_ms }
    }

    /// Whether their own mute is in force at `now_ms`.
    pub fn is_muted(&self, now_ms: i64) -> bool {
        self.muted_until.is_some_and(|until| until > now_ms)
    }
}

/// A request to join a group that needs approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Id (`jr_` + ULID).
    pub id: String,
    /// The group.
    pub group_id: GroupId,
    /// Who wants in.
    pub user: UserId,
    /// Their note.
    pub message: Option<String>,
    /// Where it stands.
    pub status: RequestStatus,
    /// The owner or admin who answered.
    pub handled_by: Option<UserId>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

impl JoinRequest {
    /// A fresh request id.
    pub fn generate_id() -> String {
        format!("jr_{}", ulid::Ulid::new())
    }
}

/// The settings a manager may change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPatch {
    /// New name.
    pub name: Option<String>,
    /// New avatar.
    pub avatar: Option<Option<String>>,
    /// New introduction.
    pub introduction: Option<Option<String>>,
    /// New announcement.
    pub announcement: Option<Option<String>>,
    /// New join policy.
    pub join_policy: Option<JoinPolicy>,
    /// Mute or unmute everyone but managers.
    pub mute_all: Option<bool>,
    /// Whether new members see earlier history.
    pub history_visible: Option<bool>,
    /// Rules to change, by name (`group_policy::Rule`), as the request gave them; empty: none.
    pub policy_changes: BTreeMap<String, serde_json::Value>,
    /// The rules after [`Self::policy_changes`], worked out against the current ones by the
    /// service before the store sees the patch (`None`: unchanged).
    pub policies: Option<GroupPolicies>,
}

/// A member's own settings for a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPatch {
    /// Nickname in the group (`Some(None)` clears it).
    pub nickname: Option<Option<String>>,
    /// Private remark for the group (`Some(None)` clears it).
    pub remark: Option<Option<String>>,
}

/// Kind of the system messages that record group events in the group's log.
pub const NOTICE_KIND: &str = "group_notice";
