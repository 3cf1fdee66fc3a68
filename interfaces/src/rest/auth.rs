//! `/api/v1/auth/*`: register, login, refresh, logout.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, post, web};
use tidings_domain::DeviceId;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::rest::{LoginRequest, RefreshRequest, RegisterRequest, RegisterResponse, TokenResponse};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::Authed;
use crate::error::ApiError;
use crate::gateway::ClientIp;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(register).service(login).service(refresh).service(logout);
}

fn tokens(t: tidings_app::Tokens) -> TokenResponse {
    TokenResponse {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_in: t.expires_in,
        user_id: t.user_id.to_string(),
    }
}

/// Create an account.
///
/// Username: 3–32 of `a-z 0-9 _ . -`, starting with a letter or digit; password: 8–128
/// characters; display name: 1–64 characters, not blank (defaults to the username).
#[utoipa::path(
    operation_id = "register",
    tag = "auth",
    request_body = RegisterRequest,
    responses((status = 201, description = "The account is created.", body = RegisterResponse)),
    extensions(("x-errors" = json!([C::IpDenied, C::UsernameTaken, C::RateLimited, C::ContentRejected])))
)]
#[post("/api/v1/auth/register")]
#[tracing::instrument(skip_all, fields(username = %body.username))]
pub(super) async fn register(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    state.check_auth_rate(ip).await?;
    body.validate()?;
    let id = state.accounts.register(&body.username, &body.password, body.display_name.as_deref()).await?;
    Ok(HttpResponse::Created().json(RegisterResponse { user_id: id.to_string() }))
}

/// Log a device in and get its token pair.
///
/// A device has one live session: logging the same `device_id` in again revokes its previous
/// session and closes that session's sockets.
#[utoipa::path(
    operation_id = "login",
    tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, description = "A token pair for this device; its previous session is revoked.", body = TokenResponse)),
    extensions(("x-errors" = json!([C::InvalidCredentials, C::AccountDisabled, C::IpDenied, C::RateLimited])))
)]
#[post("/api/v1/auth/login")]
#[tracing::instrument(skip_all, fields(username = %body.username, device = %body.device_id))]
pub(super) async fn login(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    state.check_auth_rate(ip).await?;
    body.validate()?;
    let login =
        state.accounts.login(&body.username, &body.password, DeviceId::new(body.device_id.clone()), &body.platform);
    let tokens_pair = state.password_attempt(&body.username, login).await?;
    Ok(HttpResponse::Ok().json(tokens(tokens_pair)))
}

/// Trade a refresh token for the next token pair.
///
/// Refresh tokens are single-use; presenting a spent one again revokes the whole device session.
#[utoipa::path(
    operation_id = "refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, description = "The next token pair; the refresh token sent is spent.", body = TokenResponse)),
    extensions(("x-errors" = json!([
        C::Unauthorized, C::RefreshReused, C::AccountDisabled, C::IpDenied, C::RateLimited
    ])))
)]
#[post("/api/v1/auth/refresh")]
#[tracing::instrument(skip_all)]
pub(super) async fn refresh(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    state.check_auth_rate(ip).await?;
    body.validate()?;
    Ok(HttpResponse::Ok().json(tokens(state.accounts.refresh(&body.refresh_token).await?)))
}

/// Log this device out.
///
/// Revokes the device session: its tokens stop working at once and its sockets close.
#[utoipa::path(
    operation_id = "logout",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "The device session is revoked and its sockets closed (1008)."))
)]
#[post("/api/v1/auth/logout")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn logout(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    state.accounts.logout(&who.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
