//! `/api/v1/groups/{group_id}/join` and `/requests`: joining as the join policy allows, and the
//! join requests owners and admins answer.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use tidings_app::groups::JoinOutcome;
use tidings_domain::group::JoinRequest;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::social::{JoinGroupRequest, JoinRequestList, JoinRequestView, JoinResult};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::Authed;
use super::groups::{GROUP, group_param};
use super::paging::{next_cursor, request_status};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(join).service(join_requests).service(approve).service(reject);
}

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

/// The `{request_id}` path parameter of join-request routes.
const REQUEST: &str = "The join request's id (`jr_` + ULID).";

fn join_request_view(r: &JoinRequest) -> JoinRequestView {
    JoinRequestView {
        request_id: r.id.clone(),
        group_id: r.group_id.to_string(),
        user_id: r.user.to_string(),
        message: r.message.clone(),
        status: r.status.as_str().to_owned(),
        handled_by: r.handled_by.as_ref().map(ToString::to_string),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// A body that may be left out entirely (empty means defaults), but when given must be valid
/// JSON of the right shape, like every other body.
fn optional_json<T: serde::de::DeserializeOwned + Default>(raw: &[u8], limit: usize) -> Result<T, ApiError> {
    if raw.len() > limit {
        return Err(ApiError::new(C::PayloadTooLarge, "request body too large"));
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw).map_err(|e| {
        if e.is_data() { ApiError::invalid(e.to_string()) } else { ApiError::new(C::BadJson, e.to_string()) }
    })
}

/// Join a group, or ask to, as its join policy allows.
///
/// `open` groups: the caller is a member at once (200, `joined`). `approval` groups: a join
/// request waits for an owner or admin (202, `pending`; asking again answers the same pending
/// request). `invite_only` groups: 403. The body (a note for the approvers) is optional.
#[utoipa::path(
    operation_id = "join_group",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP)),
    request_body(content = Option<JoinGroupRequest>, description = "Optional: a note for the approvers."),
    responses(
        (status = 200, description = "The caller is a member now (`status: joined`).", body = JoinResult),
        (status = 202, description = "A join request waits for an owner or admin (`status: pending`, with the request).", body = JoinResult),
    ),
    extensions(("x-errors" = json!([
        C::BadJson, C::InvalidField, C::Forbidden, C::NotFound, C::Conflict, C::GroupFull, C::GroupDissolved,
        C::PayloadTooLarge, C::Busy
    ])))
)]
#[post("/api/v1/groups/{group_id}/join")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn join(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body = optional_json::<JoinGroupRequest>(&raw, state.config.limits.max_http_body_bytes)?;
    body.validate()?;
    let message = body.message.filter(|m| !m.trim().is_empty());
    Ok(match state.groups.join(&who.0.user_id, &group_param(&path)?, message).await? {
        JoinOutcome::Joined => HttpResponse::Ok().json(JoinResult { status: "joined".into(), request: None }),
        JoinOutcome::Requested(r) => {
            HttpResponse::Accepted().json(JoinResult { status: "pending".into(), request: Some(join_request_view(&r)) })
        }
    })
}

/// List a group's join requests, newest first. Owners and admins only.
#[utoipa::path(
    operation_id = "list_join_requests",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), RequestQuery),
    responses((status = 200, description = "A page of join requests, newest first.", body = JoinRequestList)),
    extensions(("x-errors" = json!([C::InvalidField, C::Forbidden, C::NotMember, C::NotFound, C::GroupDissolved])))
)]
#[get("/api/v1/groups/{group_id}/requests")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, group = %path))]
pub(super) async fn join_requests(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    q: web::Query<RequestQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = request_status(q.status.as_deref())?;
    let id = group_param(&path)?;
    let rows = state.groups.join_requests(&who.0.user_id, &id, status, q.before.as_deref(), q.limit).await?;
    let next_before = next_cursor(&state, q.limit, &rows, |r| r.id.clone());
    Ok(HttpResponse::Ok().json(JoinRequestList { requests: rows.iter().map(join_request_view).collect(), next_before }))
}

/// Approve a join request: the requester becomes a member. Owners and admins only.
///
/// Announced by a `joined` notice.
#[utoipa::path(
    operation_id = "approve_join_request",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("request_id" = String, Path, description = REQUEST)),
    responses((status = 200, description = "The request, now `accepted`.", body = JoinRequestView)),
    extensions(("x-errors" = json!([
        C::Forbidden, C::NotMember, C::NotFound, C::Conflict, C::GroupFull, C::GroupDissolved, C::Busy
    ])))
)]
#[post("/api/v1/groups/{group_id}/requests/{request_id}/approve")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn approve(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, request) = path.into_inner();
    let r = state.groups.answer_join(&who.0.user_id, &group_param(&group)?, &request, true).await?;
    Ok(HttpResponse::Ok().json(join_request_view(&r)))
}

/// Reject a join request. Owners and admins only.
#[utoipa::path(
    operation_id = "reject_join_request",
    tag = "groups",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = GROUP), ("request_id" = String, Path, description = REQUEST)),
    responses((status = 200, description = "The request, now `rejected`.", body = JoinRequestView)),
    extensions(("x-errors" = json!([C::Forbidden, C::NotMember, C::NotFound, C::Conflict, C::GroupDissolved])))
)]
#[post("/api/v1/groups/{group_id}/requests/{request_id}/reject")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn reject(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, request) = path.into_inner();
    let r = state.groups.answer_join(&who.0.user_id, &group_param(&group)?, &request, false).await?;
    Ok(HttpResponse::Ok().json(join_request_view(&r)))
}
