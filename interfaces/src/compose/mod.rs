//! The composition root, one small builder per bounded context: storage, routing (embedded or
//! cluster), security, what reacts to commits, media, accounts, conversations. [`wire`] runs
//! them in dependency order and hands the HTTP layer an [`AppState`] whose handlers see typed
//! services and the settings sections they read, never the whole `Settings`.
//!
//! Each builder takes the sections it needs, so what reads which setting is visible at the call.

mod accounts;
mod bots;
mod content;
mod conversations;
pub(crate) mod discovery;
mod media;
mod observers;
mod push;
mod readiness;
mod routing;
mod storage;

use std::sync::Arc;

use anyhow::Context;
use tidings_app::search::IndexerParts;
use tidings_app::{PresenceService, SearchService};
use tidings_domain::Clock;
use tidings_domain::admin::OnlineCounter;
use tidings_domain::ports::{RouteRegistry, SearchIndex};
use tidings_infrastructure::cluster::{AmqpBus, PushOrder};
use tidings_infrastructure::db::{SqlAuditLog, SqlSearchIndex};

pub use self::accounts::admin_create;
pub use self::push::PushRuntime;
pub use self::storage::search_reindex;
use crate::settings::Settings;
use crate::state::{AppState, HandlerConfig, PushOrderMetrics};
use crate::ws::hub::{ConnectionCaps, Hub};

/// Everything the HTTP layer and the drain need from the composition.
pub(crate) struct Wired {
    /// What every handler shares.
    pub(crate) state: AppState,
    /// The local WebSocket connections (the drain closes them).
    pub(crate) hub: Arc<Hub>,
    /// Device routes in a cluster (the drain removes this instance's).
    pub(crate) routes: Option<Arc<dyn RouteRegistry>>,
    /// The broker link in a cluster (the drain closes it last).
    pub(crate) bus: Option<AmqpBus>,
    /// Which mode this instance runs in, for the start-up line.
    pub(crate) mode: &'static str,
    /// This instance's id in the cluster (its discovery entry's).
    pub(crate) instance: String,
}

/// Builds every context from `settings`, in dependency order; the time rules read `clock`.
pub(crate) async fn wire(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Wired> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating data dir {}", settings.data_dir.display()))?;
    let security = accounts::security(settings, clock.clone())?;
    let storage = storage::open(settings, clock.clone()).await?;
    let hub = Arc::new(Hub::with_caps(
        settings.limits.outbound_queue,
        ConnectionCaps {
            per_instance: settings.gateway.max_connections as usize,
            per_user: settings.gateway.max_connections_per_user as usize,
        },
    ));
    let routing = routing::start(settings, hub.clone(), storage.messages.clone()).await?;
    if let (Some(routes), Some(registry)) = (&routing.routes, &routing.registry) {
        routing::spawn_route_refresh(routes.clone(), registry.clone(), hub.clone(), settings.cluster.route_ttl);
    }
    let sql_index = Arc::new(
        SqlSearchIndex::open(storage.db.clone(), &storage::db_options(settings).url)
            .await
            .context("opening the search index")?,
    );
    let search_index: Arc<dyn SearchIndex> = sql_index.clone();
    let indexer = IndexerParts {
        index: search_index.clone(),
        recovery: sql_index,
        clock: clock.clone(),
        // One name per process: a restarted instance is a new indexer, and its old record is
        // a dead one's.
        writer: format!("{}-{}", settings.instance_id.as_deref().unwrap_or("tidings"), ulid::Ulid::new()),
        peers: routing.routes.is_some(),
    };
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let bot_trigger = bots::trigger(&settings.bots, &storage.db, metrics.clone()).await;
    let push =
        push::build(&settings.push, &storage.db, routing.presence.clone(), storage.convs.clone(), clock.clone())?;
    let observers = observers::build(
        &settings.webhooks,
        (indexer, bot_trigger.observer.clone(), push.dispatcher.clone()),
        &storage.db,
        security.tokens.clone(),
        routing.notifier.clone(),
    )
    .await?;
    let notifier = observers.notifier.clone();
    let media = Arc::new(media::service(
        &settings.media,
        &settings.data_dir,
        settings.limits.max_media_side,
        &storage.db,
        storage.convs.clone(),
    )?);
    // Uploads age with the messages: the retention job trims both with one cutoff.
    media::start_retention(&settings.retention, &storage.db, vec![media.clone()]);
    let online: Arc<dyn OnlineCounter> = match &routing.routes {
        Some(routes) => Arc::new(routing::ClusterOnline { routes: routes.clone(), hub: hub.clone() }),
        None => hub.clone(),
    };
    let content = content::build(&settings.hooks, &storage.db, clock.clone(), metrics.clone()).await?;
    let accounts = accounts::build(
        (&settings.auth, &settings.devices, &settings.admin),
        &storage.db,
        storage.users.clone(),
        &security,
        (notifier.clone(), online),
        content.gate.clone(),
        clock.clone(),
    )
    .await?;
    let conversations = conversations::build(
        &conversations::Sections {
            limits: &settings.limits,
            groups: &settings.groups,
            social: &settings.social,
            pipeline: &settings.pipeline,
            sqlite: settings.is_sqlite(),
        },
        &storage,
        &routing,
        notifier.clone(),
        (accounts.admin.clone(), accounts.admin_store.clone()),
        content.gate.clone(),
        clock.clone(),
    );
    let bots = bots::start(
        &settings.bots,
        bot_trigger,
        bots::Parts {
            messaging: conversations.messaging.clone(),
            users: storage.users.clone(),
            admin: (accounts.admin.clone(), accounts.admin_store.clone()),
            meter: metrics.clone(),
            clock: clock.clone(),
            max_text_chars: settings.limits.max_text_chars,
        },
    )?;
    let mode = if routing.routes.is_some() {
        "cluster (external database, Redis routes, RabbitMQ pushes)"
    } else if settings.is_sqlite() {
        "embedded (SQLite, in-process routing)"
    } else {
        "single instance (external database, in-process routing)"
    };
    let instance = match &routing.routes {
        Some(routes) => routes.instance().to_owned(),
        None => settings.instance_id.clone().unwrap_or_else(|| "tidings".into()),
    };
    let state = AppState {
        discovery: discovery::service(settings, routing.redis.as_ref()),
        drain: Arc::new(crate::drain::Drain::default()),
        accounts: Arc::new(accounts.accounts.with_content(content.gate)),
        messaging: conversations.messaging,
        search: Arc::new(SearchService::new(
            search_index,
            storage.convs.clone(),
            storage.messages.clone(),
            Arc::new(SqlAuditLog::new(storage.db.clone())),
            clock,
        )),
        social: Arc::new(conversations.social),
        groups: Arc::new(conversations.groups),
        hub: hub.clone(),
        config: Arc::new(handler_config(settings)),
        readiness: Arc::new(readiness::DependencyReadiness {
            db: storage.db.clone(),
            redis: routing.redis.clone(),
            bus: routing.bus.clone(),
        }),
        routes: routing.registry.clone(),
        push_order: routing.push_order.clone().map(|o| o as Arc<dyn PushOrderMetrics>),
        presence: routing.presence.clone(),
        changes: routing.changes.clone(),
        presence_events: Arc::new(PresenceService::new(routing.presence.clone(), notifier)),
        limiter: routing.limiter.clone(),
        admin: accounts.admin,
        integration: conversations.integration,
        webhooks: observers.webhooks,
        offline_push: push.dispatcher,
        native_push: push.senders,
        push_settings: push.settings,
        push_runtime: push.runtime,
        metrics,
        filters: content.filters,
        bots,
        media,
        media_staging: media::media_dir(&settings.media, &settings.data_dir).join("tmp"),
    };
    Ok(Wired { state, hub, routes: routing.registry, bus: routing.bus, mode, instance })
}

/// The sections handlers read, copied out of the settings.
fn handler_config(settings: &Settings) -> HandlerConfig {
    HandlerConfig {
        limits: settings.limits.clone(),
        ws: settings.ws.clone(),
        drain: settings.drain.clone(),
        gateway: settings.gateway.clone(),
        integration: settings.integration.clone(),
        max_mute: settings.groups.max_mute,
        media_origin: settings.media.origin.clone(),
        discovery: settings.discovery.clone(),
    }
}

impl PushOrderMetrics for PushOrder {
    fn observed(&self) -> [u64; 3] {
        let read = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let c = self.counts();
        [read(&c.held), read(&c.released_by_wait), read(&c.late)]
    }
}
