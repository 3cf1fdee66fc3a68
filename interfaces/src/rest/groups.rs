//! `/api/v1/groups`: lifecycle, members, roles, mutes, join requests.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use tidings_app::AppError;
use tidings_app::groups::{GroupView, JoinOutcome, NewGroup};
use tidings_domain::UserId;
use tidings_domain::group::{Group, GroupMember, GroupPatch, JoinPolicy, JoinRequest, MemberPatch, Role};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::rest::ErrorBody;
use tidings_protocol::social::{
    CreateGroupRequest, GroupInfo, GroupList, GroupMemberList, GroupMemberView, InviteRequest, InviteResult,
    JoinGroupRequest, JoinRequestList, JoinRequestView, JoinResult, MyMembership, TransferRequest, UpdateGroupRequest,
    UpdateMemberRequest, UpdateMyMembershipRequest,
};
use validator::Validate;

use super::RouteTable;
use super::doc;
use super::extract::Authed;
use super::friends::user_param;
use super::paging::{AfterPage, next_cursor, request_status};
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

/// The OpenAPI part of this module.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create,
        mine,
        get,
        update,
        dissolve,
        members,
        invite,
        update_member,
        kick,
        update_me,
        transfer,
        join,
        leave,
        join_requests,
        approve,
        reject
    ),
    components(schemas(
        CreateGroupRequest,
        UpdateGroupRequest,
        GroupInfo,
        MyMembership,
        GroupList,
        GroupMemberList,
        GroupMemberView,
        InviteRequest,
        InviteResult,
        UpdateMemberRequest,
        UpdateMyMembershipRequest,
        TransferRequest,
        JoinGroupRequest,
        JoinResult,
        JoinRequestView,
        JoinRequestList,
        ErrorBody
    ))
)]
pub(super) struct Api;

/// `?status=&before=&limit=` of the join-request list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    /// Only requests in this state: `pending`, `accepted` or `rejected`. Omit for all.
    status: Option<String>,
    /// Cursor: the `next_before` of the previous page (a request id). Omit for the first page.
    before: Option<String>,
    /// Page size (at least 1; default and cap `limits.max_page`).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    limit: Option<u32>,
}

/// The `{group_id}` path parameter.
const GROUP: &str = "Group id (`g_` + ULID); its conversation is `g:{group_id}`.";

/// The `{user_id}` path parameter of member routes.
const MEMBER: &str = "The member's user id (`u_` + ULID).";

/// The `{request_id}` path parameter of join-request routes.
const REQUEST: &str = "The join request's id (`jr_` + ULID).";

/// The full view for members, the public card for outsiders.
fn info(view: &GroupView) -> GroupInfo {
    group_info(&view.group, view.me.as_ref(), view.me.is_some())
}

/// A group as the wire shows it: everything for `insiders` (members, enterprise admins), the
/// public card otherwise; `me` is the caller's own membership, if any.
pub(super) fn group_info(g: &Group, me: Option<&GroupMember>, insider: bool) -> GroupInfo {
    GroupInfo {
        group_id: g.id.clone(),
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

/// A body that may be left out entirely (empty means defaults), but when given must be valid
/// JSON of the right shape, like every other body.
fn optional_json<T: serde::de::DeserializeOwned + Default>(raw: &[u8], limit: usize) -> Result<T, ApiError> {
    if raw.len() > limit {
        return Err(ApiError::new(
            tidings_protocol::ErrorCode::PayloadTooLarge,
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ));
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw).map_err(|e| {
        if e.is_data() {
            ApiError::invalid(e.to_string())
        } else {
            ApiError::new(tidings_protocol::ErrorCode::BadJson, actix_web::http::StatusCode::BAD_REQUEST, e.to_string())
        }
    })
}

/// An empty string clears an optional text field.
fn clearable(value: Option<&String>) -> Option<Option<String>> {
    value.map(|v| Some(v.clone()).filter(|v| !v.trim().is_empty()))
}

async fn reply_view(state: &AppState, user: &UserId, id: &str) -> Result<HttpResponse, ApiError> {
    let view = state.groups.view(user, id).await?;
    Ok(HttpResponse::Ok().json(info(&view)))
}

/// Create a group owned by the caller, with first members.
///
/// The first members must exist and must not have blocked the caller; the creator counts
/// toward the member cap. A `created` notice opens the group's log.
#[utoipa::path(
    post,
    path = "/api/v1/groups",
    operation_id = "create_group",
    tag = "groups",
    security(("bearer" = [])),
    request_body = CreateGroupRequest,
    responses(
        (status = 201, description = "The new group, as its owner sees it.", body = GroupInfo),
        (status = 400, description = doc::bad_body(), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Blocked]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 409, description = doc::codes(&[C::GroupFull]), body = ErrorBody),
        (status = 413, description = doc::too_large(), body = ErrorBody),
        (status = 415, description = doc::not_json(), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
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
    get,
    path = "/api/v1/groups",
    operation_id = "list_groups",
    tag = "groups",
    security(("bearer" = [])),
    params(AfterPage),
    responses(
        (status = 200, description = "A page of the caller's groups, ordered by group id.", body = GroupList),
        (status = 400, description = doc::codes(&[C::InvalidField]), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn mine(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let me = &who.0.user_id;
    let rows = state.groups.mine(me, q.after.as_deref(), q.limit).await?;
    let groups = rows.iter().map(info).collect();
    let next_after = next_cursor(&state, q.limit, &rows, |v| v.group.id.clone());
    Ok(HttpResponse::Ok().json(GroupList { groups, next_after }))
}

/// Get a group.
///
/// Members get the full view with their own membership (`me`); anyone else gets the public
/// card (id, name, avatar, introduction, join policy, member count, `dissolved_at`), to decide
/// whether to join.
#[utoipa::path(
    get,
    path = "/api/v1/groups/{group_id}",
    operation_id = "get_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    responses(
        (status = 200, description = "The group: the full view for members, the public card for others.", body = GroupInfo),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn get(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    reply_view(&state, &who.0.user_id, &path).await
}

/// Change a group's settings. Owners and admins only.
///
/// Absent fields stay as they are; an empty string clears `avatar`, `introduction` or
/// `announcement`. Each kind of change is announced to the members by a notice.
#[utoipa::path(
    patch,
    path = "/api/v1/groups/{group_id}",
    operation_id = "update_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = UpdateGroupRequest,
    responses(
        (status = 200, description = "The group after the change.", body = GroupInfo),
        (status = 400, description = doc::bad_body(), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 413, description = doc::too_large(), body = ErrorBody),
        (status = 415, description = doc::not_json(), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
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
    };
    state.groups.update(&who.0.user_id, &path, patch).await?;
    reply_view(&state, &who.0.user_id, &path).await
}

/// Dissolve a group. The owner only.
///
/// The group stays readable by its members (history, member list) but nothing can be changed
/// or posted any more. A `dissolved` notice is its last message.
#[utoipa::path(
    delete,
    path = "/api/v1/groups/{group_id}",
    operation_id = "dissolve_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    responses(
        (status = 204, description = "The group is dissolved."),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn dissolve(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.groups.dissolve(&who.0.user_id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a group's members, ordered by user id. Members only.
///
/// Dissolved groups can still be listed.
#[utoipa::path(
    get,
    path = "/api/v1/groups/{group_id}/members",
    operation_id = "list_group_members",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), AfterPage),
    responses(
        (status = 200, description = "A page of members, ordered by user id.", body = GroupMemberList),
        (status = 400, description = doc::codes(&[C::InvalidField]), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn members(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let after = q.after_user()?;
    let rows = state.groups.members(&who.0.user_id, &path, after.as_ref(), q.limit).await?;
    let next_after = next_cursor(&state, q.limit, &rows, |m| m.user.to_string());
    Ok(HttpResponse::Ok().json(GroupMemberList { members: rows.iter().map(member_view).collect(), next_after }))
}

/// Add people to a group. Any member may invite, whatever the join policy.
///
/// Each invitee must exist and must not have blocked the caller; people who are members already
/// are skipped. The newcomers are announced by a `joined` notice.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{group_id}/members",
    operation_id = "invite_group_members",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = InviteRequest,
    responses(
        (status = 200, description = "Who became a member.", body = InviteResult),
        (status = 400, description = doc::bad_body(), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::NotMember, C::Blocked]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 409, description = doc::codes(&[C::GroupFull]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 413, description = doc::too_large(), body = ErrorBody),
        (status = 415, description = doc::not_json(), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn invite(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let added = state.groups.invite(&who.0.user_id, &path, &user_ids(&body.user_ids)?).await?;
    Ok(HttpResponse::Ok().json(InviteResult { added: added.iter().map(ToString::to_string).collect() }))
}

/// Change a member's role or mute them. Owners and admins only.
///
/// Give `role`, `mute_secs` or both. Only the owner changes roles (`admin` or `member`; the
/// owner's own role changes only by transfer). Owners and admins mute members below their role,
/// for at most `limits.max_mute_secs` seconds; 0 unmutes.
#[utoipa::path(
    patch,
    path = "/api/v1/groups/{group_id}/members/{user_id}",
    operation_id = "update_group_member",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("user_id" = String, Path, description = MEMBER)),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "The member after the change.", body = GroupMemberView),
        (status = 400, description = doc::bad_body(), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 413, description = doc::too_large(), body = ErrorBody),
        (status = 415, description = doc::not_json(), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
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
    if body.mute_secs.is_some_and(|secs| secs > state.settings.groups.max_mute.as_secs()) {
        return Err(ApiError::invalid(format!(
            "mute_secs must be at most {}",
            state.settings.groups.max_mute.as_secs()
        )));
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

/// Remove a member from a group. Owners and admins only.
///
/// The owner removes anyone, admins remove ordinary members. The removed member keeps read
/// access up to the `kicked` notice, which they receive too. To leave, use `leave`.
#[utoipa::path(
    delete,
    path = "/api/v1/groups/{group_id}/members/{user_id}",
    operation_id = "kick_group_member",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("user_id" = String, Path, description = MEMBER)),
    responses(
        (status = 204, description = "The member is removed."),
        (status = 400, description = doc::codes(&[C::InvalidField]), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn kick(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, target) = path.into_inner();
    state.groups.kick(&who.0.user_id, &group, &user_param(&target)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the caller's own nickname or private remark in a group. Members only.
///
/// Absent fields stay; an empty string clears. The remark is seen by the caller only.
#[utoipa::path(
    patch,
    path = "/api/v1/groups/{group_id}/me",
    operation_id = "update_my_group_membership",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = UpdateMyMembershipRequest,
    responses(
        (status = 200, description = "The group, with the caller's membership as changed.", body = GroupInfo),
        (status = 400, description = doc::bad_body(), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 413, description = doc::too_large(), body = ErrorBody),
        (status = 415, description = doc::not_json(), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn update_me(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<UpdateMyMembershipRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let patch = MemberPatch { nickname: clearable(body.nickname.as_ref()), remark: clearable(body.remark.as_ref()) };
    state.groups.update_me(&who.0.user_id, &path, patch).await?;
    reply_view(&state, &who.0.user_id, &path).await
}

/// Hand a group's ownership to another member. The owner only.
///
/// The old owner becomes an admin. Announced by an `owner_transferred` notice.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{group_id}/transfer",
    operation_id = "transfer_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body = TransferRequest,
    responses(
        (status = 200, description = "The group under its new owner, as the caller (now an admin) sees it.", body = GroupInfo),
        (status = 400, description = doc::bad_body(), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 413, description = doc::too_large(), body = ErrorBody),
        (status = 415, description = doc::not_json(), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn transfer(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<TransferRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    state.groups.transfer(&who.0.user_id, &path, &user_param(&body.user_id)?).await?;
    reply_view(&state, &who.0.user_id, &path).await
}

/// Join a group, or ask to, as its join policy allows.
///
/// `open` groups: the caller is a member at once (200, `joined`). `approval` groups: a join
/// request waits for an owner or admin (202, `pending`; asking again answers the same pending
/// request). `invite_only` groups: 403. The body (a note for the approvers) is optional.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{group_id}/join",
    operation_id = "join_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body(content = Option<JoinGroupRequest>, description = "Optional: a note for the approvers."),
    responses(
        (status = 200, description = "The caller is a member now (`status: joined`).", body = JoinResult),
        (status = 202, description = "A join request waits for an owner or admin (`status: pending`, with the request).", body = JoinResult),
        (status = 400, description = doc::codes(&[C::BadJson, C::InvalidField]), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 409, description = doc::codes(&[C::Conflict, C::GroupFull]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 413, description = doc::codes(&[C::PayloadTooLarge]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn join(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body = optional_json::<JoinGroupRequest>(&raw, state.settings.limits.max_http_body_bytes)?;
    body.validate()?;
    let message = body.message.filter(|m| !m.trim().is_empty());
    Ok(match state.groups.join(&who.0.user_id, &path, message).await? {
        JoinOutcome::Joined => HttpResponse::Ok().json(JoinResult { status: "joined".into(), request: None }),
        JoinOutcome::Requested(r) => {
            HttpResponse::Accepted().json(JoinResult { status: "pending".into(), request: Some(join_request_view(&r)) })
        }
    })
}

/// Leave a group.
///
/// The owner cannot leave: they must transfer ownership or dissolve the group first. The caller
/// keeps read access up to the `left` notice.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{group_id}/leave",
    operation_id = "leave_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    responses(
        (status = 204, description = "The caller is no longer a member."),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn leave(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.groups.leave(&who.0.user_id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a group's join requests, newest first. Owners and admins only.
#[utoipa::path(
    get,
    path = "/api/v1/groups/{group_id}/requests",
    operation_id = "list_join_requests",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), RequestQuery),
    responses(
        (status = 200, description = "A page of join requests, newest first.", body = JoinRequestList),
        (status = 400, description = doc::codes(&[C::InvalidField]), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn join_requests(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<RequestQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = request_status(q.status.as_deref())?;
    let rows = state.groups.join_requests(&who.0.user_id, &path, status, q.before.as_deref(), q.limit).await?;
    let next_before = next_cursor(&state, q.limit, &rows, |r| r.id.clone());
    Ok(HttpResponse::Ok().json(JoinRequestList { requests: rows.iter().map(join_request_view).collect(), next_before }))
}

/// Approve a join request: the requester becomes a member. Owners and admins only.
///
/// Announced by a `joined` notice.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{group_id}/requests/{request_id}/approve",
    operation_id = "approve_join_request",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("request_id" = String, Path, description = REQUEST)),
    responses(
        (status = 200, description = "The request, now `accepted`.", body = JoinRequestView),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 409, description = doc::codes(&[C::Conflict, C::GroupFull]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
        (status = 503, description = doc::codes(&[C::Busy]), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn approve(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, request) = path.into_inner();
    let r = state.groups.answer_join(&who.0.user_id, &group, &request, true).await?;
    Ok(HttpResponse::Ok().json(join_request_view(&r)))
}

/// Reject a join request. Owners and admins only.
#[utoipa::path(
    post,
    path = "/api/v1/groups/{group_id}/requests/{request_id}/reject",
    operation_id = "reject_join_request",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("request_id" = String, Path, description = REQUEST)),
    responses(
        (status = 200, description = "The request, now `rejected`.", body = JoinRequestView),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::Forbidden, C::NotMember]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::NotFound]), body = ErrorBody),
        (status = 409, description = doc::codes(&[C::Conflict]), body = ErrorBody),
        (status = 410, description = doc::codes(&[C::GroupDissolved]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn reject(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, request) = path.into_inner();
    let r = state.groups.answer_join(&who.0.user_id, &group, &request, false).await?;
    Ok(HttpResponse::Ok().json(join_request_view(&r)))
}
