//! `/api/v1/auth/*`: register, login, refresh, logout.

use actix_web::{HttpResponse, web};
use tidings_domain::DeviceId;
use tidings_protocol::rest::{LoginRequest, RefreshRequest, RegisterRequest, RegisterResponse, TokenResponse};
use validator::Validate;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;

fn tokens(t: tidings_app::Tokens) -> TokenResponse {
    TokenResponse {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_in: t.expires_in,
        user_id: t.user_id.to_string(),
    }
}

/// `POST /auth/register` -> 201 {user_id}; 409 `username_taken`.
#[tracing::instrument(skip_all, fields(username = %body.username))]
pub async fn register(state: web::Data<AppState>, body: web::Json<RegisterRequest>) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let id = state.accounts.register(&body.username, &body.password, body.display_name.as_deref()).await?;
    Ok(HttpResponse::Created().json(RegisterResponse { user_id: id.to_string() }))
}

/// `POST /auth/login` -> a token pair for this device.
#[tracing::instrument(skip_all, fields(username = %body.username, device = %body.device_id))]
pub async fn login(state: web::Data<AppState>, body: web::Json<LoginRequest>) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let t = state
        .accounts
        .login(&body.username, &body.password, DeviceId::new(body.device_id.clone()), &body.platform)
        .await?;
    Ok(HttpResponse::Ok().json(tokens(t)))
}

/// `POST /auth/refresh` -> the next token pair; the old refresh token stops working.
#[tracing::instrument(skip_all)]
pub async fn refresh(state: web::Data<AppState>, body: web::Json<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    Ok(HttpResponse::Ok().json(tokens(state.accounts.refresh(&body.refresh_token).await?)))
}

/// `POST /auth/logout` -> 204; revokes this device's session and closes its sockets.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn logout(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    state.accounts.logout(&who.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
