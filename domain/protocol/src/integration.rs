//! Request and response bodies of the integration API `/integration/v1` and the webhook payload.

use serde::{Deserialize, Serialize};

#[cfg(feature = "validate")]
use crate::rest::rules;
#[cfg(feature = "validate")]
use validator::Validate;

/// Most users in one bulk call.
pub const MAX_BULK_USERS: usize = 500;

/// Webhook events.
pub const WEBHOOK_EVENTS: &[&str] = &["message.sent", "group.changed", "user.online", "user.offline"];

#[cfg(feature = "validate")]
fn provision_role(role: &str) -> Result<(), validator::ValidationError> {
    if role == "user" || role == "bot" {
        Ok(())
    } else {
        Err(validator::ValidationError::new("role").with_message("user or bot".into()))
    }
}

#[cfg(feature = "validate")]
fn events(list: &[String]) -> Result<(), validator::ValidationError> {
    if list.iter().all(|e| WEBHOOK_EVENTS.contains(&e.as_str())) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("event")
            .with_message("each one of message.sent, group.changed, user.online, user.offline".into()))
    }
}

#[cfg(feature = "validate")]
fn webhook_url(url: &str) -> Result<(), validator::ValidationError> {
    let rest = url.strip_prefix("http://");
    let host_ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && host.chars().all(|c| c.is_ascii_graphic() && c != '@')
    });
    if host_ok {
        Ok(())
    } else {
        Err(validator::ValidationError::new("url")
            .with_message("an http:// URL with a host (no credentials; https is not supported by this build)".into()))
    }
}

/// One user of `POST /integration/v1/users/bulk`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct ProvisionUser {
    /// The idempotency key: 3–32 characters, lowercase letters, digits, `_`, `.`, `-`.
    #[cfg_attr(feature = "validate", validate(length(min = 3, max = 32), custom(function = "rules::username")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::username))]
    pub username: String,
    /// Shown name (1–64 characters).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::shown_name")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::optional_shown_name_schema))]
    pub display_name: Option<String>,
    /// Password (8–128), used only when the account is created; refused for bots.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 8, max = 128)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: Option<String>,
    /// `user` (default when creating) or `bot`.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(custom(function = "provision_role")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::optional_provision_role))]
    pub role: Option<String>,
}

/// `POST /integration/v1/users/bulk`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct BulkUsersRequest {
    /// 1–500 users.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 500), nested))]
    pub users: Vec<ProvisionUser>,
}

/// Why one item failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemError {
    /// Stable code.
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// The answer for one item, in request order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkUserResult {
    /// The item's username.
    pub username: String,
    /// The account (absent on error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Created by this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
    /// An existing account's display name or role changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<bool>,
    /// Why this item failed (the others are unaffected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

/// Answer to a bulk call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkUsersResponse {
    /// One result per item, in request order.
    pub results: Vec<BulkUserResult>,
}

/// `POST /integration/v1/messages`: exactly one of `conv` and `to_user`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct IntegrationSendRequest {
    /// A bot's user id; absent = the system account.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 40)))]
    pub sender: Option<String>,
    /// A conversation id.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 96)))]
    pub conv: Option<String>,
    /// A user id: the direct conversation between the sender and them.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 40)))]
    pub to_user: Option<String>,
    /// The caller's unique id for this message (dedupe key, per sender).
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::device_id")))]
    pub client_msg_id: String,
    /// Message kind.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 32)))]
    pub kind: String,
    /// Kind-specific body.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// `POST /integration/v1/webhooks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where deliveries are POSTed (`http://…`, at most 2048 characters).
    #[cfg_attr(feature = "validate", validate(length(min = 8, max = 2048), custom(function = "webhook_url")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::webhook_url))]
    pub url: String,
    /// One or more of `message.sent`, `group.changed`, `user.online`, `user.offline`.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 4), custom(function = "events")))]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::webhook_events))]
    pub events: Vec<String>,
}

/// A webhook without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookView {
    /// Id.
    pub webhook_id: String,
    /// Receiver.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<String>,
    /// Creation time (ms).
    pub created_at: i64,
}

/// Answer to registering a webhook: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    /// The HMAC-SHA256 key of `X-Tidings-Signature`.
    pub secret: String,
    /// The webhook.
    #[serde(flatten)]
    pub info: WebhookView,
}

/// `GET /integration/v1/webhooks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookList {
    /// Oldest first.
    pub webhooks: Vec<WebhookView>,
}

/// `GET /integration/v1/webhooks/{id}/deliveries?cursor=&limit=`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[cfg_attr(feature = "validate", derive(Validate))]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 40)))]
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 40))]
    pub cursor: Option<String>,
    /// Page size (default 50, at most 200).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(range(min = 1, max = 200)))]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// One delivery of the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    /// Id (the payload's `id`, the `X-Tidings-Delivery` header).
    pub delivery_id: String,
    /// Event.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// HTTP status of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the next attempt is due (ms), while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// A page of the delivery log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPage {
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
    /// Pass as `cursor` for the next (older) page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The JSON body of every webhook POST.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPayload {
    /// Delivery id (same as `X-Tidings-Delivery`): receivers dedupe on it.
    pub id: String,
    /// Event (same as `X-Tidings-Event`).
    pub event: String,
    /// When the event happened (ms).
    pub ts: i64,
    /// `message.sent`, `group.changed`: the message; `user.online`, `user.offline`: `{user_id}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}
