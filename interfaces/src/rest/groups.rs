//! `/api/v1/groups`: lifecycle, members, roles, mutes, join requests.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use tidings_app::AppError;
use tidings_app::groups::{GroupView, JoinOutcome, NewGroup};
use tidings_domain::UserId;
use tidings_domain::group::{GroupMember, GroupPatch, JoinPolicy, JoinRequest, MemberPatch, Role};
use tidings_domain::social::RequestStatus;
use tidings_protocol::social::{
    CreateGroupRequest, GroupInfo, GroupList, GroupMemberList, GroupMemberView, InviteRequest, InviteResult,
    JoinGroupRequest, JoinRequestList, JoinRequestView, JoinResult, MyMembership, TransferRequest, UpdateGroupRequest,
    UpdateMemberRequest, UpdateMyMembershipRequest,
};
use validator::Validate;

use super::RouteTable;
use super::extract::Authed;
use super::friends::{next_after, user_param};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(t: &mut RouteTable) {
    t.post("/api/v1/groups", create)
        .get("/api/v1/groups", mine)
        .get("/api/v1/groups/{group_id}", get)
        .patch("/api/v1/groups/{group_id}", update)
        .delete("/api/v1/groups/{group_id}", dissolve)
        .get("/api/v1/groups/{group_id}/members", members)
        .post("/api/v1/groups/{group_id}/members", invite)
        .patch("/api/v1/groups/{group_id}/members/{user_id}", update_member)
        .delete("/api/v1/groups/{group_id}/members/{user_id}", kick)
        .patch("/api/v1/groups/{group_id}/me", update_me)
        .post("/api/v1/groups/{group_id}/transfer", transfer)
        .post("/api/v1/groups/{group_id}/join", join)
        .post("/api/v1/groups/{group_id}/leave", leave)
        .get("/api/v1/groups/{group_id}/requests", join_requests)
        .post("/api/v1/groups/{group_id}/requests/{request_id}/approve", approve)
        .post("/api/v1/groups/{group_id}/requests/{request_id}/reject", reject);
}

/// `?after=&limit=` of id-ordered lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterPage {
    after: Option<String>,
    limit: Option<u32>,
}

/// `?status=&before=&limit=` of the join-request list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    status: Option<String>,
    before: Option<String>,
    limit: Option<u32>,
}

/// The full view for members, the public card for outsiders.
fn info(view: &GroupView) -> GroupInfo {
    let g = &view.group;
    let member = view.me.is_some();
    GroupInfo {
        group_id: g.id.clone(),
        conv: format!("g:{}", g.id),
        name: g.name.clone(),
        avatar: g.avatar.clone(),
        introduction: g.introduction.clone(),
        join_policy: g.join_policy.as_str().to_owned(),
        member_count: g.member_count,
        dissolved_at: g.dissolved_at,
        announcement: g.announcement.clone().filter(|_| member),
        owner: member.then(|| g.owner.to_string()),
        mute_all: member.then_some(g.mute_all),
        history_visible: member.then_some(g.history_visible),
        created_at: g.created_at,
        me: view.me.as_ref().map(|m| MyMembership {
            role: m.role.as_str().to_owned(),
            nickname: m.nickname.clone(),
            remark: m.remark.clone(),
            muted_until: m.muted_until,
            joined_at: m.joined_at,
        }),
    }
}

fn member_view(m: &GroupMember) -> GroupMemberView {
    let now = tidings_app::clock::now_ms();
    GroupMemberView {
        user_id: m.user.to_string(),
        role: m.role.as_str().to_owned(),
        nickname: m.nickname.clone(),
        muted_until: m.muted_until.filter(|&until| until > now),
        joined_at: m.joined_at,
    }
}

fn join_request_view(r: &JoinRequest) -> JoinRequestView {
    JoinRequestView {
        request_id: r.id.clone(),
        group_id: r.group_id.clone(),
        user_id: r.user.to_string(),
        message: r.message.clone(),
        status: r.status.as_str().to_owned(),
        handled_by: r.handled_by.as_ref().map(ToString::to_string),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

fn join_policy(raw: Option<&str>) -> Result<Option<JoinPolicy>, ApiError> {
    raw.map(|p| JoinPolicy::parse(p).ok_or_else(|| ApiError::invalid("join_policy: open, approval or invite_only")))
        .transpose()
}

fn user_ids(raw: &[String]) -> Result<Vec<UserId>, ApiError> {
    raw.iter().map(|id| user_param(id)).collect()
}

/// An empty string clears an optional text field.
fn clearable(value: Option<&String>) -> Option<Option<String>> {
    value.map(|v| Some(v.clone()).filter(|v| !v.trim().is_empty()))
}

async fn reply_view(state: &AppState, user: &UserId, id: &str) -> Result<HttpResponse, ApiError> {
    let view = state.groups.view(user, id).await?;
    Ok(HttpResponse::Ok().json(info(&view)))
}

/// `POST /groups`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn create(
    state: web::Data<AppState>,
    who: Authed,
    body: web::Json<CreateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let me = &who.0.user_id;
    let new = NewGroup {
        name: body.name.trim().to_owned(),
        avatar: body.avatar.clone().filter(|a| !a.trim().is_empty()),
        introduction: body.introduction.clone().filter(|i| !i.trim().is_empty()),
        members: user_ids(&body.members)?,
        join_policy: join_policy(body.join_policy.as_deref())?.unwrap_or_default(),
        history_visible: body.history_visible,
    };
    let group = state.groups.create(me, new).await?;
    let view = state.groups.view(me, &group.id).await?;
    Ok(HttpResponse::Created().json(info(&view)))
}

/// `GET /groups`: the caller's groups.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn mine(state: web::Data<AppState>, who: Authed, q: web::Query<AfterPage>) -> Result<HttpResponse, ApiError> {
    let me = &who.0.user_id;
    let rows = state.groups.mine(me, q.after.as_deref(), q.limit).await?;
    let mut groups = Vec::with_capacity(rows.len());
    for g in &rows {
        groups.push(info(&state.groups.view(me, &g.id).await?));
    }
    let next_after = next_after(&state, q.limit, rows.len()).then(|| rows.last().map(|g| g.id.clone())).flatten();
    Ok(HttpResponse::Ok().json(GroupList { groups, next_after }))
}

/// `GET /groups/{group_id}`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn get(state: web::Data<AppState>, who: Authed, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    reply_view(&state, &who.0.user_id, &path).await
}

/// `PATCH /groups/{group_id}` (owners and admins).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn update(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: web::Json<UpdateGroupRequest>,
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
    };
    state.groups.update(&who.0.user_id, &path, patch).await?;
    reply_view(&state, &who.0.user_id, &path).await
}

/// `DELETE /groups/{group_id}`: dissolve (owner).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn dissolve(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.groups.dissolve(&who.0.user_id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /groups/{group_id}/members` (members).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn members(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let after = q
        .after
        .as_deref()
        .map(|a| UserId::parse(a).ok_or_else(|| ApiError::invalid("after must be a user id")))
        .transpose()?;
    let rows = state.groups.members(&who.0.user_id, &path, after.as_ref(), q.limit).await?;
    let next_after = next_after(&state, q.limit, rows.len()).then(|| rows.last().map(|m| m.user.to_string())).flatten();
    Ok(HttpResponse::Ok().json(GroupMemberList { members: rows.iter().map(member_view).collect(), next_after }))
}

/// `POST /groups/{group_id}/members` {user_ids}: invite.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn invite(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: web::Json<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let added = state.groups.invite(&who.0.user_id, &path, &user_ids(&body.user_ids)?).await?;
    Ok(HttpResponse::Ok().json(InviteResult { added: added.iter().map(ToString::to_string).collect() }))
}

/// `PATCH /groups/{group_id}/members/{user_id}` {role?, mute_secs?} (owners and admins).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn update_member(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
    body: web::Json<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let (group, target) = path.into_inner();
    let target = user_param(&target)?;
    if body.role.is_none() && body.mute_secs.is_none() {
        return Err(ApiError::invalid("give role or mute_secs"));
    }
    let me = &who.0.user_id;
    if let Some(role) = &body.role {
        let role = Role::parse(role).ok_or_else(|| ApiError::invalid("role: admin or member"))?;
        state.groups.set_role(me, &group, &target, role).await?;
    }
    if let Some(secs) = body.mute_secs {
        state.groups.mute(me, &group, &target, secs).await?;
    }
    let member = state.groups.view(&target, &group).await?.me.ok_or(AppError::NotFound("member"))?;
    Ok(HttpResponse::Ok().json(member_view(&member)))
}

/// `DELETE /groups/{group_id}/members/{user_id}`: remove a member (owners and admins).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn kick(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, target) = path.into_inner();
    state.groups.kick(&who.0.user_id, &group, &user_param(&target)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PATCH /groups/{group_id}/me` {nickname?, remark?}.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn update_me(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: web::Json<UpdateMyMembershipRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let patch = MemberPatch { nickname: clearable(body.nickname.as_ref()), remark: clearable(body.remark.as_ref()) };
    state.groups.update_me(&who.0.user_id, &path, patch).await?;
    reply_view(&state, &who.0.user_id, &path).await
}

/// `POST /groups/{group_id}/transfer` {user_id} (owner).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn transfer(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: web::Json<TransferRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    state.groups.transfer(&who.0.user_id, &path, &user_param(&body.user_id)?).await?;
    reply_view(&state, &who.0.user_id, &path).await
}

/// `POST /groups/{group_id}/join` {message?}.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn join(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Option<web::Json<JoinGroupRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    body.validate()?;
    let message = body.message.filter(|m| !m.trim().is_empty());
    Ok(match state.groups.join(&who.0.user_id, &path, message).await? {
        JoinOutcome::Joined => HttpResponse::Ok().json(JoinResult { status: "joined".into(), request: None }),
        JoinOutcome::Requested(r) => {
            HttpResponse::Accepted().json(JoinResult { status: "pending".into(), request: Some(join_request_view(&r)) })
        }
    })
}

/// `POST /groups/{group_id}/leave`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn leave(state: web::Data<AppState>, who: Authed, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.groups.leave(&who.0.user_id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /groups/{group_id}/requests` (owners and admins).
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub async fn join_requests(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<RequestQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            RequestStatus::parse(s).ok_or_else(|| ApiError::invalid("status must be pending, accepted or rejected"))
        })
        .transpose()?;
    let rows = state.groups.join_requests(&who.0.user_id, &path, status, q.before.as_deref(), q.limit).await?;
    let next_before = next_after(&state, q.limit, rows.len()).then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(HttpResponse::Ok().json(JoinRequestList { requests: rows.iter().map(join_request_view).collect(), next_before }))
}

/// `POST /groups/{group_id}/requests/{request_id}/approve`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn approve(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, request) = path.into_inner();
    let r = state.groups.answer_join(&who.0.user_id, &group, &request, true).await?;
    Ok(HttpResponse::Ok().json(join_request_view(&r)))
}

/// `POST /groups/{group_id}/requests/{request_id}/reject`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn reject(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, request) = path.into_inner();
    let r = state.groups.answer_join(&who.0.user_id, &group, &request, false).await?;
    Ok(HttpResponse::Ok().json(join_request_view(&r)))
}
