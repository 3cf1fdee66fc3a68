//! `/api/v1/me` and `/api/v1/users/{id}`.

use actix_web::{HttpResponse, web};
use tidings_app::AppError;
use tidings_domain::UserId;
use tidings_protocol::rest::{Presence, UpdateMeRequest};
use validator::Validate;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// `GET /me`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn me(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(wire::profile(&state.accounts.user(&who.0.user_id).await?)))
}

/// `PATCH /me` {display_name?}.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn update_me(
    state: web::Data<AppState>,
    who: Authed,
    body: web::Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let user = state.accounts.update_me(&who.0.user_id, body.display_name.as_deref()).await?;
    Ok(HttpResponse::Ok().json(wire::profile(&user)))
}

/// `GET /users/{user_id}`.
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub async fn get(state: web::Data<AppState>, who: Authed, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = UserId::parse(&path).ok_or(AppError::NotFound("user"))?;
    let mut profile = wire::profile(&state.accounts.user(&id).await?);
    let status = state.presence.presence(std::slice::from_ref(&id), tidings_app::clock::now_ms()).await;
    // Presence is a hint: if Redis is down the profile still answers, without it.
    profile.presence = status
        .ok()
        .and_then(|s| s.first().copied())
        .map(|p| Presence { online: p.online, last_active_at: p.last_active_at });
    Ok(HttpResponse::Ok().json(profile))
}
