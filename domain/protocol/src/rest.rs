//! REST request and response bodies of `/api/v1`.

use serde::{Deserialize, Serialize};

use crate::frames::WireMessage;

#[cfg(feature = "validate")]
use validator::Validate;

/// Field rules shared by the request bodies (used through `validator` custom checks).
pub mod rules {
    /// Usernames: lowercase ASCII letters, digits, `_`, `.` and `-`, starting with a letter or digit.
    pub fn username_chars_ok(name: &str) -> bool {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
    }

    /// Device ids: printable ASCII without spaces, so they are safe in logs and keys.
    pub fn device_id_chars_ok(id: &str) -> bool {
        id.chars().all(|c| c.is_ascii_graphic())
    }

    /// The platforms a device may declare.
    pub const PLATFORMS: &[&str] = &["android", "ios", "web", "desktop", "other"];

    #[cfg(feature = "validate")]
    pub(crate) fn username(name: &str) -> Result<(), validator::ValidationError> {
        if username_chars_ok(name) {
            Ok(())
        } else {
            Err(validator::ValidationError::new("username_chars")
                .with_message("lowercase letters, digits, _ . - only, starting with a letter or digit".into()))
        }
    }

    #[cfg(feature = "validate")]
    pub(crate) fn device_id(id: &str) -> Result<(), validator::ValidationError> {
        if device_id_chars_ok(id) {
            Ok(())
        } else {
            Err(validator::ValidationError::new("device_id_chars")
                .with_message("printable ASCII without spaces only".into()))
        }
    }

    #[cfg(feature = "validate")]
    pub(crate) fn platform(p: &str) -> Result<(), validator::ValidationError> {
        if PLATFORMS.contains(&p) {
            Ok(())
        } else {
            Err(validator::ValidationError::new("platform")
                .with_message("one of android, ios, web, desktop, other".into()))
        }
    }

    /// Display names, group names and API key names: something visible, with no control,
    /// line-break or bidi-override characters ([`crate::text::name_fault`]).
    #[cfg(feature = "validate")]
    pub(crate) fn shown_name(s: &str) -> Result<(), validator::ValidationError> {
        match crate::text::name_fault(s) {
            None => Ok(()),
            Some(why) => Err(validator::ValidationError::new("name_chars").with_message(why.into())),
        }
    }
}

/// `POST /api/v1/auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
pub struct RegisterRequest {
    /// 3–32 characters: lowercase letters, digits, `_`, `.`, `-`.
    #[cfg_attr(feature = "validate", validate(length(min = 3, max = 32), custom(function = "rules::username")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::username))]
    pub username: String,
    /// 8–128 characters.
    #[cfg_attr(feature = "validate", validate(length(min = 8, max = 128)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: String,
    /// Optional name shown to others (1–64 characters); defaults to the username.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::shown_name")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::optional_shown_name_schema))]
    pub display_name: Option<String>,
}

/// `PUT /api/v1/me/password`: change one's own password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 128)))]
    pub current_password: String,
    /// The new password: 8–128 characters.
    #[cfg_attr(feature = "validate", validate(length(min = 8, max = 128)))]
    pub new_password: String,
}

/// Answer to register.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterResponse {
    /// The new user's id.
    pub user_id: String,
}

/// `POST /api/v1/auth/login`: one login per device.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
pub struct LoginRequest {
    /// Account name.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 32)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 32))]
    pub username: String,
    /// Password.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 128)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub password: String,
    /// The client's stable id for this device (1–64 characters).
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::device_id")))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "^[!-~]+$"))]
    pub device_id: String,
    /// `android`, `ios`, `web`, `desktop` or `other`.
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::platform")))]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(android|ios|web|desktop|other)$"))]
    pub platform: String,
}

/// Tokens for one device session (login and refresh).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// Short-lived bearer token for REST and `/ws`.
    pub access_token: String,
    /// Single-use token to get the next pair.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The logged-in user.
    pub user_id: String,
}

/// `POST /api/v1/auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 512)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512))]
    pub refresh_token: String,
}

/// A user's public profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserProfile {
    /// User id.
    pub user_id: String,
    /// Account name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Creation time (ms since epoch).
    pub created_at: i64,
    /// Online state, on `GET /users/{id}` (not on `/me`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Presence>,
    /// The caller's role (`user`, `admin`), on `/me` only: an app shows its admin pages by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `GET /users?username=`: the account of that name, if there is one to find.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserList {
    /// At most one profile (an exact username match); empty when there is none.
    pub users: Vec<UserProfile>,
}

/// Whether a user is online now, and when they were last active.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presence {
    /// At least one device is connected.
    pub online: bool,
    /// Last time a device was connected (ms); now while online; absent if never seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active_at: Option<i64>,
}

/// `PATCH /api/v1/me`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
pub struct UpdateMeRequest {
    /// New display name (1–64 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::shown_name")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::optional_shown_name_schema))]
    pub display_name: Option<String>,
}

/// `POST /api/v1/conversations/{conv}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
pub struct SendMessageRequest {
    /// The client's unique id for this message.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::device_id")))]
    pub client_msg_id: String,
    /// Message kind.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 32)))]
    pub kind: String,
    /// Kind-specific body, e.g. `{"text": "hi"}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// Answer to a REST send: the same fields as the `ack` frame minus the request id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessageResponse {
    /// Conversation.
    pub conv: String,
    /// Assigned seq.
    pub seq: u64,
    /// Assigned message id.
    pub msg_id: String,
    /// The client's message id.
    pub client_msg_id: String,
    /// Server timestamp (ms).
    pub ts: i64,
    /// True when this was a repeat of a stored message.
    pub duplicate: bool,
}

/// `GET /api/v1/conversations/{conv}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage {
    /// Messages in ascending seq order.
    pub messages: Vec<WireMessage>,
    /// More exist in the direction of paging.
    pub has_more: bool,
    /// Set when retention purged the history below this seq: nothing older can be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_seq: Option<u64>,
}

/// `POST /api/v1/conversations/{conv}/read`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadRequest {
    /// Last read seq.
    pub seq: u64,
}

/// One row of `GET /api/v1/conversations`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    /// Conversation id.
    pub conv: String,
    /// `direct` or `group`.
    pub kind: String,
    /// For direct chats, the other user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Highest seq in the conversation.
    pub max_seq: u64,
    /// The caller's read position.
    pub read_seq: u64,
    /// Messages past `read_seq` not sent by the caller.
    pub unread: u64,
    /// The newest message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<WireMessage>,
    /// For direct chats, the other user's profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_profile: Option<PeerProfile>,
    /// For group chats, the group's card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupCard>,
    /// An unread message mentions the caller (by id, or `mention_all`).
    #[serde(default)]
    pub mentioned: bool,
    /// How many unread messages mention the caller (by id, or `mention_all`); read clears them
    /// as it clears `unread`.
    #[serde(default)]
    pub mention_count: u64,
    /// How many threads the caller follows here (wrote the root or replied) hold replies by
    /// others past the caller's read position in that thread.
    #[serde(default)]
    pub threads: u64,
    /// The caller muted this conversation: for good, or until `muted_until`.
    #[serde(default)]
    pub muted: bool,
    /// The caller's timed mute ends at this time (ms); present only while it runs (a timed mute
    /// replaces a mute for good, so with it `muted` is the timed one). A client compares it with
    /// its clock: the row's version does not move when the mute ends by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<i64>,
    /// The caller pinned this conversation (pinned rows come first).
    #[serde(default)]
    pub pinned: bool,
    /// The caller's unsent text, shared by their devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// When this row last changed (ms): a message, a read, a preference.
    #[serde(default)]
    pub version: i64,
    /// Set when retention purged the history below this seq (the lowest seq still kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_seq: Option<u64>,
}

/// The other user of a direct chat, in the conversation list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeerProfile {
    /// User id.
    pub user_id: String,
    /// Display name.
    pub display_name: String,
}

/// A group as the conversation list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupCard {
    /// Group id.
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Avatar (a media id or URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// `GET /api/v1/conversations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationList {
    /// Pinned first, then most recently active first. With `since_version`: only rows changed since.
    pub conversations: Vec<ConversationSummary>,
    /// Pass as `since_version` next time to get only the rows changed after this answer.
    #[serde(default)]
    pub version: i64,
    /// The page was full: pass this as `before` for the rows after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<String>,
}

/// `PATCH /api/v1/conversations/{conv}`: the caller's own settings; absent fields are kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConversationPrefsRequest {
    /// Mute the conversation for good (`true`), or unmute it (`false`); either ends a timed mute.
    #[serde(default)]
    pub muted: Option<bool>,
    /// Mute the conversation until this time (ms, in the future, at most a year ahead); `null`
    /// ends a timed mute. Not together with `muted`.
    #[serde(default, deserialize_with = "some_or_null_i64")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub muted_until: Option<Option<i64>>,
    /// Pin the conversation.
    #[serde(default)]
    pub pinned: Option<bool>,
    /// Unsent text (at most 4000 characters); `""` or `null` clears it.
    #[serde(default, deserialize_with = "some_or_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub draft: Option<Option<String>>,
}

/// Tells a present `null` (`Some(None)`) from an absent field (`None`).
fn some_or_null_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// Tells a present `null` (`Some(None)`) from an absent field (`None`).
fn some_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /api/v1/conversations/read-all`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadAllResponse {
    /// How many conversations had unread messages and are now read.
    pub conversations: u64,
}

/// One device session of the caller, in `GET /api/v1/me/devices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceInfo {
    /// The device id given at login.
    pub device_id: String,
    /// The platform given at login.
    pub platform: String,
    /// When the session began (ms).
    pub created_at: i64,
    /// A socket of this device is connected now.
    pub online: bool,
    /// This is the device making the request.
    pub current: bool,
}

/// `GET /api/v1/me/devices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    /// Logged-in devices, oldest session first.
    pub devices: Vec<DeviceInfo>,
}

/// Error body of every failed REST call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Inside [`ErrorBody`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable code (see [`crate::ErrorCode`]).
    #[cfg_attr(feature = "openapi", schema(example = "not_member"))]
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// With `rate_limited`: when a retry would be accepted (also in `Retry-After`, in seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}
