//! `POST /api/v1/conversations/{conv}/forward`: copy messages into other conversations.

use actix_web::{HttpResponse, post, web};
use tidings_app::messaging::{ForwardRequest, parse_conv};
use tidings_domain::ClientMsgId;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::forward::{ForwardRequest as Body, ForwardResponse, ForwardResult};
use tidings_protocol::rest::ErrorDetail;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Authed, Json};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(forward);
}

/// Forward messages.
///
/// Copies messages the caller can see in `conv` into each conversation of `to` where the caller
/// may post: one copy per message (a reply's quote and mentions left out), or, with `merged`,
/// one message of kind `forward` carrying every original (`{"items": [{sender, ts, kind,
/// body}]}`). Media the copies carry become readable by the target's members. A fault in the
/// source refuses the whole request; each target is then checked as a send there would be, and
/// answered on its own (its acks, or its `error`). Each target counts as one send against the
/// caller's send rate.
#[utoipa::path(
    operation_id = "forward_messages",
    tag = "conversations",
    security(("bearer" = [])),
    params(("conv" = String, Path, description = "The conversation the messages are in.")),
    request_body = Body,
    responses((status = 200, description = "One result per target, in order.", body = ForwardResponse)),
    extensions(("x-errors" = json!([
        C::InvalidField, C::SeqOutOfRange, C::NotMember, C::Forbidden, C::Conflict, C::UnknownConversation,
        C::RateLimited
    ])))
)]
#[post("/api/v1/conversations/{conv}/forward")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id, conv = %path))]
pub(super) async fn forward(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
    body: Json<Body>,
) -> Result<HttpResponse, ApiError> {
    let c = &who.0;
    let Body { seqs, to, merged, client_msg_id } = body.into_inner();
    let to = to.iter().map(|t| parse_conv(t)).collect::<Result<Vec<_>, _>>()?;
    let client_msg_id = ClientMsgId::parse(client_msg_id).map_err(tidings_app::AppError::from)?;
    for _ in &to {
        state.check_send_rate(&c.user_id).await?;
    }
    let req = ForwardRequest { from: parse_conv(&path)?, seqs, to, merged, client_msg_id };
    let done = state.messaging.forward(&c.user_id, &c.device_id, req).await?;
    let results = done
        .into_iter()
        .map(|(conv, outcome)| match outcome {
            Ok(acks) => ForwardResult {
                conv: conv.to_string(),
                acks: acks.iter().map(wire::send_response).collect(),
                error: None,
            },
            Err(e) => {
                let e = ApiError::from(e);
                let error = ErrorDetail { code: e.code.as_str().to_owned(), message: e.message, retry_after_ms: None };
                ForwardResult { conv: conv.to_string(), acks: Vec::new(), error: Some(error) }
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(ForwardResponse { results }))
}
