//! Outgoing webhooks: registration, the delivery log, and the dispatcher.
//!
//! Events reach the dispatcher without blocking whoever raised them: committed messages as an
//! after-commit observer ([`CommitObserver`], so the commit pipeline is untouched),
//! presence changes from the gateway. An event nobody subscribes to costs one atomic load.
//! Otherwise it goes onto a bounded queue; a worker turns it into one stored delivery per
//! subscribed webhook and sends what it has capacity for at once. Everything else (retries, and
//! deliveries that found no free sender) is picked up by a polling loop that claims each due
//! attempt with a compare-and-swap, so two instances never make the same attempt.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Value, json};
use tidings_domain::UserId;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::Message;
use tidings_domain::ports::{CommitObserver, TokenService};
use tidings_domain::webhook::{
    AttemptOutcome, DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent, WebhookSender, WebhookStore,
    new_delivery_id, new_webhook_id,
};
use tokio::sync::{Semaphore, mpsc};

use crate::clock::now_ms;
use crate::error::AppError;

/// Message kind whose commits also raise `group.changed` (the groups' notices).
pub use tidings_domain::group::NOTICE_KIND as GROUP_NOTICE_KIND;

/// Prefix of webhook secrets.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

/// How often each instance reloads the list of webhooks (others' registrations and deletions).
const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// Events handed to the worker at once.
const WORKER_BATCH: usize = 256;

/// Dispatcher settings.
#[derive(Debug, Clone, Copy)]
pub struct WebhookConfig {
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// Wait after the first failed attempt (ms); doubled after each further one.
    pub retry_base_ms: u64,
    /// Longest wait between attempts (ms).
    pub retry_cap_ms: u64,
    /// Request timeout of one attempt (ms); a claimed attempt's lease is derived from it.
    pub timeout_ms: u64,
    /// Events waiting for the worker; past it, events are written to storage directly.
    pub queue_capacity: usize,
    /// Attempts in flight at once on this instance.
    pub max_in_flight: usize,
    /// Finished deliveries are deleted this long after their last change (ms).
    pub retention_ms: i64,
}

impl WebhookConfig {
    /// Wait before attempt `done + 1`, after `done` failed attempts.
    pub fn backoff_ms(&self, done: u32) -> u64 {
        let factor = 1u64 << done.saturating_sub(1).min(30);
        self.retry_base_ms.saturating_mul(factor).min(self.retry_cap_ms)
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.timeout_ms.saturating_mul(2).saturating_add(5_000)).unwrap_or(i64::MAX / 4)
    }

    fn poll_every(&self) -> Duration {
        Duration::from_millis((self.retry_base_ms / 2).clamp(50, 1000))
    }
}

/// An event waiting for the worker.
struct Raised {
    event: WebhookEvent,
    ts: i64,
    data: Value,
}

struct Inner {
    store: Arc<dyn WebhookStore>,
    sender: Arc<dyn WebhookSender>,
    tokens: Arc<dyn TokenService>,
    config: WebhookConfig,
    /// Active webhooks, by id.
    active: RwLock<Arc<HashMap<String, Webhook>>>,
    /// Bit per event: some active webhook subscribes to it.
    subscribed: AtomicU8,
    queue: mpsc::Sender<Raised>,
    /// Attempts in flight on this instance.
    in_flight: Arc<Semaphore>,
    /// Direct writes of events that found the queue full.
    spill: Arc<Semaphore>,
}

/// Webhook registration, the delivery log, and the dispatcher.
#[derive(Clone)]
pub struct WebhookService {
    inner: Arc<Inner>,
}

fn bit(event: WebhookEvent) -> u8 {
    match event {
        WebhookEvent::MessageSent => 1,
        WebhookEvent::GroupChanged => 2,
        WebhookEvent::UserOnline => 4,
        WebhookEvent::UserOffline => 8,
    }
}

impl WebhookService {
    /// Loads the webhooks and starts the worker, the retry loop and the refresh loop on the
    /// current tokio runtime.
    pub async fn start(
        store: Arc<dyn WebhookStore>,
        sender: Arc<dyn WebhookSender>,
        tokens: Arc<dyn TokenService>,
        config: WebhookConfig,
    ) -> Result<Self, AppError> {
        let (queue, rx) = mpsc::channel(config.queue_capacity.max(1));
        let svc = Self {
            inner: Arc::new(Inner {
                store,
                sender,
                tokens,
                config,
                active: RwLock::new(Arc::new(HashMap::new())),
                subscribed: AtomicU8::new(0),
                queue,
                in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
                spill: Arc::new(Semaphore::new(64)),
            }),
        };
        svc.reload().await?;
        tokio::spawn(svc.clone().worker(rx));
        tokio::spawn(svc.clone().retry_loop());
        tokio::spawn(svc.clone().refresh_loop());
        Ok(svc)
    }

    /// Registers a webhook; returns it with its secret (shown to the caller once).
    pub async fn register(&self, url: &str, events: &[WebhookEvent], created_by: &str) -> Result<Webhook, AppError> {
        let mut events = events.to_vec();
        events.sort();
        events.dedup();
        if events.is_empty() {
            return Err(AppError::InvalidField("events: at least one".into()));
        }
        let hook = Webhook {
            id: new_webhook_id(),
            url: url.to_owned(),
            events,
            secret: format!("{WEBHOOK_SECRET_PREFIX}{}", self.inner.tokens.new_secret()),
            created_by: created_by.to_owned(),
            created_at: now_ms(),
        };
        self.inner.store.insert_webhook(&hook).await?;
        self.reload().await?;
        tracing::info!(webhook = hook.id, url = hook.url, "webhook registered");
        Ok(hook)
    }

    /// Active webhooks, oldest first.
    pub async fn list(&self) -> Result<Vec<Webhook>, AppError> {
        Ok(self.inner.store.list_webhooks().await?)
    }

    /// Deletes a webhook: nothing more is sent to it, pending deliveries are given up.
    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        if !self.inner.store.delete_webhook(id, now_ms()).await? {
            return Err(AppError::NotFound("webhook"));
        }
        self.reload().await?;
        tracing::info!(webhook = id, "webhook deleted");
        Ok(())
    }

    /// A webhook's delivery log, newest first, below the delivery id `before`.
    pub async fn deliveries(
        &self,
        id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<WebhookDelivery>, Option<String>), AppError> {
        if self.inner.store.get_webhook(id).await?.is_none() {
            return Err(AppError::NotFound("webhook"));
        }
        let limit = u64::from(limit.max(1));
        let mut page = self.inner.store.deliveries(id, before, limit + 1).await?;
        let more = page.len() as u64 > limit;
        page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { page.last().map(|d| d.id.clone()) } else { None };
        Ok((page, next))
    }

    /// A message was committed: `message.sent`, and `group.changed` for group notices.
    pub fn message_committed(&self, m: &Message) {
        let wants_sent = self.subscribes(WebhookEvent::MessageSent);
        let wants_group = m.kind == GROUP_NOTICE_KIND && self.subscribes(WebhookEvent::GroupChanged);
        if !wants_sent && !wants_group {
            return;
        }
        let data = message_json(m);
        if wants_sent {
            self.raise(WebhookEvent::MessageSent, data.clone());
        }
        if wants_group {
            self.raise(WebhookEvent::GroupChanged, data);
        }
    }

    /// A user's first device connected (`online`) or last device disconnected.
    pub fn presence_changed(&self, user: &UserId, online: bool) {
        let event = if online { WebhookEvent::UserOnline } else { WebhookEvent::UserOffline };
        if self.subscribes(event) {
            self.raise(event, json!({"user_id": user.to_string()}));
        }
    }

    fn subscribes(&self, event: WebhookEvent) -> bool {
        self.inner.subscribed.load(Ordering::Relaxed) & bit(event) != 0
    }

    /// Never waits: onto the queue, or (queue full) written to storage by a bounded side task.
    fn raise(&self, event: WebhookEvent, data: Value) {
        let raised = Raised { event, ts: now_ms(), data };
        let raised = match self.inner.queue.try_send(raised) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(r)) => r,
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        };
        match self.inner.spill.clone().try_acquire_owned() {
            Ok(permit) => {
                let svc = self.clone();
                tokio::spawn(async move {
                    // Stored unclaimed: the retry loop sends it.
                    svc.persist(vec![raised], false).await;
                    drop(permit);
                });
            }
            Err(_) => tracing::error!(event = event.as_str(), "webhook queue and spill full; event dropped"),
        }
    }

    async fn reload(&self) -> Result<(), AppError> {
        let hooks = self.inner.store.list_webhooks().await?;
        let mask = hooks.iter().flat_map(|h| h.events.iter()).fold(0u8, |m, e| m | bit(*e));
        let map = hooks.into_iter().map(|h| (h.id.clone(), h)).collect();
        if let Ok(mut active) = self.inner.active.write() {
            *active = Arc::new(map);
        }
        self.inner.subscribed.store(mask, Ordering::Relaxed);
        Ok(())
    }

    fn active(&self) -> Arc<HashMap<String, Webhook>> {
        self.inner.active.read().map(|a| a.clone()).unwrap_or_default()
    }

    async fn refresh_loop(self) {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        let mut last_prune = 0i64;
        loop {
            tick.tick().await;
            if let Err(e) = self.reload().await {
                tracing::warn!(error = %e, "could not reload webhooks");
            }
            let now = now_ms();
            if now - last_prune > 3_600_000 {
                last_prune = now;
                match self.inner.store.prune(now - self.inner.config.retention_ms).await {
                    Ok(n) if n > 0 => tracing::info!(deleted = n, "old webhook deliveries pruned"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not prune webhook deliveries"),
                }
            }
        }
    }

    async fn worker(self, mut rx: mpsc::Receiver<Raised>) {
        while let Some(batch) = crate::batch::recv_batch(&mut rx, WORKER_BATCH).await {
            self.persist(batch, true).await;
        }
    }

    /// Stores one delivery per subscribed webhook per event; with `send_now`, those that get a
    /// sender slot are stored already leased and attempted at once, the rest wait for the
    /// retry loop.
    async fn persist(&self, batch: Vec<Raised>, send_now: bool) {
        let hooks = self.active();
        let now = now_ms();
        let mut rows = Vec::new();
        let mut now_sending = Vec::new();
        for raised in batch {
            for hook in hooks.values().filter(|h| h.events.contains(&raised.event)) {
                let id = new_delivery_id();
                let payload =
                    json!({"id": id, "event": raised.event.as_str(), "ts": raised.ts, "data": raised.data}).to_string();
                let permit = if send_now { self.inner.in_flight.clone().try_acquire_owned().ok() } else { None };
                let delivery = WebhookDelivery {
                    id,
                    webhook_id: hook.id.clone(),
                    event: raised.event,
                    payload,
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    last_status: None,
                    last_error: None,
                    next_attempt_at: now,
                    lease_until: if permit.is_some() { now + self.inner.config.lease_ms() } else { 0 },
                    created_at: now,
                    updated_at: now,
                };
                if let Some(permit) = permit {
                    now_sending.push((delivery.clone(), hook.clone(), permit));
                }
                rows.push(delivery);
            }
        }
        if rows.is_empty() {
            return;
        }
        if let Err(e) = self.inner.store.insert_deliveries(&rows).await {
            tracing::error!(error = %e, deliveries = rows.len(), "could not store webhook deliveries; events lost");
            return;
        }
        for (delivery, hook, permit) in now_sending {
            let svc = self.clone();
            tokio::spawn(async move {
                svc.attempt(&delivery, &hook).await;
                drop(permit);
            });
        }
    }

    async fn retry_loop(self) {
        let mut tick = tokio::time::interval(self.inner.config.poll_every());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.retry_due().await {
                tracing::warn!(error = %e, "webhook retry pass failed");
            }
        }
    }

    async fn retry_due(&self) -> Result<(), AppError> {
        let free = self.inner.in_flight.available_permits();
        if free == 0 {
            return Ok(());
        }
        let now = now_ms();
        let due = self.inner.store.due(now, free as u64).await?;
        for delivery in due {
            let Ok(permit) = self.inner.in_flight.clone().try_acquire_owned() else { break };
            let lease = now + self.inner.config.lease_ms();
            if !self.inner.store.claim(&delivery.id, delivery.attempts, now, lease).await? {
                continue; // another instance took this attempt
            }
            let hook = match self.active().get(&delivery.webhook_id) {
                Some(h) => Some(h.clone()),
                None => self.inner.store.get_webhook(&delivery.webhook_id).await?,
            };
            let svc = self.clone();
            tokio::spawn(async move {
                match hook {
                    Some(hook) => svc.attempt(&delivery, &hook).await,
                    None => {
                        let outcome = AttemptOutcome { status: None, error: Some("webhook deleted".into()) };
                        svc.record(&delivery, &outcome, DeliveryStatus::Failed, now_ms()).await;
                    }
                }
                drop(permit);
            });
        }
        Ok(())
    }

    /// One attempt of a delivery this instance holds the lease of, and its record.
    async fn attempt(&self, delivery: &WebhookDelivery, hook: &Webhook) {
        let outcome =
            self.inner.sender.send(&hook.url, &hook.secret, delivery.event, &delivery.id, &delivery.payload).await;
        let done = delivery.attempts + 1;
        let now = now_ms();
        let (status, next) = if outcome.is_success() {
            (DeliveryStatus::Delivered, now)
        } else if done >= self.inner.config.max_attempts {
            (DeliveryStatus::Failed, now)
        } else {
            let wait = i64::try_from(self.inner.config.backoff_ms(done)).unwrap_or(i64::MAX / 4);
            (DeliveryStatus::Pending, now + wait)
        };
        tracing::debug!(delivery = delivery.id, attempt = done, status = ?outcome.status, error = ?outcome.error, "webhook attempt");
        self.record(delivery, &outcome, status, next).await;
    }

    async fn record(&self, delivery: &WebhookDelivery, outcome: &AttemptOutcome, status: DeliveryStatus, next: i64) {
        let result =
            self.inner.store.record_attempt(&delivery.id, delivery.attempts + 1, outcome, status, next, now_ms()).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, delivery = delivery.id, "could not record a webhook attempt; it will be retried after its lease");
        }
    }
}

/// A committed message as webhook data (the same shape as the wire `message`).
fn message_json(m: &Message) -> Value {
    json!({
        "conv": m.conv.to_string(),
        "seq": m.seq,
        "msg_id": m.msg_id,
        "sender": m.sender.to_string(),
        "client_msg_id": m.client_msg_id,
        "kind": m.kind,
        "body": serde_json::from_str::<Value>(&m.body).unwrap_or_else(|_| Value::String(m.body.clone())),
        "ts": m.ts,
    })
}

/// The webhooks are one of the after-commit observers: committed messages become `message.sent`
/// (and `group.changed`) events on the dispatcher's queue, never waiting.
impl CommitObserver for WebhookService {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn observe(&self, deliveries: &[Delivery]) {
        for d in deliveries {
            if let Event::Message(m) = d.event.as_ref() {
                self.message_committed(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WebhookConfig;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = WebhookConfig {
            max_attempts: 6,
            retry_base_ms: 1000,
            retry_cap_ms: 5000,
            timeout_ms: 10_000,
            queue_capacity: 1,
            max_in_flight: 1,
            retention_ms: 0,
        };
        let waits: Vec<u64> = (1..=5).map(|n| c.backoff_ms(n)).collect();
        assert_eq!(waits, vec![1000, 2000, 4000, 5000, 5000]);
    }
}
