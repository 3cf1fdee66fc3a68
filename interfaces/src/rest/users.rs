//! `/api/v1/me` and `/api/v1/users/{id}`.

use crate::rest::extract::Json;
use actix_web::{HttpResponse, get, patch, put, web};
use tidings_app::AppError;
use tidings_domain::UserId;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::rest::{ChangePasswordRequest, Presence, UpdateMeRequest, UserList, UserProfile};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(me).service(update_me).service(change_password).service(get).service(find);
}

/// `?username=` of the user lookup.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    /// The exact username (3–32 of `a-z 0-9 _ . -`; compared in lowercase).
    #[param(min_length = 1, max_length = 64)]
    username: String,
}

/// Find a user by their exact username (to add them as a friend or message them).
///
/// Exact match only, so the route cannot list accounts; disabled accounts and the system
/// account are not found. Presence is not included (`GET /users/{id}` has it).
#[utoipa::path(
    operation_id = "find_user",
    tag = "users",
    security(("bearer" = [])),
    params(FindQuery),
    responses((status = 200, description = "The matching profile, or none.", body = UserList)),
    extensions(("x-errors" = json!([C::InvalidField])))
)]
#[get("/api/v1/users")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn find(
    state: web::Data<AppState>,
    who: Authed,
    query: web::Query<FindQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.username.is_empty() || query.username.chars().count() > 64 {
        return Err(ApiError::new(C::InvalidField, "username: 1 to 64 characters"));
    }
    let found = state.accounts.find_by_username(&query.username).await?;
    Ok(HttpResponse::Ok().json(UserList { users: found.iter().map(wire::profile).collect() }))
}

/// The caller's profile.
#[utoipa::path(
    operation_id = "get_me",
    tag = "users",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's profile with their role (without presence).", body = UserProfile)),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[get("/api/v1/me")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn me(state: web::Data<AppState>, who: Authed) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(wire::own_profile(&state.accounts.user(&who.0.user_id).await?)))
}

/// Change the caller's profile (`display_name`).
#[utoipa::path(
    operation_id = "update_me",
    tag = "users",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses((status = 200, description = "The updated profile.", body = UserProfile)),
    extensions(("x-errors" = json!([C::NotFound, C::ContentRejected])))
)]
#[patch("/api/v1/me")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn update_me(
    state: web::Data<AppState>,
    who: Authed,
    body: Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let user = state.accounts.update_me(&who.0.user_id, body.display_name.as_deref()).await?;
    Ok(HttpResponse::Ok().json(wire::own_profile(&user)))
}

/// Another user's profile, with presence.
///
/// Presence is a hint: when it cannot be read the profile answers without it.
#[utoipa::path(
    operation_id = "get_user",
    tag = "users",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The user's id (`u_` + ULID).")),
    responses((status = 200, description = "The user's profile with presence.", body = UserProfile)),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[get("/api/v1/users/{user_id}")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn get(
    state: web::Data<AppState>,
    who: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
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

/// Change the caller's password.
///
/// Needs the current password. Every other session of the account is revoked at once (its
/// tokens stop working, its sockets close with 1008); the calling device stays logged in.
/// Wrong current passwords spend the account's failed-login budget like logins do.
#[utoipa::path(
    operation_id = "change_password",
    tag = "users",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed; the account's other sessions are revoked.")),
    extensions(("x-errors" = json!([C::InvalidCredentials, C::RateLimited])))
)]
#[put("/api/v1/me/password")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn change_password(
    state: web::Data<AppState>,
    who: Authed,
    body: Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let username = state.accounts.user(&who.0.user_id).await?.username;
    let change = state.accounts.change_password(&who.0, &username, &body.current_password, &body.new_password);
    state.password_attempt(&username, change).await?;
    Ok(HttpResponse::NoContent().finish())
}
