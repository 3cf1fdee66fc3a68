//! AI assistant bots, wired in two steps: the trigger (a commit observer, so it must exist
//! before the notifier every service is given) and, once messaging exists, the workers that
//! answer through it and the admin service of `/admin/v1/bots`.

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tidings_app::bots::{BotMeter, BotRuntime, BotWorkers};
use tidings_app::{AdminService, BotAdmin, BotDirectory, BotTrigger, MessagingService};
use tidings_domain::Clock;
use tidings_domain::bots::Limits;
use tidings_domain::ports::{BotStore, UserRepository};
use tidings_infrastructure::db::{SqlAdminStore, SqlBotStore};
use tidings_infrastructure::llm::HttpChatModel;
use tokio::sync::mpsc;

use crate::settings::BotSettings;

/// The first step's result: the observer for the list, and what the second step needs.
pub(super) struct Trigger {
    /// Goes into the after-commit list.
    pub(super) observer: Arc<BotTrigger>,
    directory: Arc<BotDirectory>,
    store: Arc<dyn BotStore>,
    queue: mpsc::Receiver<tidings_app::bots::BotJob>,
}

/// Loads the bots and builds the observer that queues the messages they answer.
pub(super) async fn trigger(s: &BotSettings, db: &DatabaseConnection, meter: Arc<dyn BotMeter>) -> Trigger {
    let store: Arc<dyn BotStore> = Arc::new(SqlBotStore::new(db.clone()));
    let directory = BotDirectory::start(store.clone(), s.reload).await;
    let (observer, queue) = BotTrigger::new(directory.clone(), s.queue_capacity, meter);
    Trigger { observer: Arc::new(observer), directory, store, queue }
}

/// What the second step needs besides the trigger.
pub(super) struct Parts {
    pub(super) messaging: Arc<MessagingService>,
    pub(super) users: Arc<dyn UserRepository>,
    pub(super) admin: (Arc<AdminService>, Arc<SqlAdminStore>),
    pub(super) meter: Arc<dyn BotMeter>,
    pub(super) clock: Arc<dyn Clock>,
    /// Longest text message (the answer is cut to it).
    pub(super) max_text_chars: usize,
}

/// Starts the workers and returns the admin service.
pub(super) fn start(s: &BotSettings, t: Trigger, p: Parts) -> anyhow::Result<Arc<BotAdmin>> {
    let defaults = Limits {
        requests_per_day: s.requests_per_day,
        tokens_per_day: s.tokens_per_day,
        user_requests_per_day: s.user_requests_per_day,
        user_tokens_per_day: s.user_tokens_per_day,
    };
    let model = HttpChatModel::new(s.timeout).context("building the bots' HTTP client")?;
    BotWorkers {
        messaging: p.messaging,
        users: p.users,
        store: t.store.clone(),
        model: Arc::new(model),
        directory: t.directory.clone(),
        meter: p.meter,
        clock: p.clock.clone(),
        runtime: BotRuntime {
            workers: s.workers,
            context_tokens: s.context_tokens,
            context_messages: s.context_messages,
            defaults,
            max_answer_chars: p.max_text_chars,
        },
    }
    .start(t.queue);
    Ok(Arc::new(BotAdmin::new(t.store, t.directory, p.admin.0, p.admin.1, p.clock, defaults)))
}
