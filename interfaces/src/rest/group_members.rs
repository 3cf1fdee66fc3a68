//! `/api/v1/groups/{group_id}/members` and the caller's own membership: list, invite, roles and
//! mutes, removal, nickname and remark, leaving.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use tidings_app::AppError;
use tidings_app::groups::check_kick_target;
use tidings_domain::group::{GroupMember, MemberPatch, Role};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::social::{
    GroupInfo, GroupMemberList, GroupMemberView, InviteRequest, InviteResult, UpdateMemberRequest,
    UpdateMyMembershipRequest,
};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::Authed;
use super::friends::user_param;
use super::groups::{GROUP, clearable, group_param, reply_view, user_ids};
use super::paging::{AfterPage, next_cursor};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(members).service(invite).service(update_member).service(kick).service(update_me).service(leave);
}

/// The `{user_id}` path parameter of member routes.
const MEMBER: &str = "The member's user id (`u_` + ULID).";

/// A member as other members (and admins) see them.
pub(super) fn member_view(m: &GroupMember) -> GroupMemberView {
    let now = tidings_app::clock::now_ms();
    GroupMemberView {
        user_id: m.user.to_string(),
        role: m.role.as_str().to_owned(),
        nickname: m.nickname.clone(),
        muted_until: m.muted_until.filter(|&until| until > now),
        joined_at: m.joined_at,
    }
}

/// List a group's members, ordered by user id. Members only.
///
/// Dissolved groups can still be listed.
#[utoipa::path(
    operation_id = "list_group_members",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), AfterPage),
    responses((status = 200, description = "A page of members, ordered by user id.", body = GroupMemberList)),
    extensions(("x-errors" = json!([C::InvalidField, C::NotMember, C::NotFound])))
)]
#[get("/api/v1/groups/{group_id}/members")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn members(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let after = q.after_user()?;
    let rows = state.groups.members(&who.0.user_id, &group_param(&path)?, after.as_ref(), q.limit).await?;
    let next_after = next_cursor(&state, q.limit, &rows, |m| m.user.to_string());
    Ok(HttpResponse::Ok().json(GroupMemberList { members: rows.iter().map(member_view).collect(), next_after }))
}

/// Add people to a group. Any member may invite, whatever the join policy.
///
/// Each invitee must exist and must not have blocked the caller; people who are members already
/// are skipped. The newcomers are announced by a `joined` notice.
#[utoipa::path(
    operation_id = "invite_group_members",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = InviteRequest,
    responses((status = 200, description = "Who became a member.", body = InviteResult)),
    extensions(("x-errors" = json!([C::NotMember, C::Blocked, C::NotFound, C::GroupFull, C::GroupDissolved, C::Busy])))
)]
#[post("/api/v1/groups/{group_id}/members")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn invite(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let invitees = user_ids(&body.user_ids)?;
    let added = state.groups.invite(&who.0.user_id, &group_param(&path)?, &invitees).await?;
    Ok(HttpResponse::Ok().json(InviteResult { added: added.iter().map(ToString::to_string).collect() }))
}

/// Change a member's role or mute them. Owners and admins only.
///
/// Give `role`, `mute_secs` or both. Only the owner changes roles (`admin` or `member`; the
/// owner's own role changes only by transfer). Owners and admins mute members below their role,
/// for at most `groups.max_mute` (in seconds); 0 unmutes.
#[utoipa::path(
    operation_id = "update_group_member",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("user_id" = String, Path, description = MEMBER)),
    request_body = UpdateMemberRequest,
    responses((status = 200, description = "The member after the change.", body = GroupMemberView)),
    extensions(("x-errors" = json!([C::Forbidden, C::NotMember, C::NotFound, C::GroupDissolved, C::Busy])))
)]
#[patch("/api/v1/groups/{group_id}/members/{user_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn update_member(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
    body: Json<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let (group, target) = path.into_inner();
    let target = user_param(&target)?;
    if body.role.is_none() && body.mute_secs.is_none() {
        return Err(ApiError::invalid("give role or mute_secs"));
    }
    if body.mute_secs.is_some_and(|secs| secs > state.config.max_mute.as_secs()) {
        return Err(ApiError::invalid(format!("mute_secs must be at most {}", state.config.max_mute.as_secs())));
    }
    let me = &who.0.user_id;
    let role = body.role.as_deref().map(|r| Role::parse(r).ok_or_else(|| ApiError::invalid("role: admin or member")));
    let role = role.transpose()?;
    let group = group_param(&group)?;
    if let Some(role) = role {
        state.groups.set_role(me, &group, &target, role).await?;
    }
    if let Some(secs) = body.mute_secs {
        state.groups.mute(me, &group, &target, secs).await?;
    }
    let member = state.groups.view(&target, &group).await?.me.ok_or(AppError::NotFound("member"))?;
    Ok(HttpResponse::Ok().json(member_view(&member)))
}

/// Remove a member from a group. Owners and admins only.
///
/// The owner removes anyone, admins remove ordinary members. The removed member keeps read
/// access up to the `kicked` notice, which they receive too. To leave, use `leave`.
#[utoipa::path(
    operation_id = "kick_group_member",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("user_id" = String, Path, description = MEMBER)),
    responses((status = 204, description = "The member is removed.")),
    extensions(("x-errors" = json!([
        C::InvalidField, C::Forbidden, C::NotMember, C::NotFound, C::GroupDissolved, C::Busy
    ])))
)]
#[delete("/api/v1/groups/{group_id}/members/{user_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn kick(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, target) = path.into_inner();
    let target = user_param(&target)?;
    // Kicking oneself is refused before the group is looked at, as it always was.
    check_kick_target(&who.0.user_id, &target)?;
    state.groups.kick(&who.0.user_id, &group_param(&group)?, &target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the caller's own nickname or private remark in a group. Members only.
///
/// Absent fields stay; an empty string clears. The remark is seen by the caller only.
#[utoipa::path(
    operation_id = "update_my_group_membership",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = UpdateMyMembershipRequest,
    responses((status = 200, description = "The group, with the caller's membership as changed.", body = GroupInfo)),
    extensions(("x-errors" = json!([C::NotMember, C::NotFound, C::GroupDissolved])))
)]
#[patch("/api/v1/groups/{group_id}/me")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn update_me(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<UpdateMyMembershipRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let patch = MemberPatch { nickname: clearable(body.nickname.as_ref()), remark: clearable(body.remark.as_ref()) };
    let id = group_param(&path)?;
    state.groups.update_me(&who.0.user_id, &id, patch).await?;
    reply_view(&state, &who.0.user_id, &id).await
}

/// Leave a group.
///
/// The owner cannot leave: they must transfer ownership or dissolve the group first. The caller
/// keeps read access up to the `left` notice.
#[utoipa::path(
    operation_id = "leave_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    responses((status = 204, description = "The caller is no longer a member.")),
    extensions(("x-errors" = json!([C::Forbidden, C::NotMember, C::NotFound, C::GroupDissolved, C::Busy])))
)]
#[post("/api/v1/groups/{group_id}/leave")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn leave(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.groups.leave(&who.0.user_id, &group_param(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
