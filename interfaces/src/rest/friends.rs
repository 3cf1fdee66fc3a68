//! `/api/v1/friends`, `/api/v1/friends/requests`, `/api/v1/blocks` and `/api/v1/me/privacy`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use tidings_app::AppError;
use tidings_app::social::RequestOutcome;
use tidings_domain::UserId;
use tidings_domain::social::{DmPolicy, Friend, FriendRequest, RequestStatus};
use tidings_protocol::social::{
    BlockList, BlockView, FriendList, FriendRequestBody, FriendRequestList, FriendRequestResult, FriendRequestView,
    FriendView, PrivacySettings, UpdateFriendRequest,
};
use validator::Validate;

use super::RouteTable;
use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(t: &mut RouteTable) {
    t.get("/api/v1/me/privacy", privacy)
        .put("/api/v1/me/privacy", set_privacy)
        .get("/api/v1/friends", list)
        .get("/api/v1/friends/requests", list_requests)
        .post("/api/v1/friends/requests", send_request)
        .post("/api/v1/friends/requests/{request_id}/accept", accept)
        .post("/api/v1/friends/requests/{request_id}/reject", reject)
        .patch("/api/v1/friends/{user_id}", update)
        .delete("/api/v1/friends/{user_id}", remove)
        .get("/api/v1/blocks", list_blocks)
        .put("/api/v1/blocks/{user_id}", block)
        .delete("/api/v1/blocks/{user_id}", unblock);
}

/// `?after=&limit=` of id-ordered lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterPage {
    after: Option<String>,
    limit: Option<u32>,
}

/// `?direction=incoming|outgoing&status=&before=&limit=` of the request list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    direction: Option<String>,
    status: Option<String>,
    before: Option<String>,
    limit: Option<u32>,
}

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

/// An optional `after` cursor that must be a user id.
fn after_user(raw: Option<&str>) -> Result<Option<UserId>, ApiError> {
    raw.map(|a| UserId::parse(a).ok_or_else(|| ApiError::invalid("after must be a user id"))).transpose()
}

/// `POST /friends/requests` {user_id, message?}.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn send_request(
    state: web::Data<AppState>,
    who: Authed,
    body: web::Json<FriendRequestBody>,
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

/// `GET /friends/requests`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn list_requests(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<RequestQuery>,
) -> Result<HttpResponse, ApiError> {
    let incoming = match q.direction.as_deref() {
        None | Some("incoming") => true,
        Some("outgoing") => false,
        Some(_) => return Err(ApiError::invalid("direction must be incoming or outgoing")),
    };
    let status = q
        .status
        .as_deref()
        .map(|s| {
            RequestStatus::parse(s).ok_or_else(|| ApiError::invalid("status must be pending, accepted or rejected"))
        })
        .transpose()?;
    let rows = state.social.requests(&who.0.user_id, incoming, status, q.before.as_deref(), q.limit).await?;
    let next_before = next_after(&state, q.limit, rows.len()).then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(HttpResponse::Ok().json(FriendRequestList { requests: rows.iter().map(request_view).collect(), next_before }))
}

/// `POST /friends/requests/{request_id}/accept`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn accept(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = state.social.answer(&who.0.user_id, &path, true).await?;
    Ok(HttpResponse::Ok().json(request_view(&r)))
}

/// `POST /friends/requests/{request_id}/reject`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn reject(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = state.social.answer(&who.0.user_id, &path, false).await?;
    Ok(HttpResponse::Ok().json(request_view(&r)))
}

async fn friend_view(state: &AppState, f: &Friend) -> Result<FriendView, ApiError> {
    let user = wire::profile(&state.accounts.user(&f.user).await?);
    Ok(FriendView { user, remark: f.remark.clone(), since: f.since })
}

/// `GET /friends`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn list(state: web::Data<AppState>, who: Authed, q: web::Query<AfterPage>) -> Result<HttpResponse, ApiError> {
    let after = after_user(q.after.as_deref())?;
    let rows = state.social.friends(&who.0.user_id, after.as_ref(), q.limit).await?;
    let mut friends = Vec::with_capacity(rows.len());
    for f in &rows {
        friends.push(friend_view(&state, f).await?);
    }
    let next_after = next_after(&state, q.limit, rows.len()).then(|| rows.last().map(|f| f.user.to_string())).flatten();
    Ok(HttpResponse::Ok().json(FriendList { friends, next_after }))
}

/// `PATCH /friends/{user_id}` {remark}.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn update(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: web::Json<UpdateFriendRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let other = user_param(&path)?;
    let remark = body.remark.as_deref().filter(|r| !r.trim().is_empty());
    let f = state.social.set_remark(&who.0.user_id, &other, remark).await?;
    Ok(HttpResponse::Ok().json(friend_view(&state, &f).await?))
}

/// `DELETE /friends/{user_id}`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn remove(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let other = user_param(&path)?;
    state.social.remove_friend(&who.0.user_id, &other).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /blocks`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn list_blocks(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<AfterPage>,
) -> Result<HttpResponse, ApiError> {
    let after = after_user(q.after.as_deref())?;
    let rows = state.social.blocks(&who.0.user_id, after.as_ref(), q.limit).await?;
    let next_after = next_after(&state, q.limit, rows.len()).then(|| rows.last().map(|b| b.0.to_string())).flatten();
    let blocks = rows.into_iter().map(|(user, at)| BlockView { user_id: user.to_string(), blocked_at: at }).collect();
    Ok(HttpResponse::Ok().json(BlockList { blocks, next_after }))
}

/// `PUT /blocks/{user_id}`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn block(state: web::Data<AppState>, who: Authed, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let target = user_param(&path)?;
    state.social.block(&who.0.user_id, &target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /blocks/{user_id}`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn unblock(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_param(&path)?;
    state.social.unblock(&who.0.user_id, &target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /me/privacy`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn privacy(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    let policy = state.social.dm_policy(&who.0.user_id).await?;
    Ok(HttpResponse::Ok().json(PrivacySettings { dm_policy: policy.as_str().to_owned() }))
}

/// `PUT /me/privacy` {dm_policy}.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn set_privacy(
    state: web::Data<AppState>,
    who: Authed,
    body: web::Json<PrivacySettings>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let policy = DmPolicy::parse(&body.dm_policy).ok_or_else(|| ApiError::invalid("dm_policy: anyone or friends"))?;
    let policy = state.social.set_dm_policy(&who.0.user_id, policy).await?;
    Ok(HttpResponse::Ok().json(PrivacySettings { dm_policy: policy.as_str().to_owned() }))
}

/// The largest page the server hands out.
pub(super) fn max_page(state: &AppState) -> u64 {
    u64::from(state.settings.limits.max_page)
}

/// Whether a page of `got` rows was full, so another may follow.
pub(super) fn next_after(state: &AppState, limit: Option<u32>, got: usize) -> bool {
    let size = limit.map_or(max_page(state), |l| u64::from(l).min(max_page(state)));
    got as u64 >= size && got > 0
}
