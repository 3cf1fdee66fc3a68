//! `/admin/v1/webhooks`: the same webhooks as `/integration/v1/webhooks`, managed with an
//! administrator's own session, so the admin console needs no API key to list, register and
//! delete them and to read their delivery logs.

use actix_web::{HttpResponse, delete, get, post, web};
use tidings_domain::webhook::WebhookEvent;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::integration::{CreateWebhookRequest, CreatedWebhook, DeliveriesQuery, DeliveryPage, WebhookList};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::admin::{ADMIN_ONLY, AdminAuthed};
use super::extract::Json;
use super::integration::{delivery_view, webhook_view};
use crate::error::ApiError;
use crate::state::AppState;

const WEBHOOK_ID: &str = "The webhook's id (`wh_…`).";

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_webhooks).service(create_webhook).service(delete_webhook).service(deliveries);
}

/// Every webhook, without secrets.
#[utoipa::path(
    operation_id = "admin_list_webhooks",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every webhook, oldest first.", body = WebhookList)),
    extensions(("x-errors" = json!(ADMIN_ONLY)))
)]
#[get("/admin/v1/webhooks")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn list_webhooks(state: web::Data<AppState>, who: AdminAuthed) -> Result<HttpResponse, ApiError> {
    let hooks = state.webhooks.list().await?;
    Ok(HttpResponse::Ok().json(WebhookList { webhooks: hooks.iter().map(webhook_view).collect() }))
}

/// Register a webhook; its signing secret is shown only in this answer.
#[utoipa::path(
    operation_id = "admin_create_webhook",
    tag = "admin",
    security(("bearer" = [])),
    request_body = CreateWebhookRequest,
    responses((status = 201, description = "The webhook and its signing secret (shown only here).", body = CreatedWebhook)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::InvalidField]].concat())))
)]
#[post("/admin/v1/webhooks")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn create_webhook(
    state: web::Data<AppState>,
    who: AdminAuthed,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let events: Vec<WebhookEvent> = body.events.iter().filter_map(|e| WebhookEvent::parse(e)).collect();
    let hook = state.webhooks.register(&body.url, &events, &who.0.id.to_string()).await?;
    Ok(HttpResponse::Created().json(CreatedWebhook { secret: hook.secret.clone(), info: webhook_view(&hook) }))
}

/// Delete a webhook: nothing more is sent to it.
#[utoipa::path(
    operation_id = "admin_delete_webhook",
    tag = "admin",
    security(("bearer" = [])),
    params(("webhook_id" = String, Path, description = WEBHOOK_ID)),
    responses((status = 204, description = "Deleted; pending deliveries are given up.")),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound]].concat())))
)]
#[delete("/admin/v1/webhooks/{webhook_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, webhook = %path))]
async fn delete_webhook(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.webhooks.delete(&path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log, newest first.
#[utoipa::path(
    operation_id = "admin_webhook_deliveries",
    tag = "admin",
    security(("bearer" = [])),
    params(("webhook_id" = String, Path, description = WEBHOOK_ID), DeliveriesQuery),
    responses((status = 200, description = "A page of the delivery log, newest first; `next_cursor` when more follow.", body = DeliveryPage)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::InvalidField, C::NotFound]].concat())))
)]
#[get("/admin/v1/webhooks/{webhook_id}/deliveries")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, webhook = %path))]
async fn deliveries(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    q: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    let limit = q.limit.unwrap_or(state.config.limits.default_page).min(state.config.limits.max_page);
    let (page, next_cursor) = state.webhooks.deliveries(&path, q.cursor.as_deref(), limit).await?;
    Ok(HttpResponse::Ok().json(DeliveryPage { deliveries: page.iter().map(delivery_view).collect(), next_cursor }))
}
