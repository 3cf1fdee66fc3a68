//! `POST /api/v1/conversations/{conv}/messages/{seq}/recall`: take a message back.

use actix_web::{HttpResponse, post, web};
use tidings_app::messaging::parse_conv;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::rest::SendMessageResponse;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(recall);
}

/// Recall a message.
///
/// The sender may recall within `limits.recall_window` of sending; group owners and admins
/// recall any user message at any time. The original body is erased (the message becomes kind
/// `recalled` with body `{}`), and a `recall` notice `{seq, by}` is written to the log and
/// pushed to every member and every device of the caller. Answers the notice's ack.
#[utoipa::path(
    operation_id = "recall_message",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("conv" = String, Path, description = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`."),
        ("seq" = u64, Path, description = "Seq of the message to recall."),
    ),
    responses((status = 201, description = "Recalled; the ack of the `recall` notice written to the log.", body = SendMessageResponse)),
    extensions(("x-errors" = json!([
        C::SeqOutOfRange, C::NotMember, C::Forbidden, C::UnknownConversation, C::Conflict, C::GroupDissolved, C::Busy
    ])))
)]
#[post("/api/v1/conversations/{conv}/messages/{seq}/recall")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, seq = path.1))]
pub(super) async fn recall(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ApiError> {
    let (conv, seq) = path.into_inner();
    let ack = state.messaging.recall(&who.0.user_id, parse_conv(&conv)?, seq).await?;
    Ok(HttpResponse::Created().json(wire::send_response(&ack)))
}
