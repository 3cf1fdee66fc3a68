//! REST bodies of group administration for enterprise admins (`/admin/v1/groups`).

use serde::{Deserialize, Serialize};

#[cfg(feature = "validate")]
use validator::Validate;

#[cfg(feature = "validate")]
use crate::rest::rules::shown_name;
#[cfg(feature = "validate")]
use crate::social::rules;

/// `POST /admin/v1/groups`: a group created for an owner.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminCreateGroupRequest {
    /// The owner (an existing user).
    #[cfg_attr(feature = "validate", validate(custom(function = "rules::user_id")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::user_id))]
    pub owner: String,
    /// 1–64 characters, not blank.
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
    /// First members besides the owner (at most 1000 ids).
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

/// `?q=&after=&limit=` of `GET /admin/v1/groups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AdminGroupQuery {
    /// A part of the name (case-insensitive), or an exact group id.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 64)))]
    #[cfg_attr(feature = "openapi", param(max_length = 64))]
    pub q: Option<String>,
    /// The last group id of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 40)))]
    #[cfg_attr(feature = "openapi", param(max_length = 40))]
    pub after: Option<String>,
    /// Page size (1 to `limits.max_page`).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(range(min = 1)))]
    pub limit: Option<u32>,
}

/// `PUT /admin/v1/groups/{group_id}/members/{user_id}/role`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminSetMemberRoleRequest {
    /// `owner` (hands the ownership over; the old owner becomes an admin), `admin` or `member`.
    #[cfg_attr(feature = "validate", validate(custom(function = "group_role")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::group_role))]
    pub role: String,
}

/// `PUT /admin/v1/groups/{group_id}/announcement`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminAnnouncementRequest {
    /// The new announcement (at most 4000 characters); null or empty clears it.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 4000)))]
    pub announcement: Option<String>,
}

#[cfg(feature = "validate")]
fn group_role(r: &str) -> Result<(), validator::ValidationError> {
    if matches!(r, "owner" | "admin" | "member") {
        Ok(())
    } else {
        Err(validator::ValidationError::new("role").with_message("one of owner, admin, member".into()))
    }
}
