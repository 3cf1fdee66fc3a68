//! `/admin/v1`: account administration, API keys and figures, for accounts with the admin role
//! (checked against storage on every request).

use crate::rest::extract::Json;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, put, web};
use futures_util::future::LocalBoxFuture;
use tidings_app::AppError;
use tidings_app::admin::NewUser;
use tidings_domain::account::{Role, User};
use tidings_domain::admin::{ApiKey, Scope};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::admin::{
    AdminUser, ApiKeyList, ApiKeyView, CreateApiKeyRequest, CreateUserRequest, CreatedApiKey, ResetPasswordRequest,
    SetRoleRequest, StatsResponse, UserPage, UserSearchQuery,
};
use utoipa_actix_web::service_config::ServiceConfig;
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

/// Search users by username or display name, a page at a time.
#[utoipa::path(
    operation_id = "admin_list_users",
    tag = "admin",
    security(("bearer" = [])),
    params(UserSearchQuery),
    responses((status = 200, description = "A page of users, ascending by id; `next_cursor` when more follow.", body = UserPage)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::InvalidField])))
)]
#[get("/admin/v1/users")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn list_users(
    state: web::Data<AppState>,
    who: AdminAuthed,
    q: web::Query<UserSearchQuery>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    let limit = q.limit.unwrap_or(state.config.limits.default_page).min(state.config.limits.max_page);
    let page = state.admin.search(q.q.as_deref(), q.cursor.as_deref(), limit).await?;
    Ok(HttpResponse::Ok()
        .json(UserPage { users: page.users.iter().map(admin_user).collect(), next_cursor: page.next_cursor }))
}

/// Create an account (user, admin, or bot without a password).
#[utoipa::path(
    operation_id = "admin_create_user",
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses((status = 201, description = "The new account.", body = AdminUser)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::UsernameTaken, C::ContentRejected])))
)]
#[post("/admin/v1/users")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, username = %body.username))]
pub async fn create_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    body: Json<CreateUserRequest>,
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

/// One account, as admins see it.
#[utoipa::path(
    operation_id = "admin_get_user",
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER_ID)),
    responses((status = 200, description = "The account.", body = AdminUser)),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound])))
)]
#[get("/admin/v1/users/{user_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn get_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin_user(&state.admin.user(&path).await?)))
}

/// Disable an account.
///
/// It can no longer log in; every session is revoked and its open sockets close (1008). Its
/// tokens answer `account_disabled`.
#[utoipa::path(
    operation_id = "admin_disable_user",
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER_ID)),
    responses(
        (status = 200, description = "The account, disabled.", body = AdminUser),
        (status = 403, description = "- the system account cannot be changed"),
    ),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::Conflict])))
)]
#[post("/admin/v1/users/{user_id}/disable")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn disable_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin_user(&state.admin.disable(&who.0.id, &path).await?)))
}

/// Enable a disabled account (its old sessions stay revoked).
#[utoipa::path(
    operation_id = "admin_enable_user",
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER_ID)),
    responses(
        (status = 200, description = "The account, enabled.", body = AdminUser),
        (status = 403, description = "- the system account cannot be changed"),
    ),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::Conflict])))
)]
#[post("/admin/v1/users/{user_id}/enable")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn enable_user(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin_user(&state.admin.enable(&who.0.id, &path).await?)))
}

/// Set a new password for an account; every session is revoked.
#[utoipa::path(
    operation_id = "admin_reset_password",
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER_ID)),
    request_body = ResetPasswordRequest,
    responses((status = 204, description = "The password is set and every session of the account revoked.")),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound])))
)]
#[post("/admin/v1/users/{user_id}/password")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn reset_password(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    body: Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    state.admin.reset_password(&who.0.id, &path, &body.password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change an account's role (user, admin or bot); becoming a bot revokes every session.
#[utoipa::path(
    operation_id = "admin_set_role",
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = USER_ID)),
    request_body = SetRoleRequest,
    responses(
        (status = 200, description = "The account with its new role.", body = AdminUser),
        (status = 403, description = "- the system account cannot be changed"),
    ),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound, C::Conflict])))
)]
#[put("/admin/v1/users/{user_id}/role")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, user = %path))]
pub async fn set_role(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    body: Json<SetRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let user = state.admin.set_role(&who.0.id, &path, role(&body.role)?).await?;
    Ok(HttpResponse::Ok().json(admin_user(&user)))
}

/// Figures: accounts, connected devices, messages since midnight UTC.
#[utoipa::path(
    operation_id = "admin_stats",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Accounts, connected devices and today's messages.", body = StatsResponse)),
    extensions(("x-errors" = json!([ADMIN_ONLY])))
)]
#[get("/admin/v1/stats")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn stats(state: web::Data<AppState>, who: AdminAuthed) -> Result<HttpResponse, ApiError> {
    let s = state.admin.stats().await?;
    Ok(HttpResponse::Ok().json(StatsResponse {
        users: s.users,
        online_devices: s.online_devices,
        messages_today: s.messages_today,
    }))
}

/// Create an API key for a business system; the full key is shown only in this answer.
#[utoipa::path(
    operation_id = "admin_create_api_key",
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses((status = 201, description = "The key; `key` is shown only in this answer.", body = CreatedApiKey)),
    extensions(("x-errors" = json!([ADMIN_ONLY])))
)]
#[post("/admin/v1/api-keys")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn create_api_key(
    state: web::Data<AppState>,
    who: AdminAuthed,
    body: Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let scopes: Vec<Scope> = body.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    let (key, full) = state.admin.create_api_key(&who.0.id, &body.name, &scopes).await?;
    Ok(HttpResponse::Created().json(CreatedApiKey { key: full, info: key_view(&key) }))
}

/// Every API key, without secrets.
#[utoipa::path(
    operation_id = "admin_list_api_keys",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every key, newest first, without secrets.", body = ApiKeyList)),
    extensions(("x-errors" = json!([ADMIN_ONLY])))
)]
#[get("/admin/v1/api-keys")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
pub async fn list_api_keys(state: web::Data<AppState>, who: AdminAuthed) -> Result<HttpResponse, ApiError> {
    let keys = state.admin.api_keys().await?;
    Ok(HttpResponse::Ok().json(ApiKeyList { api_keys: keys.iter().map(key_view).collect() }))
}

/// Revoke an API key.
#[utoipa::path(
    operation_id = "admin_revoke_api_key",
    tag = "admin",
    security(("bearer" = [])),
    params(("key_id" = String, Path, description = "The key's id (the part between `tk_` and the secret).")),
    responses((status = 204, description = "Revoked: the key is refused from the next request on.")),
    extensions(("x-errors" = json!([ADMIN_ONLY, C::NotFound])))
)]
#[delete("/admin/v1/api-keys/{key_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, key = %path))]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.admin.revoke_api_key(&who.0.id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(disable_user)
        .service(enable_user)
        .service(reset_password)
        .service(set_role)
        .service(stats)
        .service(create_api_key)
        .service(list_api_keys)
        .service(revoke_api_key);
}

/// What [`AdminAuthed`] refuses with: every admin route answers these (with its own codes).
pub(super) const ADMIN_ONLY: &[C] = &[C::Forbidden, C::AccountDisabled];

const USER_ID: &str = "The account's id (`u_` + ULID).";
