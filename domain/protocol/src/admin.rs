//! Request and response bodies of the admin API `/admin/v1`.

use serde::{Deserialize, Serialize};

#[cfg(feature = "validate")]
use crate::rest::rules;
#[cfg(feature = "validate")]
use validator::Validate;

/// Roles an admin may give (`system` is built in and cannot be given).
pub const ASSIGNABLE_ROLES: &[&str] = &["user", "admin", "bot"];

/// API-key scopes.
pub const SCOPES: &[&str] = &["users:read", "users:write", "messages:send", "webhooks:manage"];

#[cfg(feature = "validate")]
pub(crate) fn assignable_role(role: &str) -> Result<(), validator::ValidationError> {
    if ASSIGNABLE_ROLES.contains(&role) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("role").with_message("one of user, admin, bot".into()))
    }
}

#[cfg(feature = "validate")]
fn scopes(list: &[String]) -> Result<(), validator::ValidationError> {
    if list.iter().all(|s| SCOPES.contains(&s.as_str())) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("scope")
            .with_message("each one of users:read, users:write, messages:send, webhooks:manage".into()))
    }
}

/// An account as administrators see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUser {
    /// User id.
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// `user`, `admin`, `bot` or `system`.
    pub role: String,
    /// Whether an admin disabled the account.
    pub disabled: bool,
    /// When it was disabled (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<i64>,
    /// Creation time (ms).
    pub created_at: i64,
}

/// `GET /admin/v1/users?q=&cursor=&limit=`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct UserSearchQuery {
    /// Substring of the username or display name.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 64)))]
    #[cfg_attr(feature = "openapi", param(max_length = 64))]
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 40)))]
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 40))]
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(range(min = 1, max = 200)))]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// A page of users.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    /// Users, ascending by id.
    pub users: Vec<AdminUser>,
    /// Pass as `cursor` for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST /admin/v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 3–32 characters: lowercase letters, digits, `_`, `.`, `-`.
    #[cfg_attr(feature = "validate", validate(length(min = 3, max = 32), custom(function = "rules::username")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::username))]
    pub username: String,
    /// 8–128 characters; required for users and admins, refused for bots.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 8, max = 128)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: Option<String>,
    /// 1–64 characters; defaults to the username.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::shown_name")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::optional_shown_name_schema))]
    pub display_name: Option<String>,
    /// `user` (default), `admin` or `bot`.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(custom(function = "assignable_role")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_assignable_role))]
    pub role: Option<String>,
}

/// `POST /admin/v1/users/{user_id}/password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// 8–128 characters.
    #[cfg_attr(feature = "validate", validate(length(min = 8, max = 128)))]
    pub password: String,
}

/// `PUT /admin/v1/users/{user_id}/role`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct SetRoleRequest {
    /// `user`, `admin` or `bot`.
    #[cfg_attr(feature = "validate", validate(custom(function = "assignable_role")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::assignable_role))]
    pub role: String,
}

/// `GET /admin/v1/stats`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsResponse {
    /// Accounts, the system account excluded.
    pub users: u64,
    /// Devices connected now (all instances of a cluster).
    pub online_devices: u64,
    /// Messages committed since midnight UTC.
    pub messages_today: u64,
}

/// `POST /admin/v1/api-keys`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// A name for people (1–64 characters).
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::shown_name")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::shown_name_schema))]
    pub name: String,
    /// One or more of `users:read`, `users:write`, `messages:send`, `webhooks:manage`.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 4), custom(function = "scopes")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::scopes))]
    pub scopes: Vec<String>,
}

/// An API key without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    /// Id (the middle part of the key).
    pub key_id: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// The admin who created it.
    pub created_by: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// When it was revoked (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// Answer to creating a key: the only time the full key is shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// `tk_{key_id}_{secret}`: the bearer token of `/integration/v1`.
    pub key: String,
    /// The key without its secret.
    #[serde(flatten)]
    pub info: ApiKeyView,
}

/// `GET /admin/v1/api-keys`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyList {
    /// Newest first.
    pub api_keys: Vec<ApiKeyView>,
}
