//! `/api/v1/conversations/{conv}/pins`: pin, unpin and list a conversation's pinned messages.

use actix_web::{HttpResponse, delete, get, post, web};
use tidings_app::messaging::parse_conv;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::pins::{PinList, PinRequest, PinnedMessage};
use tidings_protocol::rest::SendMessageResponse;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authed, Json};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(pin).service(unpin);
}

const CONV: &str = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`.";

/// The pinned messages.
///
/// Those the caller can see, the most recently pinned first, each as it is now.
#[utoipa::path(
    operation_id = "list_pins",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV)),
    responses((status = 200, description = "The pinned messages.", body = PinList)),
    extensions(("x-errors" = json!([C::NotMember, C::UnknownConversation])))
)]
#[get("/api/v1/conversations/{conv}/pins")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub(super) async fn list(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let pins = state.messaging.pins(&who.0.user_id, &parse_conv(&path)?).await?;
    let pins = pins
        .iter()
        .map(|(p, m)| PinnedMessage { message: wire::message(m), pinned_by: p.by.to_string(), pinned_at: p.at })
        .collect();
    Ok(HttpResponse::Ok().json(PinList { pins }))
}

/// Pin a message.
///
/// In a group, owners and admins pin (every member where the group's `pin` rule is `members`);
/// in a direct chat, either side. A `pin` entry
/// `{seq, on: true, by}` is written to the log and pushed to every member and every device of
/// the caller. Answers the entry's ack. A conversation holds at most 50 pins.
#[utoipa::path(
    operation_id = "pin_message",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = CONV)),
    request_body = PinRequest,
    responses((status = 201, description = "Pinned; the ack of the `pin` entry.", body = SendMessageResponse)),
    extensions(("x-errors" = json!([
        C::SeqOutOfRange, C::NotMember, C::Forbidden, C::UnknownConversation, C::Conflict, C::GroupDissolved, C::Busy
    ])))
)]
#[post("/api/v1/conversations/{conv}/pins")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub(super) async fn pin(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<PinRequest>,
) -> Result<HttpResponse, ApiError> {
    let ack = state.messaging.set_pinned(&who.0.user_id, parse_conv(&path)?, body.seq, true).await?;
    Ok(HttpResponse::Created().json(wire::send_response(&ack)))
}

/// Unpin a message.
///
/// Who may pin may unpin. A `pin` entry `{seq, on: false, by}` is written and pushed as for a
/// pin. Answers the entry's ack.
#[utoipa::path(
    operation_id = "unpin_message",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("conv" = String, Path, description = CONV),
        ("seq" = u64, Path, description = "Seq of the pinned message."),
    ),
    responses((status = 200, description = "Unpinned; the ack of the `pin` entry.", body = SendMessageResponse)),
    extensions(("x-errors" = json!([
        C::SeqOutOfRange, C::NotMember, C::Forbidden, C::UnknownConversation, C::Conflict, C::GroupDissolved, C::Busy
    ])))
)]
#[delete("/api/v1/conversations/{conv}/pins/{seq}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, seq = path.1))]
pub(super) async fn unpin(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ApiError> {
    let (conv, seq) = path.into_inner();
    let ack = state.messaging.set_pinned(&who.0.user_id, parse_conv(&conv)?, seq, false).await?;
    Ok(HttpResponse::Ok().json(wire::send_response(&ack)))
}
