//! `/api/v1/friends`, `/api/v1/friends/requests`, `/api/v1/blocks` and `/api/v1/me/privacy`.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::Deserialize;
use tidings_app::AppError;
use tidings_app::social::RequestOutcome;
use tidings_domain::UserId;
use tidings_domain::account::User;
use tidings_domain::social::{DmPolicy, Friend, FriendRequest};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::social::{
    BlockList, BlockView, FriendList, FriendRequestBody, FriendRequestList, FriendRequestResult, FriendRequestView,
    FriendView, PrivacySettings, UpdateFriendRequest,
};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::Authed;
use super::paging::{AfterPage, next_cursor, request_status};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(privacy)
        .service(set_privacy)
        .service(list)
        .service(list_requests)
        .service(send_request)
        .service(accept)
        .service(reject)
        .service(update)
        .service(remove)
        .service(list_blocks)
        .service(block)
        .service(unblock);
}

/// `?direction=incoming|outgoing&status=&before=&limit=` of the request list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    /// `incoming` (requests to the caller, the default) or `outgoing` (requests the caller sent).
    direction: Option<String>,
    /// Only requests in this state: `pending`, `accepted` or `rejected`. Omit for all.
    status: Option<String>,
    /// Cursor: the `next_before` of the previous page (a request id). Omit for the first page.
    before: Option<String>,
    /// Page size (at least 1; default and cap `limits.max_page`).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    limit: Option<u32>,
}

/// The `{user_id}` path parameter.
const USER: &str = "The other user's id (`u_` + ULID).";

/// The `{request_id}` path parameter.
const REQUEST: &str = "The friend request's id (`fr_` + ULID).";

fn request_view(r: &FriendRequest) -> FriendRequestView {
    FriendRequestView {
        request_id: r.id.clone(),
        from: r.from.to_string(),
        to: r.to.to_string(),
        message: r.message.clone(),
        status: r.status.as_str().to_owned(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// A user id from a path or query, `not_found` when it cannot name anyone.
pub(super) fn user_param(raw: &str) -> Result<UserId, ApiError> {
    UserId::parse(raw).ok_or_else(|| AppError::NotFound("user").into())
}

/// Ask another user to be friends.
///
/// 201 with a new pending request; 200 with the existing request when the same one is already
/// pending (`friends: false`), or when the other user had already asked the caller: that request
/// is accepted and the two are friends now (`friends: true`). An empty `message` is dropped.
#[utoipa::path(
    operation_id = "send_friend_request",
    tag = "friends",
    security(("bearer" = [])),
    request_body = FriendRequestBody,
    responses(
        (status = 201, description = "A new request, pending the other user's answer.", body = FriendRequestResult),
        (status = 200, description = "The same request was already pending (`friends: false`), or the other user's \
            own request was accepted and the two are friends now (`friends: true`).", body = FriendRequestResult),
    ),
    extensions(("x-errors" = json!([C::Blocked, C::NotFound, C::Conflict])))
)]
#[post("/api/v1/friends/requests")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn send_request(
    state: web::Data<AppState>,
    who: Authed,
    body: Json<FriendRequestBody>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let to = user_param(&body.user_id)?;
    let message = body.message.clone().filter(|m| !m.trim().is_empty());
    let outcome = state.social.send_request(&who.0.user_id, &to, message).await?;
    Ok(match outcome {
        RequestOutcome::Sent(r) => {
            HttpResponse::Created().json(FriendRequestResult { request: request_view(&r), friends: false })
        }
        RequestOutcome::AlreadyPending(r) => {
            HttpResponse::Ok().json(FriendRequestResult { request: request_view(&r), friends: false })
        }
        RequestOutcome::BecameFriends(r) => {
            HttpResponse::Ok().json(FriendRequestResult { request: request_view(&r), friends: true })
        }
    })
}

/// List friend requests to or from the caller, newest first.
///
/// Incoming requests by default; `direction=outgoing` for the ones the caller sent.
#[utoipa::path(
    operation_id = "list_friend_requests",
    tag = "friends",
    security(("bearer" = [])),
    params(RequestQuery),
    responses((status = 200, description = "A page of requests, newest first.", body = FriendRequestList)),
    extensions(("x-errors" = json!([C::InvalidField])))
)]
#[get("/api/v1/friends/requests")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn list_requests(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<RequestQuery>,
) -> Result<HttpResponse, ApiError> {
    let incoming = match q.direction.as_deref() {
        None | Some("incoming") => true,
        Some("outgoing") => false,
        Some(_) => return Err(ApiError::invalid("direction must be incoming or outgoing")),
    };
    let status = request_status(q.status.as_deref())?;
    let rows = state.social.requests(&who.0.user_id, incoming, status, q.before.as_deref(), q.limit).await?;
    let next_before = next_cursor(&state, q.limit, &rows, |r| r.id.clone());
    Ok(HttpResponse::Ok().json(FriendRequestList { requests: rows.iter().map(request_view).collect(), next_before }))
}

/// Accept a friend request: the two become friends.
///
/// Only the request's recipient may answer it; to anyone else it does not exist (404).
#[utoipa::path(
    operation_id = "accept_friend_request",
    tag = "friends",
    security(("bearer" = [])),
    params(("request_id" = String, Path, description = REQUEST)),
    responses((status = 200, description = "The request, now `accepted`.", body = FriendRequestView)),
    extensions(("x-errors" = json!([C::NotFound, C::Conflict])))
)]
#[post("/api/v1/friends/requests/{request_id}/accept")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn accept(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = state.social.answer(&who.0.user_id, &path, true).await?;
    Ok(HttpResponse::Ok().json(request_view(&r)))
}

/// Reject a friend request.
///
/// Only the request's recipient may answer it; to anyone else it does not exist (404).
#[utoipa::path(
    operation_id = "reject_friend_request",
    tag = "friends",
    security(("bearer" = [])),
    params(("request_id" = String, Path, description = REQUEST)),
    responses((status = 200, description = "The request, now `rejected`.", body = FriendRequestView)),
    extensions(("x-errors" = json!([C::NotFound, C::Conflict])))
)]
#[post("/api/v1/friends/requests/{request_id}/reject")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn reject(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = state.social.answer(&who.0.user_id, &path, false).await?;
    Ok(HttpResponse::Ok().json(request_view(&r)))
}

fn friend_view(f: &Friend, account: &User) -> FriendView {
    FriendView { user: wire::profile(account), remark: f.remark.clone(), since: f.since }
}

/// List the caller's friends, ordered by user id, with their profiles and the caller's remarks.
#[utoipa::path(
    operation_id = "list_friends",
    tag = "friends",
    security(("bearer" = [])),
    params(AfterPage),
    responses((status = 200, description = "A page of friends, ordered by user id.", body = FriendList)),
    extensions(("x-errors" = json!([C::InvalidField])))
)]
#[get("/api/v1/friends")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn list(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let after = q.after_user()?;
    let rows = state.social.friends(&who.0.user_id, after.as_ref(), q.limit).await?;
    let friends = rows.iter().map(|(f, account)| friend_view(f, account)).collect();
    let next_after = next_cursor(&state, q.limit, &rows, |(f, _)| f.user.to_string());
    Ok(HttpResponse::Ok().json(FriendList { friends, next_after }))
}

/// Set or clear the caller's private remark about a friend.
///
/// A null, absent or blank `remark` clears it. The other user never sees it.
#[utoipa::path(
    operation_id = "update_friend",
    tag = "friends",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER)),
    request_body = UpdateFriendRequest,
    responses((status = 200, description = "The friend, with the new remark.", body = FriendView)),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[patch("/api/v1/friends/{user_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn update(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<UpdateFriendRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let other = user_param(&path)?;
    let remark = body.remark.as_deref().filter(|r| !r.trim().is_empty());
    let f = state.social.set_remark(&who.0.user_id, &other, remark).await?;
    let account = state.accounts.user(&f.user).await?;
    Ok(HttpResponse::Ok().json(friend_view(&f, &account)))
}

/// End a friendship, for both sides.
#[utoipa::path(
    operation_id = "remove_friend",
    tag = "friends",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER)),
    responses((status = 204, description = "The two are no longer friends.")),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[delete("/api/v1/friends/{user_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn remove(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let other = user_param(&path)?;
    state.social.remove_friend(&who.0.user_id, &other).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List the users the caller blocks, ordered by user id.
#[utoipa::path(
    operation_id = "list_blocks",
    tag = "blocks",
    security(("bearer" = [])),
    params(AfterPage),
    responses((status = 200, description = "A page of blocked users, ordered by user id.", body = BlockList)),
    extensions(("x-errors" = json!([C::InvalidField])))
)]
#[get("/api/v1/blocks")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn list_blocks(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let after = q.after_user()?;
    let rows = state.social.blocks(&who.0.user_id, after.as_ref(), q.limit).await?;
    let next_after = next_cursor(&state, q.limit, &rows, |b| b.0.to_string());
    let blocks = rows.into_iter().map(|(user, at)| BlockView { user_id: user.to_string(), blocked_at: at }).collect();
    Ok(HttpResponse::Ok().json(BlockList { blocks, next_after }))
}

/// Block a user: they can no longer message the caller directly or send them friend requests.
///
/// Blocking someone already blocked changes nothing.
#[utoipa::path(
    operation_id = "block_user",
    tag = "blocks",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER)),
    responses((status = 204, description = "The user is blocked.")),
    extensions(("x-errors" = json!([C::InvalidField, C::NotFound])))
)]
#[put("/api/v1/blocks/{user_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn block(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_param(&path)?;
    state.social.block(&who.0.user_id, &target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lift a block.
#[utoipa::path(
    operation_id = "unblock_user",
    tag = "blocks",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER)),
    responses((status = 204, description = "The block is lifted.")),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[delete("/api/v1/blocks/{user_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn unblock(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_param(&path)?;
    state.social.unblock(&who.0.user_id, &target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who may message the caller directly.
///
/// The caller's own choice, or the server default if they never made one.
#[utoipa::path(
    operation_id = "get_privacy",
    tag = "privacy",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's direct-message policy.", body = PrivacySettings))
)]
#[get("/api/v1/me/privacy")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn privacy(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    let policy = state.social.dm_policy(&who.0.user_id).await?;
    Ok(HttpResponse::Ok().json(PrivacySettings { dm_policy: policy.as_str().to_owned() }))
}

/// Choose who may message the caller directly: `anyone` or `friends`.
///
/// With `friends`, direct sends from non-friends fail with `not_friends`.
#[utoipa::path(
    operation_id = "set_privacy",
    tag = "privacy",
    security(("bearer" = [])),
    request_body = PrivacySettings,
    responses((status = 200, description = "The caller's direct-message policy now.", body = PrivacySettings))
)]
#[put("/api/v1/me/privacy")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn set_privacy(
    state: web::Data<AppState>,
    who: Authed,
    body: Json<PrivacySettings>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let policy = DmPolicy::parse(&body.dm_policy).ok_or_else(|| ApiError::invalid("dm_policy: anyone or friends"))?;
    let policy = state.social.set_dm_policy(&who.0.user_id, policy).await?;
    Ok(HttpResponse::Ok().json(PrivacySettings { dm_policy: policy.as_str().to_owned() }))
}
