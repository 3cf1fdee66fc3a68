//! The composition root: opens storage, builds adapters and services, binds the listener.
//! `Application::build` binds first (port 0 works) so tests learn the port before serving.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_http::HttpService;
use actix_service::map_config;
use actix_web::dev::AppConfig;
use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::{App, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tidings_app::admin::AdminOutcome;
use tidings_app::messaging::BodyLimits;
use tidings_app::{
    AccountService, AdminService, AfterCommit, AuthPolicy, GroupLimits, GroupService, IntegrationService, MediaLimits,
    MediaService, MessagingLimits, MessagingPorts, MessagingService, PipelineConfig, PresenceService, PushService,
    SocialService, WebhookConfig, WebhookService,
};
use tidings_domain::StoreError;
use tidings_domain::account::User;
use tidings_domain::admin::OnlineCounter;
use tidings_domain::ports::{
    ChangeCounter, CommitObserver, ConversationStore, DedupeCache, GateEpoch, LocalDelivery, MessageStore, Notifier,
    PasswordHasher, PresenceReader, RateLimiter, RouteRegistry, SeqAllocator, TokenService,
};
use tidings_infrastructure::cluster::{
    AmqpBus, AmqpOptions, ClusterNotifier, ClusterRegistry, PushOrder, RedisDedupeCache, RedisGateEpoch, RedisKeys,
    RedisPool, RedisRateLimiter, RedisRoutes, RedisSeqAllocator, connect_redis,
};
use tidings_infrastructure::db::{
    self, DbOptions, SqlAdminStore, SqlConversationStore, SqlGroupStore, SqlMediaRepository, SqlMessageStore,
    SqlSessionRepository, SqlSocialStore, SqlUserRepository, SqlWebhookStore,
};
use tidings_infrastructure::media::{ImageCrateInspector, LocalMediaStore, S3MediaStore, S3Options};
use tidings_infrastructure::memory::{
    LocalNotifier, MemoryChangeCounter, MemoryDedupeCache, MemoryGateEpoch, MemoryRateLimiter, MemorySeqAllocator,
};
use tidings_infrastructure::security::{Argon2Hasher, JwtTokenService, load_or_create_signing_key};
use tidings_infrastructure::webhook::HttpWebhookSender;
use tracing::Instrument;

use crate::settings::duration::millis_u64 as millis;
use crate::settings::{MediaStoreKind, Settings};
use crate::state::{AppState, Readiness};
use crate::ws;
use crate::ws::hub::Hub;
use crate::{background, rest};

/// A built server, bound but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    /// The graceful drain, started by SIGTERM/SIGINT when this process owns them, or by
    /// [`Application::drain_trigger`].
    drain: crate::drain::Shutdown,
    /// Whether SIGTERM/SIGINT are listened for.
    handle_signals: bool,
    /// Starts the drain without a signal (tests, embedding).
    trigger: Arc<tokio::sync::Notify>,
}

/// `/readyz`: the database, and in cluster mode Redis and the broker connection.
struct DependencyReadiness {
    db: DatabaseConnection,
    redis: Option<RedisPool>,
    bus: Option<AmqpBus>,
}

/// The longest the database check of `/readyz` may take (Redis calls and the broker's state
/// have their own, shorter bounds).
const READY_DB_LIMIT: Duration = Duration::from_secs(2);

#[async_trait::async_trait]
impl Readiness for DependencyReadiness {
    async fn check(&self) -> Result<(), String> {
        tokio::time::timeout(READY_DB_LIMIT, db::ping(&self.db))
            .await
            .map_err(|_| format!("database: no answer within {READY_DB_LIMIT:?}"))?
            .map_err(|e| format!("database: {e}"))?;
        if let Some(pool) = &self.redis {
            let mut conn = pool.get().await.map_err(|e| format!("redis: {e}"))?;
            deadpool_redis::redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map_err(|e| format!("redis: {e}"))?;
        }
        if let Some(bus) = &self.bus
            && !bus.is_connected().await
        {
            return Err("broker: not connected, or the link carried nothing back lately (reconnecting)".into());
        }
        Ok(())
    }
}

/// Recent commits remembered in memory for answering retries (embedded mode).
const DEDUPE_CACHE_ENTRIES: usize = 100_000;

/// How deliveries, seqs and routes work in this mode.
struct Routing {
    notifier: Arc<dyn Notifier>,
    seqs: Arc<dyn SeqAllocator>,
    dedupe: Arc<dyn DedupeCache>,
    limiter: Arc<dyn RateLimiter>,
    gate_epoch: Arc<dyn GateEpoch>,
    routes: Option<Arc<RedisRoutes>>,
    registry: Option<Arc<dyn RouteRegistry>>,
    push_order: Option<Arc<PushOrder>>,
    presence: Arc<dyn PresenceReader>,
    changes: Arc<dyn ChangeCounter>,
    redis: Option<RedisPool>,
    bus: Option<AmqpBus>,
}

/// Embedded: everything in process. Cluster: Redis routes and counters, RabbitMQ pushes.
async fn routing(settings: &Settings, hub: Arc<Hub>, messages: Arc<dyn MessageStore>) -> anyhow::Result<Routing> {
    let (Some(redis_url), Some(amqp_url)) = (&settings.redis_url, &settings.amqp_url) else {
        let changes = Arc::new(MemoryChangeCounter::default());
        return Ok(Routing {
            notifier: Arc::new(LocalNotifier::new(hub.clone(), changes.clone())),
            changes,
            seqs: Arc::new(MemorySeqAllocator::new(messages)),
            dedupe: Arc::new(MemoryDedupeCache::new(DEDUPE_CACHE_ENTRIES)),
            limiter: Arc::new(MemoryRateLimiter::default()),
            gate_epoch: Arc::new(MemoryGateEpoch::default()),
            routes: None,
            registry: None,
            push_order: None,
            presence: hub,
            redis: None,
            bus: None,
        });
    };
    let c = &settings.cluster;
    let instance = settings.instance_id.clone().unwrap_or_else(|| format!("i{}", next_instance_suffix()));
    let timeout = c.connect_timeout;
    let pool =
        tokio::time::timeout(timeout, connect_redis(redis_url.expose(), c.redis_pool_size, c.dependency_timeout))
            .await
            .map_err(|_| anyhow::anyhow!("Redis did not answer within {timeout:?}"))?
            .context("connecting to Redis")?;
    let keys = RedisKeys::new(c.redis_prefix.clone());
    let routes = Arc::new(RedisRoutes::new(pool.clone(), keys.clone(), instance.clone(), c.route_ttl.as_secs()));
    let push_order = (!c.push_order_wait.is_zero()).then(|| PushOrder::start(hub.clone(), c.push_order_wait));
    let local: Arc<dyn LocalDelivery> = match &push_order {
        Some(order) => order.clone(),
        None => hub,
    };
    let opts = AmqpOptions {
        url: amqp_url.expose().to_owned(),
        instance: instance.clone(),
        prefix: c.amqp_prefix.clone(),
        prefetch: c.amqp_prefetch,
        publish_timeout: c.dependency_timeout,
    };
    let bus = AmqpBus::start(opts, local.clone(), timeout).await.context("connecting to RabbitMQ")?;
    tracing::info!(instance, "cluster mode: routes and counters in Redis, pushes through RabbitMQ");
    Ok(Routing {
        notifier: Arc::new(ClusterNotifier::new(routes.clone(), bus.clone(), local)),
        seqs: Arc::new(RedisSeqAllocator::new(pool.clone(), keys.clone(), messages)),
        dedupe: Arc::new(RedisDedupeCache::new(pool.clone(), keys.clone())),
        gate_epoch: Arc::new(RedisGateEpoch::new(pool.clone(), &keys)),
        limiter: Arc::new(RedisRateLimiter::new(pool.clone(), keys)),
        presence: routes.clone(),
        changes: routes.clone(),
        registry: Some(Arc::new(ClusterRegistry::new(routes.clone(), bus.clone()))),
        routes: Some(routes),
        push_order,
        redis: Some(pool),
        bus: Some(bus),
    })
}

/// A random suffix for an instance that was not given an id.
fn next_instance_suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", std::process::id(), nanos & 0xffff_ffff)
}

/// How often the route keeper checks that Redis still holds the cluster's state.
const STATE_CHECK: Duration = Duration::from_secs(1);

/// Keeps this instance's routes alive: re-asserts them every third of their TTL, and at once when
/// Redis lost its state (checked every second); closes connections here whose device connected
/// again elsewhere; reports the device count for the admin stats.
fn spawn_route_refresh(routes: Arc<RedisRoutes>, registry: Arc<dyn RouteRegistry>, hub: Arc<Hub>, ttl: Duration) {
    tokio::spawn(async move {
        let every = Duration::from_secs((ttl.as_secs() / 3).max(1));
        let mut tick = tokio::time::interval(STATE_CHECK);
        let mut last_refresh: Option<tokio::time::Instant> = None;
        loop {
            tick.tick().await;
            let lost = match routes.state_lost().await {
                Ok(lost) => lost,
                Err(e) => {
                    tracing::debug!(error = %e, "could not check the cluster state marker");
                    false
                }
            };
            if lost && last_refresh.is_some() {
                tracing::warn!("Redis lost the cluster's state; writing this instance's routes again now");
            }
            if !lost && last_refresh.is_some_and(|at| at.elapsed() < every) {
                continue;
            }
            last_refresh = Some(tokio::time::Instant::now());
            let devices = hub.devices();
            for (user, device, owner) in registry.refresh(&devices).await {
                hub.close_superseded(&user, &device, owner.since_us.saturating_add(1));
            }
            if let Err(e) = routes.report_devices(devices.len()).await {
                tracing::debug!(error = %e, "could not report the device count");
            }
        }
    });
}

/// Connected devices of a cluster: this instance reports its fresh count first, so the figure
/// is exact for this instance and at most a route refresh old for the others.
struct ClusterOnline {
    routes: Arc<RedisRoutes>,
    hub: Arc<Hub>,
}

#[async_trait::async_trait]
impl OnlineCounter for ClusterOnline {
    async fn online_devices(&self) -> Result<u64, StoreError> {
        self.routes.report_devices(self.hub.device_count()).await?;
        self.routes.cluster_devices().await
    }
}

/// The one ordered list of what happens after a commit (docs/design.md, "After a commit"):
/// every batch goes to these observers in this order, then to the realtime delivery. A feature
/// that reacts to committed messages (search indexing, bots, content hooks) adds its line here.
fn after_commit(
    realtime: Arc<dyn Notifier>,
    webhooks: &WebhookService,
    offline_push: Option<&PushService>,
) -> Arc<dyn Notifier> {
    let mut observers: Vec<Arc<dyn CommitObserver>> = Vec::new();
    observers.push(Arc::new(webhooks.clone()));
    if let Some(push) = offline_push {
        observers.push(Arc::new(push.clone()));
    }
    Arc::new(AfterCommit::new(observers, realtime))
}

fn webhook_config(settings: &Settings) -> WebhookConfig {
    let w = &settings.webhooks;
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

/// The local media directory (also where uploads are staged, under `tmp`).
fn media_dir(settings: &Settings) -> std::path::PathBuf {
    settings.media.dir.clone().unwrap_or_else(|| settings.data_dir.join("media"))
}

/// The media service on the configured blob store.
fn media_service(
    settings: &Settings,
    db: &DatabaseConnection,
    convs: Arc<dyn tidings_domain::ports::ConversationStore>,
) -> anyhow::Result<MediaService> {
    let m = &settings.media;
    let store: Arc<dyn tidings_domain::media::MediaStore> = match m.store {
        MediaStoreKind::S3 => Arc::new(
            S3MediaStore::new(&S3Options {
                endpoint: m.s3_endpoint.clone(),
                bucket: m.s3_bucket.clone(),
                region: m.s3_region.clone(),
                access_key_id: m.s3_access_key_id.clone(),
                secret_access_key: m.s3_secret_access_key.expose().to_owned(),
                allow_http: m.s3_allow_http,
                prefix: m.s3_prefix.clone(),
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        MediaStoreKind::Local => Arc::new(LocalMediaStore::new(media_dir(settings))),
    };
    Ok(MediaService::new(
        Arc::new(SqlMediaRepository::new(db.clone())),
        store,
        Arc::new(ImageCrateInspector::new(m.decode_budget_mib, cores())),
        convs,
        MediaLimits {
            max_image_bytes: m.max_image_bytes,
            max_file_bytes: m.max_file_bytes,
            max_voice_bytes: m.max_voice_bytes,
            max_video_bytes: m.max_video_bytes,
            max_side: settings.limits.max_media_side,
            thumb_side: m.thumbnail_side,
        },
    ))
}

fn db_options(settings: &Settings) -> DbOptions {
    DbOptions {
        url: settings.effective_database_url(),
        max_connections: settings.db.max_connections,
        acquire_timeout: settings.db.acquire_timeout,
        sqlite_sync_every_commit: settings.db.sqlite_sync_every_commit,
    }
}

async fn open_db(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    db::connect_and_migrate(&db_options(settings)).await.context("opening the database")
}

/// `tidings admin create`: on the database the settings name (migrated first), creates the
/// admin or makes an existing account an admin with this password.
pub async fn admin_create(
    settings: &Settings,
    username: &str,
    password: &str,
    display_name: Option<&str>,
) -> anyhow::Result<(User, AdminOutcome)> {
    let db = open_db(settings).await?;
    let key = load_or_create_signing_key(settings.signing_key(), &settings.data_dir.join("signing.key"))?;
    // No server runs here: nobody is connected, so notifications go nowhere.
    let idle = Arc::new(Hub::new(1));
    let store = Arc::new(SqlAdminStore::new(db.clone()));
    let admin = AdminService::new(
        Arc::new(SqlUserRepository::new(db.clone())),
        store.clone(),
        store,
        Arc::new(Argon2Hasher::new(settings.auth.argon2_memory_kib, settings.auth.argon2_iterations)?),
        Arc::new(JwtTokenService::new(&key)),
        Arc::new(LocalNotifier::new(idle.clone(), Arc::default())),
        idle,
    );
    let result = admin.create_or_promote_admin(username, password, display_name).await;
    db.close().await.ok();
    result.map_err(|e| anyhow::anyhow!("{e}"))
}

impl Application {
    /// Creates the data dir, loads or creates the signing key, migrates storage, wires the
    /// services and binds `settings.http_addr`. Must run inside an actix system. The server owns
    /// the process's SIGTERM/SIGINT: they start a graceful drain, which ends the process (exit 0)
    /// if it overruns `drain.timeout`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, true).await
    }

    async fn build_with(settings: Settings, handle_signals: bool) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data dir {}", settings.data_dir.display()))?;
        let key = load_or_create_signing_key(settings.signing_key(), &settings.data_dir.join("signing.key"))?;
        let db = open_db(&settings).await?;

        let caps = crate::ws::hub::ConnectionCaps {
            per_instance: settings.gateway.max_connections as usize,
            per_user: settings.gateway.max_connections_per_user as usize,
        };
        let hub = Arc::new(Hub::with_caps(settings.limits.outbound_queue, caps));
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let users = Arc::new(SqlUserRepository::new(db.clone()));
        let batch_writer = db::connect_batch_writer(&db_options(&settings), &db)
            .await
            .context("opening the batch writer's database connection")?;
        let messages = Arc::new(
            SqlMessageStore::for_batches(&db_options(&settings), db.clone(), batch_writer.clone())
                .context("starting the message writer")?,
        );
        let routing = routing(&settings, hub.clone(), messages.clone()).await?;
        let routing_is_cluster = routing.routes.is_some();
        if let (Some(routes), Some(registry)) = (&routing.routes, &routing.registry) {
            spawn_route_refresh(routes.clone(), registry.clone(), hub.clone(), settings.cluster.route_ttl);
        }
        let tokens: Arc<dyn TokenService> = Arc::new(JwtTokenService::new(&key));
        let hasher: Arc<dyn PasswordHasher> =
            Arc::new(Argon2Hasher::new(settings.auth.argon2_memory_kib, settings.auth.argon2_iterations)?);
        let webhooks = WebhookService::start(
            Arc::new(SqlWebhookStore::new(db.clone())),
            Arc::new(HttpWebhookSender::new(settings.webhooks.timeout).context("building the webhook HTTP client")?),
            tokens.clone(),
            webhook_config(&settings),
        )
        .await
        .map_err(|e| anyhow::anyhow!("starting the webhook dispatcher: {e}"))?;
        let convs: Arc<dyn ConversationStore> =
            Arc::new(SqlConversationStore::with_batch_writer(db.clone(), batch_writer));
        let offline_push = background::offline_push(&settings, routing.presence.clone(), convs.clone())?;
        let notifier = after_commit(routing.notifier.clone(), &webhooks, offline_push.as_ref());
        let media = Arc::new(media_service(&settings, &db, convs.clone())?);
        // Uploads age with the messages: the retention job trims both with one cutoff.
        background::start_retention(&settings, &db, vec![media.clone()]);
        let online: Arc<dyn OnlineCounter> = match &routing.routes {
            Some(routes) => Arc::new(ClusterOnline { routes: routes.clone(), hub: hub.clone() }),
            None => hub.clone(),
        };
        let admin_store = Arc::new(SqlAdminStore::new(db.clone()));
        let admin = Arc::new(AdminService::new(
            users.clone(),
            admin_store.clone(),
            admin_store.clone(),
            hasher.clone(),
            tokens.clone(),
            notifier.clone(),
            online,
        ));
        if let (Some(username), Some(password)) = (&settings.admin.initial_username, &settings.admin.initial_password) {
            match admin.ensure_initial_admin(username, password.expose()).await {
                Ok(Some(user)) => tracing::info!(username, user = %user.id, "created the initial admin"),
                Ok(None) => tracing::debug!(username, "initial admin exists already"),
                Err(e) => anyhow::bail!("creating the initial admin {username}: {e}"),
            }
        }
        let accounts = AccountService::new(
            users.clone(),
            Arc::new(SqlSessionRepository::new(db.clone())),
            hasher,
            tokens,
            notifier.clone(),
            AuthPolicy {
                access_ttl_secs: settings.auth.access_ttl.as_secs(),
                refresh_ttl_secs: settings.auth.refresh_ttl.as_secs(),
            },
        )
        .with_device_limits(settings.devices.limits());
        let l = &settings.limits;
        // Direct-message gates are remembered under an epoch every instance moves on after a
        // gate write, so a block holds at once on all of them.
        let social_store: Arc<dyn tidings_domain::ports::SocialStore> =
            Arc::new(tidings_app::gate_cache::CachedGateStore::new(
                Arc::new(SqlSocialStore::new(db.clone())),
                routing.gate_epoch.clone(),
            ));
        // Group gates (role, mute, dissolution) likewise, under the same epoch: group and
        // membership writes move it on too.
        let group_ports = tidings_app::group_gate_cache::CachedGroupGate::ports(
            Arc::new(SqlGroupStore::new(db.clone())),
            routing.gate_epoch.clone(),
        );
        let dm_policy = settings.social.default_dm_policy;
        let messaging = MessagingService::start(
            MessagingPorts {
                users: users.clone(),
                convs,
                messages,
                dedupe: routing.dedupe.clone(),
                seqs: routing.seqs.clone(),
                notifier: notifier.clone(),
                social: social_store.clone(),
                group_gate: group_ports.gate.clone(),
                group_directory: group_ports.directory.clone(),
                media: Arc::new(SqlMediaRepository::new(db.clone())),
            },
            MessagingLimits {
                body: BodyLimits {
                    max_text_chars: l.max_text_chars,
                    max_body_bytes: l.max_body_bytes,
                    max_mentions: l.max_mentions,
                    max_file_name_chars: l.max_file_name_chars,
                    max_file_bytes: l.max_declared_file_bytes,
                    max_media_side: l.max_media_side,
                    max_voice_ms: millis(l.max_voice_duration),
                    max_video_ms: millis(l.max_video_duration),
                },
                default_page: l.default_page,
                max_page: l.max_page,
                max_conversations: l.max_conversations,
                recall_window_ms: i64::try_from(l.recall_window.as_millis()).unwrap_or(i64::MAX),
                receipts_max_members: l.receipts_max_members,
            },
            dm_policy,
            PipelineConfig {
                // One writer per instance makes the largest batches, which is what the database
                // spends least on per message (docs/benchmarks.md); more only pay where the
                // database has cores to spare.
                shards: settings.pipeline.shards,
                queue_capacity: settings.pipeline.queue_capacity(),
                max_batch: settings.pipeline.max_batch,
                one_writer_at_a_time: settings.is_sqlite(),
            },
        );
        let messaging = Arc::new(messaging);
        let social = SocialService::new(users.clone(), social_store.clone(), dm_policy, l.max_page);
        let groups = GroupService::new(
            users.clone(),
            group_ports,
            social_store,
            messaging.clone(),
            GroupLimits {
                max_members: settings.groups.max_members,
                max_page: l.max_page,
                max_mute_secs: settings.groups.max_mute.as_secs(),
            },
        );
        let integration = Arc::new(IntegrationService::new(users, admin_store, admin.clone(), messaging.clone()));

        let listener =
            TcpListener::bind(&settings.http_addr).with_context(|| format!("binding {}", settings.http_addr))?;
        let addr = listener.local_addr()?;
        let json = rest::extract::json_config(l.max_http_body_bytes);
        let drain = Arc::new(crate::drain::Drain::default());
        let routes_registry = routing.registry.clone();
        let drain_hub = hub.clone();
        let drain_bus = routing.bus.clone();
        let state = web::Data::new(AppState {
            drain: drain.clone(),
            accounts: Arc::new(accounts),
            messaging,
            social: Arc::new(social),
            groups: Arc::new(groups),
            hub,
            settings: Arc::new(settings.clone()),
            readiness: Arc::new(DependencyReadiness { db, redis: routing.redis.clone(), bus: routing.bus.clone() }),
            routes: routes_registry.clone(),
            push_order: routing.push_order.clone(),
            presence: routing.presence.clone(),
            changes: routing.changes.clone(),
            presence_events: Arc::new(PresenceService::new(routing.presence.clone(), notifier.clone())),
            limiter: routing.limiter.clone(),
            admin,
            integration,
            webhooks,
            offline_push,
            metrics: metrics.clone(),
            media,
            media_staging: media_dir(&settings).join("tmp"),
        });
        let ip_policy = Arc::new(crate::gateway::IpPolicy::from_settings(&settings.gateway)?);
        let make_app = move || {
            let ip_policy = ip_policy.clone();
            let metrics = metrics.clone();
            let app = App::new()
                .app_data(state.clone())
                .app_data(json.clone())
                .app_data(rest::extract::query_config())
                .app_data(rest::extract::path_config())
                .wrap_fn(move |req, srv| crate::gateway::admit(&ip_policy, req, srv))
                .wrap(crate::gateway::security_headers())
                .wrap_fn(move |req, srv| {
                    let started = std::time::Instant::now();
                    let metrics = metrics.clone();
                    let span = tracing::info_span!(
                        "http",
                        rid = next_request_id(),
                        method = %req.method(),
                        path = %req.path(),
                    );
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await;
                        if let Ok(r) = &res {
                            tracing::debug!(status = r.status().as_u16(), "response");
                            if r.request().path() != "/ws" {
                                metrics.http_done(r.status().as_u16(), started.elapsed());
                            }
                        }
                        res
                    }
                    .instrument(span)
                });
            rest::routes(app).configure(ws::routes).default_service(web::to(rest::not_found))
        };
        // actix-web's `HttpServer` with one addition: WebSocket handshakes go to the takeover
        // (`ws::takeover`), which runs them through the same app and then serves the socket
        // itself instead of leaving it on the HTTP/1 dispatcher.
        let mut server = actix_web::dev::Server::build()
            // Signals are ours (a graceful drain, see `drain`); this bounds the last step, when
            // the server stops and in-flight HTTP requests finish.
            .disable_signals()
            .shutdown_timeout((settings.drain.timeout.as_secs() / 4).max(1))
            .listen("tidings", listener, move || {
                // The timeouts are `HttpServer`'s defaults.
                HttpService::build()
                    .client_request_timeout(Duration::from_secs(5))
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .local_addr(addr)
                    .upgrade(ws::takeover::factory(make_app.clone()))
                    .finish(map_config(make_app(), |()| AppConfig::default()))
                    .tcp()
            })?;
        if let Some(n) = settings.workers {
            server = server.workers(n);
        }
        let mode = if routing_is_cluster {
            "cluster (external database, Redis routes, RabbitMQ pushes)"
        } else if settings.is_sqlite() {
            "embedded (SQLite, in-process routing)"
        } else {
            "single instance (external database, in-process routing)"
        };
        tracing::info!(%addr, data_dir = %settings.data_dir.display(), mode, "tidings listening on http://{addr} (WebSocket at ws://{addr}/ws)");
        let server = server.run();
        let drain = crate::drain::Shutdown {
            drain,
            hub: drain_hub,
            routes: routes_registry,
            server: server.handle(),
            timeout: settings.drain.timeout,
            // Only a process that owns its signals may end itself; an embedded server may not.
            exit_on_overrun: handle_signals,
            bus: drain_bus,
        };
        let trigger = Arc::new(tokio::sync::Notify::new());
        Ok(Self { port: addr.port(), server, drain, handle_signals, trigger })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Starts a graceful drain when notified, as SIGTERM does (without ending the process).
    pub fn drain_trigger(&self) -> Arc<tokio::sync::Notify> {
        self.trigger.clone()
    }

    /// Serves until stopped: by a handle, or (when built with signals) by SIGTERM/SIGINT, which
    /// drain the instance first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { server, drain: shutdown, handle_signals, trigger, .. } = self;
        tokio::pin!(server);
        tokio::select! {
            done = &mut server => return done,
            () = crate::drain::signalled(), if handle_signals => {}
            () = trigger.notified() => {}
        }
        // The drain stops the server; keep polling it meanwhile so it can shut down.
        let (done, ()) = tokio::join!(server, crate::drain::run(shutdown));
        done
    }
}

fn next_request_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The machine's cores (at least 1): the HTTP workers, the background runtime's threads and the
/// commit queue's default bound follow it.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Builds the tokio runtime the actix system runs on: multi-threaded, one thread per core (at
/// least two), so background work (commit pipeline stages, pushes, database hand-offs) is not
/// tied to one thread and can use every core the HTTP workers leave.
pub fn runtime_system() -> actix_web::rt::SystemRunner {
    actix_web::rt::System::with_tokio_rt(|| {
        #[allow(clippy::expect_used)] // start-up: without a runtime there is nothing to do
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores().max(2))
            .thread_name("tidings-bg")
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// A server running on its own thread with its own actix system, for tests and tools that
/// need a real server in-process on a real socket.
pub struct BackgroundServer {
    port: u16,
    handle: ServerHandle,
    trigger: Arc<tokio::sync::Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    /// Starts a server with `settings` (use `http_addr = "127.0.0.1:0"`) and waits until it listens.
    pub fn start(settings: Settings) -> anyhow::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("tidings-server".into()).spawn(move || {
            runtime_system().block_on(async move {
                match Application::build_with(settings, false).await {
                    Ok(app) => {
                        let _ = tx.send(Ok((app.port(), app.handle(), app.drain_trigger())));
                        if let Err(e) = app.run_until_stopped().await {
                            tracing::error!(error = %e, "server stopped with an error");
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })?;
        let (port, handle, trigger) = rx.recv().context("server thread died during start-up")??;
        Ok(Self { port, handle, trigger, thread: Some(thread) })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drains as on SIGTERM (clients told to reconnect, accepted sends acked, sockets closed with
    /// 1012, routes removed) and waits for the server thread to end.
    pub async fn drain(mut self) {
        self.trigger.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    /// Stops accepting, closes connections and waits for the server thread to end, so the
    /// data dir can be reopened by another server.
    pub async fn stop(mut self) {
        self.handle.stop(false).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for BackgroundServer {
    /// A server dropped without [`BackgroundServer::stop`] is told to stop (the command is sent
    /// at once; nobody waits for it), so its runtime, background tasks and database pool end with
    /// it instead of living until the process exits.
    fn drop(&mut self) {
        if self.thread.take().is_some() {
            drop(self.handle.stop(false));
        }
    }
}
