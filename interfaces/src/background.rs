//! Composition of the optional background features: offline push (a decorator of the notifier,
//! installed only when a provider is configured) and the retention job (started only when a
//! maximum age is set). Both cost nothing when off.

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tidings_app::{PushConfig, PushService, RetentionConfig, RetentionJob};
use tidings_domain::ports::{ConversationStore, PresenceReader};
use tidings_domain::retention::Purger;
use tidings_infrastructure::db::SqlRetentionStore;
use tidings_infrastructure::push::{WebhookPushConfig, WebhookPushProvider};

use crate::settings::{PushProviderKind, Settings};

/// The offline push dispatcher when `push.provider` names one (an after-commit observer, and
/// its counters for `/metrics`); `None` for `none`.
pub fn offline_push(
    settings: &Settings,
    presence: Arc<dyn PresenceReader>,
    convs: Arc<dyn ConversationStore>,
) -> anyhow::Result<Option<PushService>> {
    let p = &settings.push;
    match p.provider {
        PushProviderKind::None => return Ok(None),
        PushProviderKind::Webhook => {}
    }
    let (Some(url), Some(secret)) = (&p.url, &p.secret) else {
        return Ok(None);
    };
    let provider = WebhookPushProvider::new(WebhookPushConfig {
        url: url.clone(),
        secret: secret.expose().to_owned(),
        max_attempts: p.max_attempts,
        retry_base: p.retry_base,
        timeout: p.timeout,
    })
    .context("building the push HTTP client")?;
    let push = PushService::start(
        Arc::new(provider),
        presence,
        convs,
        PushConfig { queue_capacity: p.queue_capacity, preview: p.preview, max_in_flight: p.max_in_flight },
    );
    tracing::info!(url, preview = p.preview, "offline push through a webhook");
    Ok(Some(push))
}

/// Starts the retention job when `retention.max_age` is set. `purgers` trim what else
/// ages with the messages (media, once its service registers one).
pub fn start_retention(settings: &Settings, db: &DatabaseConnection, purgers: Vec<Arc<dyn Purger>>) {
    let r = &settings.retention;
    if !r.is_on() {
        return;
    }
    let config = RetentionConfig { max_age: r.max_age, interval: r.interval, batch: r.batch_size };
    tracing::info!(max_age = ?r.max_age, interval = ?r.interval, "retention job started");
    RetentionJob::new(Arc::new(SqlRetentionStore::new(db.clone())), purgers, config).spawn();
}
