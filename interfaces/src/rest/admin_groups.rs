//! `/admin/v1/groups`: group administration for enterprise admins — search, create for an owner,
//! dissolve, members and roles, announcements. Every change is recorded in the group's log as a
//! notice whose actor is the admin.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, delete, get, post, put, web};
use tidings_domain::group::{Group, Role};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::admin_groups::{
    AdminAnnouncementRequest, AdminCreateGroupRequest, AdminGroupQuery, AdminSetMemberRoleRequest,
};
use tidings_protocol::social::{GroupInfo, GroupList, GroupMemberList, GroupMemberView, InviteRequest, InviteResult};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::admin::{ADMIN_ONLY, AdminAuthed};
use super::friends::user_param;
use super::group_members::member_view;
use super::groups::{group_info, group_param, new_group};
use super::paging::{AfterPage, next_cursor};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(dissolve)
        .service(members)
        .service(add_members)
        .service(remove_member)
        .service(set_role)
        .service(announce);
}

/// A group with every field (admins see what members see, without a membership of their own).
fn full_info(g: &Group) -> GroupInfo {
    group_info(g, None, true)
}

/// List and search all groups.
///
/// Admins only. `q` matches a part of the name (case-insensitive) or an exact group id; pages
/// follow `next_after`.
#[utoipa::path(
    operation_id = "admin_list_groups",
    tag = "admin",
    security(("bearer" = [])),
    params(AdminGroupQuery),
    responses((status = 200, description = "A page of groups, ordered by id.", body = GroupList)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::InvalidField])))
)]
#[get("/admin/v1/groups")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub(super) async fn list(
    state: web::Data<AppState>,
    who: AdminAuthed,
    q: web::Query<AdminGroupQuery>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    let rows = state.groups.admin_search(q.q.as_deref(), q.after.as_deref(), q.limit).await?;
    let next_after = next_cursor(&state, q.limit, &rows, |g| g.id.to_string());
    Ok(HttpResponse::Ok().json(GroupList { groups: rows.iter().map(full_info).collect(), next_after }))
}

/// Create a group for an owner.
///
/// Admins only. The owner and the members must exist; the member cap applies.
#[utoipa::path(
    operation_id = "admin_create_group",
    tag = "admin",
    security(("bearer" = [])),
    request_body = AdminCreateGroupRequest,
    responses((status = 201, description = "The new group.", body = GroupInfo)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::GroupFull, C::ContentRejected])))
)]
#[post("/admin/v1/groups")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub(super) async fn create(
    state: web::Data<AppState>,
    who: AdminAuthed,
    body: Json<AdminCreateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let owner = user_param(&body.owner)?;
    let b = &*body;
    let new = new_group(
        &b.name,
        b.avatar.as_ref(),
        b.introduction.as_ref(),
        &b.members,
        b.join_policy.as_deref(),
        b.history_visible,
    )?;
    let group = state.groups.admin_create(&owner, new).await?;
    Ok(HttpResponse::Created().json(full_info(&group)))
}

/// One group, with every field.
///
/// Admins only; no membership needed.
#[utoipa::path(
    operation_id = "admin_get_group",
    tag = "admin",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = "The group's id.")),
    responses((status = 200, description = "The group.", body = GroupInfo)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound])))
)]
#[get("/admin/v1/groups/{group_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, group = %path))]
pub(super) async fn get(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(full_info(&state.groups.admin_get(&group_param(&path)?).await?)))
}

/// Dissolve a group.
///
/// Admins only. Members keep read access to the history; a `dissolved` notice records it.
#[utoipa::path(
    operation_id = "admin_dissolve_group",
    tag = "admin",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = "The group's id.")),
    responses((status = 204, description = "Dissolved.")),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::GroupDissolved])))
)]
#[delete("/admin/v1/groups/{group_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, group = %path))]
pub(super) async fn dissolve(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.groups.admin_dissolve(&who.0.id, &group_param(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A group's members.
///
/// Admins only. Ordered by user id; pages follow `next_after`.
#[utoipa::path(
    operation_id = "admin_list_group_members",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("group_id" = String, Path, description = "The group's id."),
        ("after" = Option<String>, Query, description = "The last user id of the previous page."),
        ("limit" = Option<u32>, Query, description = "Page size (1 to `limits.max_page`)."),
    ),
    responses((status = 200, description = "A page of members.", body = GroupMemberList)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::InvalidField, C::NotFound])))
)]
#[get("/admin/v1/groups/{group_id}/members")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, group = %path))]
pub(super) async fn members(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let after = q.after_user()?;
    let rows = state.groups.admin_members(&group_param(&path)?, after.as_ref(), q.limit).await?;
    let next_after = next_cursor(&state, q.limit, &rows, |m| m.user.to_string());
    Ok(HttpResponse::Ok().json(GroupMemberList { members: rows.iter().map(member_view).collect(), next_after }))
}

/// Add members to a group.
///
/// Admins only. People who are members already are skipped; the member cap applies.
#[utoipa::path(
    operation_id = "admin_add_group_members",
    tag = "admin",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = "The group's id.")),
    request_body = InviteRequest,
    responses((status = 200, description = "Who was added.", body = InviteResult)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::GroupFull, C::GroupDissolved])))
)]
#[post("/admin/v1/groups/{group_id}/members")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, group = %path))]
pub(super) async fn add_members(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    body: Json<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let users = body.user_ids.iter().map(|u| user_param(u)).collect::<Result<Vec<_>, _>>()?;
    let added = state.groups.admin_add_members(&who.0.id, &group_param(&path)?, &users).await?;
    Ok(HttpResponse::Ok().json(InviteResult { added: added.iter().map(ToString::to_string).collect() }))
}

/// Remove a member from a group.
///
/// Admins only. Not the owner (make another member owner first). The member keeps read access
/// up to the notice of their removal.
#[utoipa::path(
    operation_id = "admin_remove_group_member",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("group_id" = String, Path, description = "The group's id."),
        ("user_id" = String, Path, description = "The member to remove."),
    ),
    responses((status = 204, description = "Removed.")),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::GroupDissolved])))
)]
#[delete("/admin/v1/groups/{group_id}/members/{user_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub(super) async fn remove_member(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, target) = path.into_inner();
    let target = user_param(&target)?;
    state.groups.admin_remove_member(&who.0.id, &group_param(&group)?, &target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a member's role.
///
/// Admins only. `owner` hands the ownership over (the old owner becomes an admin); the owner's
/// own role changes only that way.
#[utoipa::path(
    operation_id = "admin_set_group_member_role",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("group_id" = String, Path, description = "The group's id."),
        ("user_id" = String, Path, description = "The member."),
    ),
    request_body = AdminSetMemberRoleRequest,
    responses((status = 200, description = "The member after the change.", body = GroupMemberView)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::GroupDissolved])))
)]
#[put("/admin/v1/groups/{group_id}/members/{user_id}/role")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub(super) async fn set_role(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<(String, String)>,
    body: Json<AdminSetMemberRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let (group, target) = path.into_inner();
    let target = user_param(&target)?;
    let role = Role::parse(&body.role).ok_or_else(|| ApiError::invalid("role: owner, admin or member"))?;
    let group = group_param(&group)?;
    state.groups.admin_set_role(&who.0.id, &group, &target, role).await?;
    let member = state.groups.admin_member(&group, &target).await?;
    Ok(HttpResponse::Ok().json(member_view(&member)))
}

/// Post or clear a group's announcement.
///
/// Admins only. Members get an `announcement` notice.
#[utoipa::path(
    operation_id = "admin_announce",
    tag = "admin",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = "The group's id.")),
    request_body = AdminAnnouncementRequest,
    responses((status = 200, description = "The group after the change.", body = GroupInfo)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::GroupDissolved, C::ContentRejected])))
)]
#[put("/admin/v1/groups/{group_id}/announcement")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, group = %path))]
pub(super) async fn announce(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    body: Json<AdminAnnouncementRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let text = body.announcement.clone().filter(|a| !a.trim().is_empty());
    let group = state.groups.admin_announce(&who.0.id, &group_param(&path)?, text).await?;
    Ok(HttpResponse::Ok().json(full_info(&group)))
}
