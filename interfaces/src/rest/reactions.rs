//! `POST /api/v1/conversations/{conv}/messages/{seq}/reactions`: turn an emoji on or off on a
//! message, for the SDK and business systems (the WebSocket `react` frame does the same).

use actix_web::{HttpResponse, post, web};
use tidings_app::messaging::parse_conv;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::reactions::ReactRequest;
use tidings_protocol::rest::SendMessageResponse;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authed, Json};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(react);
}

/// React to a message.
///
/// Turns `emoji` on or off for the caller on message `seq`. A change is a `reaction` entry
/// `{seq, emoji, on, by}` written to the log and pushed to every member and every device of
/// the caller; answers its ack (201). A request that changes nothing (on when on, off when off)
/// writes nothing and answers 200 with the ack of the entry that set the current state,
/// `duplicate: true` (`seq` 0 and an empty `msg_id` when the emoji was never on). Spends the
/// caller's send budget.
#[utoipa::path(
    operation_id = "react_to_message",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("conv" = String, Path, description = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`."),
        ("seq" = u64, Path, description = "Seq of the message reacted to."),
    ),
    request_body = ReactRequest,
    responses(
        (status = 201, description = "Changed; the ack of the `reaction` entry written to the log.", body = SendMessageResponse),
        (status = 200, description = "Nothing changed; the ack of the entry that set the current state, `duplicate: true`.", body = SendMessageResponse),
    ),
    extensions(("x-errors" = json!([
        C::InvalidField, C::SeqOutOfRange, C::NotMember, C::Forbidden, C::UnknownConversation, C::Conflict,
        C::GroupDissolved, C::Blocked, C::NotFriends, C::RateLimited, C::Busy
    ])))
)]
#[post("/api/v1/conversations/{conv}/messages/{seq}/reactions")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, seq = path.1))]
pub(super) async fn react(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
    body: Json<ReactRequest>,
) -> Result<HttpResponse, ApiError> {
    let (conv, seq) = path.into_inner();
    let user = &who.0.user_id;
    state.check_send_rate(user).await?;
    let req = body.into_inner();
    let ack = state.messaging.react(user, parse_conv(&conv)?, seq, &req.emoji, req.on).await?;
    let mut answer = if ack.duplicate { HttpResponse::Ok() } else { HttpResponse::Created() };
    Ok(answer.json(wire::send_response(&ack)))
}
