//! The WebSocket gateway `/ws`: authenticate at the handshake, then one task per connection.

mod connection;
pub mod decode;
pub mod hub;
pub mod outbox;
pub mod socket;
pub mod takeover;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tidings_protocol::ErrorCode;

use crate::error::ApiError;
use crate::rest::extract::bearer;
use crate::state::AppState;

/// `?token=` for clients that cannot set headers (browsers).
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /ws`: checks the bearer token (header or `?token=`) and the handshake, and answers `101`
/// with the device's claims attached; [`takeover`] then registers the socket and serves it.
#[tracing::instrument(skip_all)]
pub async fn entry(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer(&req)
        .or_else(|| query.into_inner().token)
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "missing access token"))?;
    let claims = state.accounts.authenticate(&token).await?;
    if state.drain.is_draining() {
        return Err(ApiError::new(ErrorCode::Draining, "this instance is shutting down; connect to another one"));
    }
    let mut handshake =
        actix_http::ws::handshake(req.head()).map_err(|e| ApiError::new(ErrorCode::BadFrame, e.to_string()))?;
    let handshake = handshake
        .message_body(actix_web::body::BoxBody::new(()))
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let mut response = HttpResponse::from(handshake);
    response.extensions_mut().insert(takeover::Admitted { state: state.into_inner(), claims });
    Ok(response)
}

/// Routes of the gateway.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(entry));
}
