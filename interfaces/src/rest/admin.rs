//! `/admin/v1`: account administration, API keys and figures, for accounts with the admin role
//! (checked against storage on every request).

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use tidings_app::AppError;
use tidings_app::admin::NewUser;
use tidings_domain::account::{Role, User};
use tidings_domain::admin::{ApiKey, Scope};
use tidings_protocol::admin::{
    AdminUser, ApiKeyList, ApiKeyView, CreateApiKeyRequest, CreateUserRequest, CreatedApiKey, ResetPasswordRequest,
    SetRoleRequest, StatsResponse, UserPage, UserSearchQuery,
};
use validator::Validate;

use super::extract::Authed;
use crate::error::ApiError;
use crate::state::AppState;

/// The caller: an enabled account with the admin role.
pub struct AdminAuthed(pub User);

impl FromRequest for AdminAuthed {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let authed = Authed::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let who = authed.await?;
            let state = state.ok_or_else(|| ApiError::from(AppError::Internal("no state".into())))?;
            Ok(Self(state.admin.require_admin(&who.0.user_id).await?))
        })
    }
}

/// An account as admins see it.
pub fn admin_user(u: &User) -> AdminUser {
    AdminUser {
        user_id: u.id.to_string(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role.as_str().to_owned(),
        disabled: u.is_disabled(),
        disabled_at: u.disabled_at,
        created_at: u.created_at,
    }
}

fn key_view(k: &ApiKey) -> ApiKeyView {
    ApiKeyView {
        key_id: k.key_id.clone(),
        name: k.name.clone(),
        scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        created_by: k.created_by.to_string(),
        created_at: k.created_at,
        revoked_at: k.revoked_at,
    }
}

fn role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| ApiError::invalid("role: one of user, admin, bot"))
}

/// `GET /admin/v1/users?q=&cursor=&limit=` -> a page of users, ascending by id.
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn list_users(
    state: web::Data<AppState>,
    who: AdminAuthed,
    q: web::Query<UserSearchQuery>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    let limit = q.limit.unwrap_or(state.settings.limits.default_page).min(state.settings.limits.max_page);
    let page = state.admin.search(q.q.as_deref(), q.cursor.as_deref(), limit).await?;
    Ok(HttpResponse::Ok()
        .json(UserPage { users: page.users.iter().map(admin_user).collect(), next_cursor: page.next_cursor }))
}

/// `POST /admin/v1/users` -> 201 the new account.
#[tracing::instrument(skip_all, fields(admin = %who.0.id, username = %body.username))]
pub async fn create_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let role = body.role.as_deref().map(role).transpose()?.unwrap_or(Role::User);
    if role != Role::Bot && body.password.is_none() {
        return Err(ApiError::invalid("password: required for users and admins"));
    }
    let new = NewUser {
        username: &body.username,
        password: body.password.as_deref(),
        display_name: body.display_name.as_deref(),
        role,
    };
    let user = state.admin.create_user(&new).await?;
    tracing::info!(user = %user.id, role = role.as_str(), "account created by an admin");
    Ok(HttpResponse::Created().json(admin_user(&user)))
}

/// `GET /admin/v1/users/{user_id}`.
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn get_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin_user(&state.admin.user(&path).await?)))
}

/// `POST /admin/v1/users/{user_id}/disable` -> the account; its sessions are revoked and its
/// sockets closed.
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn disable_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin_user(&state.admin.disable(&who.0.id, &path).await?)))
}

/// `POST /admin/v1/users/{user_id}/enable` -> the account.
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn enable_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin_user(&state.admin.enable(&who.0.id, &path).await?)))
}

/// `POST /admin/v1/users/{user_id}/password` {password} -> 204; every session is revoked.
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn reset_password(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    body: web::Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    state.admin.reset_password(&who.0.id, &path, &body.password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /admin/v1/users/{user_id}/role` {role} -> the account.
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn set_role(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    body: web::Json<SetRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let user = state.admin.set_role(&who.0.id, &path, role(&body.role)?).await?;
    Ok(HttpResponse::Ok().json(admin_user(&user)))
}

/// `GET /admin/v1/stats` -> {users, online_devices, messages_today}.
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn stats(state: web::Data<AppState>, who: AdminAuthed) -> Result<HttpResponse, ApiError> {
    let s = state.admin.stats().await?;
    Ok(HttpResponse::Ok().json(StatsResponse {
        users: s.users,
        online_devices: s.online_devices,
        messages_today: s.messages_today,
    }))
}

/// `POST /admin/v1/api-keys` {name, scopes} -> 201 with the full key (shown only here).
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn create_api_key(
    state: web::Data<AppState>,
    who: AdminAuthed,
    body: web::Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let scopes: Vec<Scope> = body.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    let (key, full) = state.admin.create_api_key(&who.0.id, &body.name, &scopes).await?;
    Ok(HttpResponse::Created().json(CreatedApiKey { key: full, info: key_view(&key) }))
}

/// `GET /admin/v1/api-keys` -> every key, without secrets.
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn list_api_keys(state: web::Data<AppState>, who: AdminAuthed) -> Result<HttpResponse, ApiError> {
    let keys = state.admin.api_keys().await?;
    Ok(HttpResponse::Ok().json(ApiKeyList { api_keys: keys.iter().map(key_view).collect() }))
}

/// `DELETE /admin/v1/api-keys/{key_id}` -> 204; the key is refused from now on.
#[tracing::instrument(skip_all, fields(admin = %who.0.id, key = %path))]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.admin.revoke_api_key(&who.0.id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Routes under `/admin/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list_users))
        .route("/users", web::post().to(create_user))
        .route("/users/{user_id}", web::get().to(get_user))
        .route("/users/{user_id}/disable", web::post().to(disable_user))
        .route("/users/{user_id}/enable", web::post().to(enable_user))
        .route("/users/{user_id}/password", web::post().to(reset_password))
        .route("/users/{user_id}/role", web::put().to(set_role))
        .route("/stats", web::get().to(stats))
        .route("/api-keys", web::post().to(create_api_key))
        .route("/api-keys", web::get().to(list_api_keys))
        .route("/api-keys/{key_id}", web::delete().to(revoke_api_key));
}
