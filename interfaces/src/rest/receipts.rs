//! `GET /api/v1/conversations/{conv}/messages/{seq}/reads`: who has read a message.

use actix_web::{HttpResponse, get, web};
use tidings_app::messaging::parse_conv;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::receipts::ReadReceipts;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(reads);
}

/// Who has read a message.
///
/// Current members (not the sender) whose read position reached `seq`, and how many who can see
/// the message have not. Members only; groups above `limits.receipts_max_members` answer
/// `forbidden`.
#[utoipa::path(
    operation_id = "message_reads",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("conv" = String, Path, description = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`."),
        ("seq" = u64, Path, description = "Seq of the message."),
    ),
    responses((status = 200, description = "Who read the message.", body = ReadReceipts)),
    extensions(("x-errors" = json!([C::SeqOutOfRange, C::NotMember, C::Forbidden, C::UnknownConversation])))
)]
#[get("/api/v1/conversations/{conv}/messages/{seq}/reads")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, seq = path.1))]
pub(super) async fn reads(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ApiError> {
    let (conv, seq) = path.into_inner();
    let list = state.messaging.read_list(&who.0.user_id, &parse_conv(&conv)?, seq).await?;
    let read_by: Vec<String> = list.read_by.iter().map(ToString::to_string).collect();
    let count = read_by.len() as u64;
    Ok(HttpResponse::Ok().json(ReadReceipts { read_by, count, unread_count: list.unread }))
}
