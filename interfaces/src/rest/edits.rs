//! `POST /api/v1/conversations/{conv}/messages/{seq}/edit` (edit an own text message) and
//! `GET /api/v1/conversations/{conv}/messages/{seq}/edits` (the bodies it has had).

use actix_web::{HttpResponse, get, post, web};
use tidings_app::messaging::parse_conv;
use tidings_domain::edit::Version;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::edits::{EditRequest, EditVersion, EditVersions};
use tidings_protocol::rest::SendMessageResponse;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authed, Json};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(edit).service(versions);
}

/// Edit a text message.
///
/// The sender replaces the body of their own `text` message within `limits.edit_window` of
/// sending. The new body is checked like a sent text; its `reply_to` is ignored (the original's
/// is kept). An `edit` entry `{seq, body, edited_at}` is written to the log and pushed to every
/// member and every device of the caller; the message shows the new body and `edited_at` from
/// then on. Answers the entry's ack. Edits count against the send rate.
#[utoipa::path(
    operation_id = "edit_message",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("conv" = String, Path, description = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`."),
        ("seq" = u64, Path, description = "Seq of the message to edit."),
    ),
    request_body = EditRequest,
    responses((status = 201, description = "Edited; the ack of the `edit` entry written to the log.", body = SendMessageResponse)),
    extensions(("x-errors" = json!([
        C::SeqOutOfRange, C::NotMember, C::Forbidden, C::UnknownConversation, C::Conflict, C::GroupDissolved,
        C::Muted, C::Blocked, C::NotFriends, C::BodyTooLarge, C::PayloadTooLarge, C::RateLimited, C::Busy,
        C::ContentRejected, C::ContentCheckUnavailable
    ])))
)]
#[post("/api/v1/conversations/{conv}/messages/{seq}/edit")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, seq = path.1))]
pub(super) async fn edit(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
    body: Json<EditRequest>,
) -> Result<HttpResponse, ApiError> {
    let (conv, seq) = path.into_inner();
    state.check_send_rate(&who.0.user_id).await?;
    let ack = state.messaging.edit(&who.0.user_id, parse_conv(&conv)?, seq, &body.into_inner().body).await?;
    Ok(HttpResponse::Created().json(wire::send_response(&ack)))
}

/// The versions of a message.
///
/// Every body the message has had, oldest first: the original (version 1, with its `ts`), then
/// each edit's (with its `edited_at`); the last is the current body. For the sender and, in
/// groups, owners and admins. A recalled message has none.
#[utoipa::path(
    operation_id = "message_edits",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("conv" = String, Path, description = "Conversation id: `d:{lo}:{hi}` or `g:{group_id}`."),
        ("seq" = u64, Path, description = "Seq of the message."),
    ),
    responses((status = 200, description = "The versions, oldest first.", body = EditVersions)),
    extensions(("x-errors" = json!([C::SeqOutOfRange, C::NotMember, C::Forbidden, C::UnknownConversation])))
)]
#[get("/api/v1/conversations/{conv}/messages/{seq}/edits")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path.0, seq = path.1))]
pub(super) async fn versions(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ApiError> {
    let (conv, seq) = path.into_inner();
    let kept = state.messaging.edit_versions(&who.0.user_id, &parse_conv(&conv)?, seq).await?;
    Ok(HttpResponse::Ok().json(EditVersions { versions: kept.into_iter().map(version).collect() }))
}

fn version(v: Version) -> EditVersion {
    let body = serde_json::from_str(&v.body).unwrap_or(serde_json::Value::String(v.body));
    let (ts, edited_at) = if v.original { (Some(v.at), None) } else { (None, Some(v.at)) };
    EditVersion { version: v.version, body, ts, edited_at }
}
