//! `GET /api/v1/conversations/{conv}/messages/{seq}/reads`: who has read a message.

use actix_web::{HttpResponse, web};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::receipts::ReadReceipts;
use tidings_protocol::rest::ErrorBody;

use super::RouteTable;
use super::doc;
use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(t: &mut RouteTable) {
    t.get("/api/v1/conversations/{conv}/messages/{seq}/reads", reads);
}

/// The OpenAPI part of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(reads), components(schemas(ReadReceipts, ErrorBody)))]
pub(super) struct Api;

/// Who has read a message.
///
/// Current members (not the sender) whose read position reached `seq`, and how many who can see
/// the message have not. Members only; groups above `limits.receipts_max_members` answer
/// `forbidden`.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{conv}/messages/{seq}/reads",
    operation_id = "message_reads",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("conv" = String, Path, description = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`."),
        ("seq" = u64, Path, description = "Seq of the message."),
    ),
    responses(
        (status = 200, description = "Who read the message.", body = ReadReceipts),
        (status = 400, description = doc::codes(&[C::SeqOutOfRange]), body = ErrorBody),
        (status = 401, description = doc::unauthorized(), body = ErrorBody),
        (status = 403, description = doc::codes(&[C::NotMember, C::Forbidden]), body = ErrorBody),
        (status = 404, description = doc::codes(&[C::UnknownConversation]), body = ErrorBody),
        (status = 500, description = doc::internal(), body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, seq = path.1))]
pub(super) async fn reads(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ApiError> {
    let (conv, seq) = path.into_inner();
    let list = state.messaging.read_list(&who.0.user_id, &conv, seq).await?;
    let read_by: Vec<String> = list.read_by.iter().map(ToString::to_string).collect();
    let count = read_by.len() as u64;
    Ok(HttpResponse::Ok().json(ReadReceipts { read_by, count, unread_count: list.unread }))
}
