//! `/api/v1/conversations/{conv}/threads/{root_seq}`: a thread's page and the caller's read
//! position in it.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use tidings_app::messaging::parse_conv;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::threads::{ThreadPageResponse, ThreadReadRequest, ThreadReadResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authed, Json};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(page).service(read);
}

const CONV: &str = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`.";
const ROOT: &str = "Seq of the thread's root message.";

/// `?before_seq=&limit=` of a thread page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// The newest `limit` replies with a seq below this (default: the newest replies).
    before_seq: Option<u64>,
    /// Page size (at least 1; default `limits.default_page`, capped at `limits.max_page`).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    limit: Option<u32>,
}

/// Read a thread, a page at a time.
///
/// The root (with its `thread` summary) and the newest `limit` replies below `before_seq`, in
/// ascending order. Replies are messages of the conversation whose body names the root in
/// `thread_root`; recalled replies leave the thread.
#[utoipa::path(
    operation_id = "get_thread",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV), ("root_seq" = u64, Path, description = ROOT), ThreadQuery),
    responses((status = 200, description = "The root and a page of replies.", body = ThreadPageResponse)),
    extensions(("x-errors" = json!([
        C::InvalidField, C::SeqOutOfRange, C::NotMember, C::UnknownConversation, C::NotFound
    ])))
)]
#[get("/api/v1/conversations/{conv}/threads/{root_seq}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, root = path.1))]
pub(super) async fn page(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
    q: web::Query<ThreadQuery>,
) -> Result<HttpResponse, ApiError> {
    let conv = parse_conv(&path.0)?;
    let page = state.messaging.thread(&who.0.user_id, &conv, path.1, q.before_seq, q.limit).await?;
    Ok(HttpResponse::Ok().json(ThreadPageResponse {
        root: wire::annotated(&page.root, &page.replies),
        messages: wire::page(&page.replies),
        has_more: page.replies.has_more,
    }))
}

/// Mark a thread read.
///
/// Raises the caller's read position in the thread to `seq` (it never moves back). Only the
/// threads one follows (wrote the root, or replied) keep a position and count in the
/// conversation list's `threads`; for others the answer says `following: false`.
#[utoipa::path(
    operation_id = "read_thread",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV), ("root_seq" = u64, Path, description = ROOT)),
    request_body = ThreadReadRequest,
    responses((status = 200, description = "The caller's position in the thread.", body = ThreadReadResponse)),
    extensions(("x-errors" = json!([C::SeqOutOfRange, C::NotMember, C::UnknownConversation])))
)]
#[post("/api/v1/conversations/{conv}/threads/{root_seq}/read")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, root = path.1))]
pub(super) async fn read(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
    body: Json<ThreadReadRequest>,
) -> Result<HttpResponse, ApiError> {
    let conv = parse_conv(&path.0)?;
    let done = state.messaging.thread_read(&who.0.user_id, &conv, path.1, body.seq).await?;
    Ok(HttpResponse::Ok().json(ThreadReadResponse {
        read_seq: done.read_seq,
        following: done.following,
        threads: done.threads,
    }))
}
