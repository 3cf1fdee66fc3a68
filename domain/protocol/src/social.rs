//! REST bodies of friends, blocks, privacy and groups (`/api/v1/friends`, `/api/v1/blocks`,
//! `/api/v1/me/privacy`, `/api/v1/groups`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rest::UserProfile;

#[cfg(feature = "validate")]
use validator::Validate;

/// Field rules of this module (used through `validator` custom checks).
pub mod rules {
    /// User ids: `u_` style ids, letters, digits and `_` only.
    pub fn user_id_ok(id: &str) -> bool {
        !id.is_empty() && id.len() <= 40 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    #[cfg(feature = "validate")]
    pub(crate) fn user_id(id: &str) -> Result<(), validator::ValidationError> {
        if user_id_ok(id) {
            Ok(())
        } else {
            Err(validator::ValidationError::new("user_id").with_message("not a user id".into()))
        }
    }

    #[cfg(feature = "validate")]
    pub(crate) fn user_ids(ids: &[String]) -> Result<(), validator::ValidationError> {
        ids.iter().try_for_each(|id| user_id(id))
    }

    #[cfg(feature = "validate")]
    pub(crate) fn dm_policy(p: &str) -> Result<(), validator::ValidationError> {
        if matches!(p, "anyone" | "friends") {
            Ok(())
        } else {
            Err(validator::ValidationError::new("dm_policy").with_message("one of anyone, friends".into()))
        }
    }

    #[cfg(feature = "validate")]
    pub(crate) fn join_policy(p: &str) -> Result<(), validator::ValidationError> {
        if matches!(p, "open" | "approval" | "invite_only") {
            Ok(())
        } else {
            Err(validator::ValidationError::new("join_policy")
                .with_message("one of open, approval, invite_only".into()))
        }
    }

    #[cfg(feature = "validate")]
    pub(crate) fn member_role(r: &str) -> Result<(), validator::ValidationError> {
        if matches!(r, "admin" | "member") {
            Ok(())
        } else {
            Err(validator::ValidationError::new("role").with_message("one of admin, member".into()))
        }
    }
}

#[cfg(feature = "validate")]
use crate::rest::rules::shown_name;

/// `POST /api/v1/friends/requests`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct FriendRequestBody {
    /// Whom to ask.
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::user_id")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::user_id))]
    pub user_id: String,
    /// A note for them (at most 256 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 256)))]
    pub message: Option<String>,
}

/// A friend request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FriendRequestView {
    /// Id.
    pub request_id: String,
    /// Who asked.
    pub from: String,
    /// Who was asked.
    pub to: String,
    /// The asker's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// Answer to a friend request: 201 when a new request was sent; 200 when the same request was
/// pending already (`friends: false`) or the other user had asked first (`friends: true`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FriendRequestResult {
    /// The request.
    pub request: FriendRequestView,
    /// Whether the two are friends now.
    pub friends: bool,
}

/// `GET /api/v1/friends/requests`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FriendRequestList {
    /// Newest first.
    pub requests: Vec<FriendRequestView>,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<String>,
}

/// One friend.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FriendView {
    /// Their profile.
    pub user: UserProfile,
    /// The caller's private remark about them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Friends since (ms).
    pub since: i64,
}

/// `GET /api/v1/friends`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FriendList {
    /// Ordered by user id.
    pub friends: Vec<FriendView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// `PATCH /api/v1/friends/{user_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct UpdateFriendRequest {
    /// Private remark (at most 64 characters); null or empty clears it.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 64)))]
    pub remark: Option<String>,
}

/// One blocked user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockView {
    /// The blocked user.
    pub user_id: String,
    /// When (ms).
    pub blocked_at: i64,
}

/// `GET /api/v1/blocks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockList {
    /// Ordered by user id.
    pub blocks: Vec<BlockView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// `GET|PUT /api/v1/me/privacy`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Who may message the user directly: `anyone` or `friends`.
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::dm_policy")))]
    pub dm_policy: String,
}

/// `POST /api/v1/groups`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// 1–64 characters.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "shown_name")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::shown_name_schema))]
    pub name: String,
    /// Avatar URL or media id (at most 512 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 512)))]
    pub avatar: Option<String>,
    /// What the group is about (at most 512 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 512)))]
    pub introduction: Option<String>,
    /// First members besides the creator (at most 1000 ids).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 1000), custom(function = "rules::user_ids")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::user_ids_up_to_1000))]
    pub members: Vec<String>,
    /// `open`, `approval` (default) or `invite_only`.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::join_policy")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_join_policy))]
    pub join_policy: Option<String>,
    /// Whether newcomers see messages from before they joined (default false).
    #[serde(default)]
    pub history_visible: bool,
}

/// `PATCH /api/v1/groups/{group_id}` (owners and admins). Absent fields stay; an empty string
/// clears `avatar`, `introduction` or `announcement`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupRequest {
    /// 1–64 characters.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "shown_name")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::optional_shown_name_schema))]
    pub name: Option<String>,
    /// At most 512 characters.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 512)))]
    pub avatar: Option<String>,
    /// At most 512 characters.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 512)))]
    pub introduction: Option<String>,
    /// At most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 4000)))]
    pub announcement: Option<String>,
    /// `open`, `approval` or `invite_only`.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::join_policy")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_join_policy))]
    pub join_policy: Option<String>,
    /// Only owners and admins may post while true.
    #[serde(default)]
    pub mute_all: Option<bool>,
    /// Whether newcomers see earlier history.
    #[serde(default)]
    pub history_visible: Option<bool>,
    /// "Who may" rules to change, by name: `{"pin": "members"}` lets every member pin
    /// messages, `"managers"` only owners and admins (the default). Rules not named stay.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 16)))]
    pub policies: BTreeMap<String, serde_json::Value>,
}

/// The caller's own membership, inside [`GroupInfo`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyMembership {
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// The caller's nickname in the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The caller's private remark for the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Muted until (ms), if muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<i64>,
    /// Joined at (ms).
    pub joined_at: i64,
}

/// A group. Outsiders see the public card only: id, name, avatar, introduction, join policy,
/// member count and whether it is dissolved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupInfo {
    /// Id.
    pub group_id: String,
    /// Its conversation id (`g:{group_id}`).
    pub conv: String,
    /// Name.
    pub name: String,
    /// Avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Introduction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// `open`, `approval` or `invite_only`.
    pub join_policy: String,
    /// Current number of members.
    pub member_count: u32,
    /// Set once dissolved (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dissolved_at: Option<i64>,
    /// Announcement (members only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<String>,
    /// Owner (members only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Whether only owners and admins may post (members only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_all: Option<bool>,
    /// Whether newcomers see earlier history (members only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_visible: Option<bool>,
    /// Every "who may" rule with its value, defaults included, e.g. `{"pin": "managers"}`
    /// (members only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<BTreeMap<String, String>>,
    /// Creation time (ms).
    pub created_at: i64,
    /// The caller's membership; absent for outsiders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<MyMembership>,
}

/// `GET /api/v1/groups`: the caller's groups.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupList {
    /// Ordered by group id.
    pub groups: Vec<GroupInfo>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// One member as other members see them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupMemberView {
    /// The member.
    pub user_id: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// Their nickname in the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Muted until (ms), if muted now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<i64>,
    /// Joined at (ms).
    pub joined_at: i64,
}

/// `GET /api/v1/groups/{group_id}/members`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupMemberList {
    /// Ordered by user id.
    pub members: Vec<GroupMemberView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// `POST /api/v1/groups/{group_id}/members`: invite.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// 1–100 user ids.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 100), custom(function = "rules::user_ids")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::user_ids_1_to_100))]
    pub user_ids: Vec<String>,
}

/// Answer to an invitation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteResult {
    /// Who became a member (people who were members already are left out).
    pub added: Vec<String>,
}

/// `PATCH /api/v1/groups/{group_id}/members/{user_id}` (owners and admins).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    /// `admin` or `member` (owner only).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::member_role")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::member_role))]
    pub role: Option<String>,
    /// Mute for this many seconds; 0 unmutes.
    #[serde(default)]
    pub mute_secs: Option<u64>,
}

/// `PATCH /api/v1/groups/{group_id}/me`: the caller's own settings. An empty string clears.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct UpdateMyMembershipRequest {
    /// Nickname in the group (at most 64 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 64)))]
    pub nickname: Option<String>,
    /// Private remark for the group (at most 64 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 64)))]
    pub remark: Option<String>,
}

/// `POST /api/v1/groups/{group_id}/transfer`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The new owner (a member).
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::user_id")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::user_id))]
    pub user_id: String,
}

/// `POST /api/v1/groups/{group_id}/join`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct JoinGroupRequest {
    /// A note for the approvers (at most 256 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 256)))]
    pub message: Option<String>,
}

/// A request to join a group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinRequestView {
    /// Id.
    pub request_id: String,
    /// The group.
    pub group_id: String,
    /// Who wants in.
    pub user_id: String,
    /// Their note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    /// Who answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_by: Option<String>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// Answer to a join: `joined` (200) or `pending` with the request (202).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinResult {
    /// `joined` or `pending`.
    pub status: String,
    /// The waiting request, when `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<JoinRequestView>,
}

/// `GET /api/v1/groups/{group_id}/requests`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinRequestList {
    /// Newest first.
    pub requests: Vec<JoinRequestView>,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<String>,
}
