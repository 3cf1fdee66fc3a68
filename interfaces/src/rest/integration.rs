//! `/integration/v1`: business systems, authenticated by API key (`Authorization: Bearer
//! tk_…`), each call within the key's scopes and rate.

use crate::rest::extract::Json;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, web};
use futures_util::future::LocalBoxFuture;
use tidings_app::AppError;
use tidings_app::integration::{ProvisionItem, Target};
use tidings_domain::account::Role;
use tidings_domain::admin::{ApiKey, Scope};
use tidings_domain::webhook::{WebhookDelivery, WebhookEvent};
use tidings_protocol::ErrorCode;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::admin::AdminUser;
use tidings_protocol::integration::{
    BulkUserResult, BulkUsersRequest, BulkUsersResponse, CreateWebhookRequest, CreatedWebhook, DeliveriesQuery,
    DeliveryPage, DeliveryView, IntegrationSendRequest, ItemError, WebhookList, WebhookView,
};
use tidings_protocol::rest::SendMessageResponse;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::admin::admin_user;
use super::extract::bearer;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// The calling business system: a live API key within its rate.
pub struct KeyAuthed(pub ApiKey);

impl KeyAuthed {
    /// `forbidden` unless the key has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("this API key lacks the `{}` scope", scope.as_str())).into())
        }
    }
}

impl FromRequest for KeyAuthed {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::from(AppError::Internal("no state".into())))?;
            let token = token.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "missing API key (Bearer tk_…)"))?;
            let key = state.admin.authenticate_key(&token).await?;
            state.check_api_key_rate(&key.key_id).await?;
            Ok(Self(key))
        })
    }
}

fn item_error(e: AppError) -> ItemError {
    let api = ApiError::from(e);
    ItemError { code: api.code.as_str().to_owned(), message: api.message }
}

/// Create or update up to 500 users, idempotently by username (scope `users:write`).
///
/// One result per item, in order. Repeating a call changes nothing. Passwords apply only when an
/// account is created; admin and system accounts are refused per item (`forbidden`).
#[utoipa::path(
    operation_id = "integration_bulk_users",
    tag = "integration",
    security(("api_key" = [])),
    request_body = BulkUsersRequest,
    responses((status = 200, description = "One result per item, in request order.", body = BulkUsersResponse)),
    extensions(("x-errors" = json!([C::Busy])))
)]
#[post("/integration/v1/users/bulk")]
#[tracing::instrument(skip_all, fields(key = %who.0.key_id, n = body.users.len()))]
pub async fn bulk_users(
    state: web::Data<AppState>,
    who: KeyAuthed,
    body: Json<BulkUsersRequest>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::UsersWrite)?;
    body.validate()?;
    let mut results = Vec::with_capacity(body.users.len());
    for u in &body.users {
        let item = ProvisionItem {
            username: &u.username,
            display_name: u.display_name.as_deref(),
            password: u.password.as_deref(),
            role: u.role.as_deref().and_then(Role::parse),
        };
        results.push(match state.integration.provision(&item).await {
            Ok(p) => BulkUserResult {
                username: u.username.clone(),
                user_id: Some(p.user.id.to_string()),
                created: Some(p.created),
                updated: Some(p.updated),
                error: None,
            },
            Err(AppError::Busy) => return Err(AppError::Busy.into()),
            Err(e) => BulkUserResult {
                username: u.username.clone(),
                user_id: None,
                created: None,
                updated: None,
                error: Some(item_error(e)),
            },
        });
    }
    let created = results.iter().filter(|r| r.created == Some(true)).count();
    tracing::info!(created, "bulk provisioning");
    Ok(HttpResponse::Ok().json(BulkUsersResponse { results }))
}

/// One user (scope `users:read`).
#[utoipa::path(
    operation_id = "integration_get_user",
    tag = "integration",
    security(("api_key" = [])),
    params(("user_id" = String, Path, description = "The user's id (`u_` + ULID).")),
    responses((status = 200, description = "The user.", body = AdminUser)),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[get("/integration/v1/users/{user_id}")]
#[tracing::instrument(skip_all, fields(key = %who.0.key_id, user = %path))]
pub async fn get_user(
    state: web::Data<AppState>,
    who: KeyAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::UsersRead)?;
    Ok(HttpResponse::Ok().json(admin_user(&state.integration.user(&path).await?)))
}

/// Send a message as a bot or the system account (scope `messages:send`).
///
/// 201 once committed, 200 with the original ack for a repeated `client_msg_id`.
#[utoipa::path(
    operation_id = "integration_send",
    tag = "integration",
    security(("api_key" = [])),
    request_body = IntegrationSendRequest,
    responses(
        (status = 201, description = "Committed and pushed (`duplicate: false`).", body = SendMessageResponse),
        (status = 200, description = "A repeat of a stored `client_msg_id`: the original ack, `duplicate: true`.", body = SendMessageResponse),
    ),
    extensions(("x-errors" = json!([
        C::UnsupportedKind, C::AccountDisabled, C::NotMember, C::Blocked, C::NotFriends, C::Muted,
        C::UnknownConversation, C::GroupDissolved, C::BodyTooLarge, C::PayloadTooLarge, C::Busy,
        C::ContentRejected, C::ContentCheckUnavailable
    ])))
)]
#[post("/integration/v1/messages")]
#[tracing::instrument(skip_all, fields(key = %who.0.key_id))]
pub async fn send(
    state: web::Data<AppState>,
    who: KeyAuthed,
    body: Json<IntegrationSendRequest>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::MessagesSend)?;
    body.validate()?;
    let target = match (&body.conv, &body.to_user) {
        (Some(conv), None) => Target::Conv(conv),
        (None, Some(user)) => Target::User(user),
        _ => return Err(ApiError::invalid("give exactly one of conv and to_user")),
    };
    let pending =
        state.integration.send(body.sender.as_deref(), target, &body.client_msg_id, &body.kind, &body.body).await?;
    let ack = pending.wait().await?;
    let mut resp = if ack.duplicate { HttpResponse::Ok() } else { HttpResponse::Created() };
    Ok(resp.json(wire::send_response(&ack)))
}

pub(super) fn webhook_view(h: &tidings_domain::webhook::Webhook) -> WebhookView {
    WebhookView {
        webhook_id: h.id.clone(),
        url: h.url.clone(),
        events: h.events.iter().map(|e| e.as_str().to_owned()).collect(),
        created_at: h.created_at,
    }
}

pub(super) fn delivery_view(d: &WebhookDelivery) -> DeliveryView {
    use tidings_domain::webhook::DeliveryStatus;
    DeliveryView {
        delivery_id: d.id.clone(),
        event: d.event.as_str().to_owned(),
        status: d.status.as_str().to_owned(),
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error.clone(),
        next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
        created_at: d.created_at,
        updated_at: d.updated_at,
    }
}

/// Register a webhook (scope `webhooks:manage`); its secret is shown only in this answer.
#[utoipa::path(
    operation_id = "integration_create_webhook",
    tag = "integration",
    security(("api_key" = [])),
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "The webhook and its signing secret (shown only here).", body = CreatedWebhook),
    )
)]
#[post("/integration/v1/webhooks")]
#[tracing::instrument(skip_all, fields(key = %who.0.key_id))]
pub async fn create_webhook(
    state: web::Data<AppState>,
    who: KeyAuthed,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::WebhooksManage)?;
    body.validate()?;
    let events: Vec<WebhookEvent> = body.events.iter().filter_map(|e| WebhookEvent::parse(e)).collect();
    let hook = state.webhooks.register(&body.url, &events, &who.0.key_id).await?;
    Ok(HttpResponse::Created().json(CreatedWebhook { secret: hook.secret.clone(), info: webhook_view(&hook) }))
}

/// Every webhook, without secrets (scope `webhooks:manage`).
#[utoipa::path(
    operation_id = "integration_list_webhooks",
    tag = "integration",
    security(("api_key" = [])),
    responses((status = 200, description = "Every webhook, oldest first.", body = WebhookList))
)]
#[get("/integration/v1/webhooks")]
#[tracing::instrument(skip_all, fields(key = %who.0.key_id))]
pub async fn list_webhooks(state: web::Data<AppState>, who: KeyAuthed) -> Result<HttpResponse, ApiError> {
    who.require(Scope::WebhooksManage)?;
    let hooks = state.webhooks.list().await?;
    Ok(HttpResponse::Ok().json(WebhookList { webhooks: hooks.iter().map(webhook_view).collect() }))
}

/// Delete a webhook: nothing more is sent to it (scope `webhooks:manage`).
#[utoipa::path(
    operation_id = "integration_delete_webhook",
    tag = "integration",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, description = WEBHOOK_ID)),
    responses((status = 204, description = "Deleted; pending deliveries are given up.")),
    extensions(("x-errors" = json!([C::NotFound])))
)]
#[delete("/integration/v1/webhooks/{webhook_id}")]
#[tracing::instrument(skip_all, fields(key = %who.0.key_id, webhook = %path))]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    who: KeyAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::WebhooksManage)?;
    state.webhooks.delete(&path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log, newest first (scope `webhooks:manage`).
#[utoipa::path(
    operation_id = "integration_webhook_deliveries",
    tag = "integration",
    security(("api_key" = [])),
    params(("webhook_id" = String, Path, description = WEBHOOK_ID), DeliveriesQuery),
    responses((status = 200, description = "A page of the delivery log, newest first; `next_cursor` when more follow.", body = DeliveryPage)),
    extensions(("x-errors" = json!([C::InvalidField, C::NotFound])))
)]
#[get("/integration/v1/webhooks/{webhook_id}/deliveries")]
#[tracing::instrument(skip_all, fields(key = %who.0.key_id, webhook = %path))]
pub async fn deliveries(
    state: web::Data<AppState>,
    who: KeyAuthed,
    path: web::Path<String>,
    q: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    who.require(Scope::WebhooksManage)?;
    q.validate()?;
    let limit = q.limit.unwrap_or(state.config.limits.default_page).min(state.config.limits.max_page);
    let (page, next_cursor) = state.webhooks.deliveries(&path, q.cursor.as_deref(), limit).await?;
    Ok(HttpResponse::Ok().json(DeliveryPage { deliveries: page.iter().map(delivery_view).collect(), next_cursor }))
}

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(bulk_users)
        .service(get_user)
        .service(send)
        .service(create_webhook)
        .service(list_webhooks)
        .service(delete_webhook)
        .service(deliveries);
}

const WEBHOOK_ID: &str = "The webhook's id (`wh_…`).";
