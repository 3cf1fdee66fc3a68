//! `/api/v1/groups` and `/api/v1/groups/{group_id}`: a group's lifecycle (create, list, read,
//! change, dissolve) and its ownership; the shapes groups take on the wire.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use tidings_app::AppError;
use tidings_app::groups::{GroupView, NewGroup};
use tidings_domain::group::{Group, GroupMember, GroupPatch, JoinPolicy};
use tidings_domain::{GroupId, UserId};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::social::{
    CreateGroupRequest, GroupInfo, GroupList, MyMembership, TransferRequest, UpdateGroupRequest,
};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::Authed;
use super::friends::user_param;
use super::paging::{AfterPage, next_cursor};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create).service(mine).service(get).service(update).service(dissolve).service(transfer);
}

/// The `{group_id}` path parameter.
pub(super) const GROUP: &str = "Group id (`g_` + ULID); its conversation is `g:{group_id}`.";

/// The `{group_id}` path parameter, parsed once. A malformed id names no group, so it is refused
/// as an unknown group is (404 `not_found`); handlers parse it after their other checks, where
/// the group used to be looked up, so a request with several faults keeps its answer.
pub(super) fn group_param(raw: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(raw).ok_or_else(|| AppError::NotFound("group").into())
}

/// The full view for members, the public card for outsiders.
fn info(view: &GroupView) -> GroupInfo {
    group_info(&view.group, view.me.as_ref(), view.me.is_some())
}

/// A group as the wire shows it: everything for `insiders` (members, enterprise admins), the
/// public card otherwise; `me` is the caller's own membership, if any.
pub(super) fn group_info(g: &Group, me: Option<&GroupMember>, insider: bool) -> GroupInfo {
    GroupInfo {
        group_id: g.id.to_string(),
        conv: format!("g:{}", g.id),
        name: g.name.clone(),
        avatar: g.avatar.clone(),
        introduction: g.introduction.clone(),
        join_policy: g.join_policy.as_str().to_owned(),
        member_count: g.member_count,
        dissolved_at: g.dissolved_at,
        announcement: g.announcement.clone().filter(|_| insider),
        owner: insider.then(|| g.owner.to_string()),
        mute_all: insider.then_some(g.mute_all),
        history_visible: insider.then_some(g.history_visible),
        policies: insider.then(|| g.policies.view()),
        created_at: g.created_at,
        me: me.map(|m| MyMembership {
            role: m.role.as_str().to_owned(),
            nickname: m.nickname.clone(),
            remark: m.remark.clone(),
            muted_until: m.muted_until,
            joined_at: m.joined_at,
        }),
    }
}

fn join_policy(raw: Option<&str>) -> Result<Option<JoinPolicy>, ApiError> {
    raw.map(|p| JoinPolicy::parse(p).ok_or_else(|| ApiError::invalid("join_policy: open, approval or invite_only")))
        .transpose()
}

pub(super) fn user_ids(raw: &[String]) -> Result<Vec<UserId>, ApiError> {
    raw.iter().map(|id| user_param(id)).collect()
}

/// What a new group starts with, from the fields a creation body carries (members and admins
/// create groups from the same fields): text trimmed, empty optional text dropped.
pub(super) fn new_group(
    name: &str,
    avatar: Option<&String>,
    introduction: Option<&String>,
    members: &[String],
    policy: Option<&str>,
    history_visible: bool,
) -> Result<NewGroup, ApiError> {
    let given = |text: Option<&String>| text.filter(|t| !t.trim().is_empty()).cloned();
    Ok(NewGroup {
        name: name.trim().to_owned(),
        avatar: given(avatar),
        introduction: given(introduction),
        members: user_ids(members)?,
        join_policy: join_policy(policy)?.unwrap_or_default(),
        history_visible,
    })
}

/// An empty string clears an optional text field.
pub(super) fn clearable(value: Option<&String>) -> Option<Option<String>> {
    value.map(|v| Some(v.clone()).filter(|v| !v.trim().is_empty()))
}

/// Answers with the group as `user` sees it.
pub(super) async fn reply_view(state: &AppState, user: &UserId, id: &GroupId) -> Result<HttpResponse, ApiError> {
    let view = state.groups.view(user, id).await?;
    Ok(HttpResponse::Ok().json(info(&view)))
}

/// Create a group owned by the caller, with first members.
///
/// The first members must exist and must not have blocked the caller; the creator counts
/// toward the member cap. A `created` notice opens the group's log.
#[utoipa::path(
    operation_id = "create_group",
    tag = "groups",
    security(("bearer" = [])),
    request_body = CreateGroupRequest,
    responses((status = 201, description = "The new group, as its owner sees it.", body = GroupInfo)),
    extensions(("x-errors" = json!([C::Blocked, C::NotFound, C::GroupFull, C::Busy, C::ContentRejected])))
)]
#[post("/api/v1/groups")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn create(
    state: web::Data<AppState>,
    who: Authed,
    body: Json<CreateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let me = &who.0.user_id;
    let b = &*body;
    let new = new_group(
        &b.name,
        b.avatar.as_ref(),
        b.introduction.as_ref(),
        &b.members,
        b.join_policy.as_deref(),
        b.history_visible,
    )?;
    let group = state.groups.create(me, new).await?;
    let view = state.groups.view(me, &group.id).await?;
    Ok(HttpResponse::Created().json(info(&view)))
}

/// List the caller's groups, ordered by group id.
///
/// Dissolved groups stay in the list (their members keep read access).
#[utoipa::path(
    operation_id = "list_groups",
    tag = "groups",
    security(("bearer" = [])),
    params(AfterPage),
    responses((status = 200, description = "A page of the caller's groups, ordered by group id.", body = GroupList)),
    extensions(("x-errors" = json!([C::InvalidField])))
)]
#[get("/api/v1/groups")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn mine(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let me = &who.0.user_id;
    let rows = state.groups.mine(me, q.after.as_deref(), q.limit).await?;
    let groups = rows.iter().map(info).collect();
    let next_after = next_cursor(&state, q.limit, &rows, |v| v.group.id.to_string());
    Ok(HttpResponse::Ok().json(GroupList { groups, next_after }))
}

/// Get a group.
///
/// Members get the full view with their own membership (`me`); anyone else gets the public
/// card (id, name, avatar, introduction, join policy, member count, `dissolved_at`), to decide
/// whether to join.
#[utoipa::path(
    operation_id = "get_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    responses((status = 200, description = "The group: the full view for members, the public card for others.", body = GroupInfo)),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[get("/api/v1/groups/{group_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn get(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    reply_view(&state, &who.0.user_id, &group_param(&path)?).await
}

/// Change a group's settings. Owners and admins only.
///
/// Absent fields stay as they are; an empty string clears `avatar`, `introduction` or
/// `announcement`. Each kind of change is announced to the members by a notice.
#[utoipa::path(
    operation_id = "update_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = UpdateGroupRequest,
    responses((status = 200, description = "The group after the change.", body = GroupInfo)),
    extensions(("x-errors" = json!([
        C::Forbidden, C::NotMember, C::NotFound, C::GroupDissolved, C::Busy, C::ContentRejected
    ])))
)]
#[patch("/api/v1/groups/{group_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn update(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<UpdateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let patch = GroupPatch {
        name: body.name.as_ref().map(|n| n.trim().to_owned()),
        avatar: clearable(body.avatar.as_ref()),
        introduction: clearable(body.introduction.as_ref()),
        announcement: clearable(body.announcement.as_ref()),
        join_policy: join_policy(body.join_policy.as_deref())?,
        mute_all: body.mute_all,
        history_visible: body.history_visible,
        policy_changes: body.policies.clone(),
        policies: None,
    };
    let id = group_param(&path)?;
    state.groups.update(&who.0.user_id, &id, patch).await?;
    reply_view(&state, &who.0.user_id, &id).await
}

/// Dissolve a group. The owner only.
///
/// The group stays readable by its members (history, member list) but nothing can be changed
/// or posted any more. A `dissolved` notice is its last message.
#[utoipa::path(
    operation_id = "dissolve_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    responses((status = 204, description = "The group is dissolved.")),
    extensions(("x-errors" = json!([C::Forbidden, C::NotMember, C::NotFound, C::GroupDissolved, C::Busy])))
)]
#[delete("/api/v1/groups/{group_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn dissolve(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.groups.dissolve(&who.0.user_id, &group_param(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Hand a group's ownership to another member. The owner only.
///
/// The old owner becomes an admin. Announced by an `owner_transferred` notice.
#[utoipa::path(
    operation_id = "transfer_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = TransferRequest,
    responses((status = 200, description = "The group under its new owner, as the caller (now an admin) sees it.", body = GroupInfo)),
    extensions(("x-errors" = json!([C::Forbidden, C::NotMember, C::NotFound, C::GroupDissolved, C::Busy])))
)]
#[post("/api/v1/groups/{group_id}/transfer")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn transfer(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<TransferRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let target = user_param(&body.user_id)?;
    let id = group_param(&path)?;
    state.groups.transfer(&who.0.user_id, &id, &target).await?;
    reply_view(&state, &who.0.user_id, &id).await
}
