//! What reacts to commits: the webhook dispatcher, offline push, and the one ordered list that
//! hands them every batch before the realtime delivery (docs/design.md, "After a commit").

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tidings_app::search::IndexerParts;
use tidings_app::{AfterCommit, BotTrigger, PushService, SearchIndexer, WebhookConfig, WebhookService};
use tidings_domain::ports::{CommitObserver, Notifier, TokenService};
use tidings_infrastructure::db::SqlWebhookStore;
use tidings_infrastructure::webhook::HttpWebhookSender;

use crate::settings::WebhookSettings;
use crate::settings::duration::millis_u64 as millis;

/// Index changes that may wait for the search indexer (about a second of a busy server's
/// messages); past it they are dropped, counted and replayed from the log once it drains.
const SEARCH_QUEUE: usize = 65_536;

/// The observers that were built, and the notifier every service is given.
pub(super) struct Observers {
    /// Observers first, then the realtime delivery.
    pub(super) notifier: Arc<dyn Notifier>,
    /// The webhook dispatcher (its admin routes and counters).
    pub(super) webhooks: WebhookService,
}

/// Starts the dispatchers and puts them in the one list, in front of `realtime`.
pub(super) async fn build(
    webhooks: &WebhookSettings,
    (search, bots, offline_push): (IndexerParts, Arc<BotTrigger>, Option<PushService>),
    db: &DatabaseConnection,
    tokens: Arc<dyn TokenService>,
    realtime: Arc<dyn Notifier>,
) -> anyhow::Result<Observers> {
    let webhooks = WebhookService::start(
        Arc::new(SqlWebhookStore::new(db.clone())),
        Arc::new(HttpWebhookSender::new(webhooks.timeout).context("building the webhook HTTP client")?),
        tokens,
        webhook_config(webhooks),
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the webhook dispatcher: {e}"))?;
    // The one ordered list of what happens after a commit: every batch goes to these observers
    // in this order, then to the realtime delivery. A feature that reacts to committed messages
    // (search indexing, bots, content hooks) adds its line here.
    let mut list: Vec<Arc<dyn CommitObserver>> =
        vec![Arc::new(webhooks.clone()), Arc::new(SearchIndexer::start(search, SEARCH_QUEUE))];
    list.push(bots);
    if let Some(push) = offline_push {
        list.push(Arc::new(push));
    }
    let notifier = Arc::new(AfterCommit::new(list, realtime));
    Ok(Observers { notifier, webhooks })
}

fn webhook_config(w: &WebhookSettings) -> WebhookConfig {
    WebhookConfig {
        max_attempts: w.max_attempts,
        retry_base_ms: millis(w.retry_base),
        retry_cap_ms: millis(w.retry_cap),
        timeout_ms: millis(w.timeout),
        queue_capacity: w.queue_capacity,
        max_in_flight: w.max_in_flight,
        retention_ms: i64::try_from(w.retention.as_millis()).unwrap_or(i64::MAX),
    }
}
