//! Outgoing webhooks: business systems register a URL and the events they want; every event is
//! recorded as a delivery and POSTed, retried with backoff until it succeeds or gives up.

use async_trait::async_trait;

use crate::error::StoreError;

/// Events a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// Every committed message.
    MessageSent,
    /// A committed message of kind `group_notice`.
    GroupChanged,
    /// A user's first device connected.
    UserOnline,
    /// A user's last device disconnected.
    UserOffline,
}

impl WebhookEvent {
    /// Every event, in wire order.
    pub const ALL: [WebhookEvent; 4] = [Self::MessageSent, Self::GroupChanged, Self::UserOnline, Self::UserOffline];

    /// The wire form (`message.sent`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessageSent => "message.sent",
            Self::GroupChanged => "group.changed",
            Self::UserOnline => "user.online",
            Self::UserOffline => "user.offline",
        }
    }

    /// Parses the wire form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

/// A fresh webhook id (`wh_` + ULID).
pub fn new_webhook_id() -> String {
    format!("wh_{}", ulid::Ulid::new())
}

/// A fresh delivery id (`dlv_` + ULID, so ids sort by creation time).
pub fn new_delivery_id() -> String {
    format!("dlv_{}", ulid::Ulid::new())
}

/// A registered webhook. The secret is kept as is: it signs every delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Id (`wh_…`).
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Subscribed events.
    pub events: Vec<WebhookEvent>,
    /// HMAC-SHA256 key of the signatures.
    pub secret: String,
    /// The API key that registered it.
    pub created_by: String,
    /// Creation time (ms).
    pub created_at: i64,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not delivered yet; attempts remain.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One event for one webhook, and how its attempts went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// Id (`dlv_…`), also the payload's `id` and the `X-Tidings-Delivery` header.
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// The event.
    pub event: WebhookEvent,
    /// The exact JSON body POSTed on every attempt.
    pub payload: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// HTTP status of the last attempt, if one was received.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (ms).
    pub next_attempt_at: i64,
    /// Until when an instance holds the delivery for an attempt (ms); 0 when nobody does.
    pub lease_until: i64,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// What one attempt produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// HTTP status, if the receiver answered.
    pub status: Option<u16>,
    /// Why it failed (transport error or non-2xx status).
    pub error: Option<String>,
}

impl AttemptOutcome {
    /// A 2xx answer.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Webhooks and their delivery log in storage. Attempts are claimed with compare-and-swap
/// updates so that two instances never make the same attempt.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a webhook.
    async fn insert_webhook(&self, hook: &Webhook) -> Result<(), StoreError>;
    /// Active webhooks, oldest first.
    async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError>;
    /// One active webhook.
    async fn get_webhook(&self, id: &str) -> Result<Option<Webhook>, StoreError>;
    /// Deletes a webhook (its pending deliveries are given up); whether it existed.
    async fn delete_webhook(&self, id: &str, now_ms: i64) -> Result<bool, StoreError>;
    /// Stores new deliveries.
    async fn insert_deliveries(&self, deliveries: &[WebhookDelivery]) -> Result<(), StoreError>;
    /// Pending deliveries due at `now_ms` and not leased, oldest first.
    async fn due(&self, now_ms: i64, limit: u64) -> Result<Vec<WebhookDelivery>, StoreError>;
    /// Takes the lease of a due delivery if it still has `attempts` attempts and no live
    /// lease (compare-and-swap); whether this caller won it.
    async fn claim(&self, id: &str, attempts: u32, now_ms: i64, lease_until: i64) -> Result<bool, StoreError>;
    /// Records the attempt numbered `attempt` (1-based) and releases the lease.
    async fn record_attempt(
        &self,
        id: &str,
        attempt: u32,
        outcome: &AttemptOutcome,
        status: DeliveryStatus,
        next_attempt_at: i64,
        now_ms: i64,
    ) -> Result<(), StoreError>;
    /// A webhook's deliveries, newest first, with ids below `before`.
    async fn deliveries(
        &self,
        webhook_id: &str,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;
    /// Deletes finished deliveries last changed before `before_ms`; how many.
    async fn prune(&self, before_ms: i64) -> Result<u64, StoreError>;
}

/// POSTs a signed delivery.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// One attempt: POST `body` to `url` with the event, delivery id and a signature made
    /// with `secret`.
    async fn send(&self, url: &str, secret: &str, event: WebhookEvent, delivery_id: &str, body: &str)
    -> AttemptOutcome;
}
