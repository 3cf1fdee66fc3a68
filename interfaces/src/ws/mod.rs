//! The WebSocket gateway `/ws`: authenticate at the handshake, then one task per connection.

mod connection;
pub mod decode;
pub mod hub;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hub::Refused;
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

/// `GET /ws`: checks the bearer token (header or `?token=`), upgrades, spawns the connection loop.
#[tracing::instrument(skip_all)]
pub async fn entry(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer(&req).or_else(|| query.into_inner().token).ok_or_else(|| {
        ApiError::new(ErrorCode::Unauthorized, actix_web::http::StatusCode::UNAUTHORIZED, "missing access token")
    })?;
    let claims = state.accounts.authenticate(&token).await?;
    if state.drain.is_draining() {
        return Err(ApiError::new(
            ErrorCode::Draining,
            StatusCode::SERVICE_UNAVAILABLE,
            "this instance is shutting down; connect to another one",
        ));
    }
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::new(ErrorCode::BadFrame, actix_web::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    // Register (and, in a cluster, publish the route) before answering the upgrade: once the
    // client sees its socket open, every push for it finds it.
    let registration =
        state.hub.register(&claims.user_id, &claims.device_id, &claims.session_id).map_err(|refused| {
            tracing::info!(?refused, user = %claims.user_id, "connection refused: cap reached");
            let status = match refused {
                Refused::InstanceFull => StatusCode::SERVICE_UNAVAILABLE,
                Refused::UserFull => StatusCode::TOO_MANY_REQUESTS,
            };
            ApiError::new(ErrorCode::TooManyConnections, status, "too many connections; try again later")
        })?;
    // Whether this is the user's first device: the hub knows for one instance, the routes in
    // Redis for a cluster.
    let came_online = match &state.routes {
        Some(routes) => routes.connected(&claims.user_id, &claims.device_id).await,
        None => registration.first,
    };
    if came_online {
        state.webhooks.presence_changed(&claims.user_id, true);
        state.presence_events.changed(&claims.user_id, true).await;
    }
    actix_web::rt::spawn(connection::run(state.into_inner(), claims, session, stream, registration));
    Ok(response)
}

/// Routes of the gateway.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(entry));
}
