//! How deliveries, seq numbers, dedupe, rate limits and routes work in this mode: all in
//! process (embedded), or Redis and RabbitMQ shared by the instances (cluster).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tidings_domain::StoreError;
use tidings_domain::admin::OnlineCounter;
use tidings_domain::ports::{
    ChangeCounter, DedupeCache, GateEpoch, LocalDelivery, MessageStore, Notifier, PresenceReader, RateLimiter,
    RouteRegistry, SeqAllocator,
};
use tidings_infrastructure::cluster::{
    AmqpBus, AmqpOptions, ClusterNotifier, ClusterRegistry, PushOrder, RedisDedupeCache, RedisGateEpoch, RedisKeys,
    RedisPool, RedisRateLimiter, RedisRoutes, RedisSeqAllocator, RouteCache, RouteCacheEvictor, connect_redis,
};
use tidings_infrastructure::memory::{
    LocalNotifier, MemoryChangeCounter, MemoryDedupeCache, MemoryGateEpoch, MemoryRateLimiter, MemorySeqAllocator,
};

use crate::settings::Settings;
use crate::ws::hub::Hub;

/// Recent commits remembered in memory for answering retries (embedded mode).
const DEDUPE_CACHE_ENTRIES: usize = 100_000;

/// How deliveries, seqs and routes work in this mode.
pub(super) struct Routing {
    pub(super) notifier: Arc<dyn Notifier>,
    pub(super) seqs: Arc<dyn SeqAllocator>,
    pub(super) dedupe: Arc<dyn DedupeCache>,
    pub(super) limiter: Arc<dyn RateLimiter>,
    pub(super) gate_epoch: Arc<dyn GateEpoch>,
    pub(super) routes: Option<Arc<RedisRoutes>>,
    pub(super) registry: Option<Arc<dyn RouteRegistry>>,
    pub(super) push_order: Option<Arc<PushOrder>>,
    pub(super) presence: Arc<dyn PresenceReader>,
    pub(super) changes: Arc<dyn ChangeCounter>,
    pub(super) redis: Option<RedisPool>,
    pub(super) bus: Option<AmqpBus>,
}

/// Embedded: everything in process. Cluster: Redis routes and counters, RabbitMQ pushes.
pub(super) async fn start(
    settings: &Settings,
    hub: Arc<Hub>,
    messages: Arc<dyn MessageStore>,
) -> anyhow::Result<Routing> {
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
    let cache = RouteCache::new(c.route_cache_size, c.route_cache_ttl);
    let routes = Arc::new(
        RedisRoutes::new(pool.clone(), keys.clone(), instance.clone(), c.route_ttl.as_secs()).with_cache(cache.clone()),
    );
    let push_order = (!c.push_order_wait.is_zero()).then(|| PushOrder::start(hub.clone(), c.push_order_wait));
    let mut local: Arc<dyn LocalDelivery> = match &push_order {
        Some(order) => order.clone(),
        None => hub,
    };
    if let Some(cache) = cache {
        local = Arc::new(RouteCacheEvictor::new(cache, local));
    }
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
pub(super) fn spawn_route_refresh(
    routes: Arc<RedisRoutes>,
    registry: Arc<dyn RouteRegistry>,
    hub: Arc<Hub>,
    ttl: Duration,
) {
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
                // Cached routes may name instances the devices have left since (their moves'
                // announcements went to an empty instance list).
                if let Some(cache) = routes.cache() {
                    cache.clear();
                }
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
pub(super) struct ClusterOnline {
    pub(super) routes: Arc<RedisRoutes>,
    pub(super) hub: Arc<Hub>,
}

#[async_trait::async_trait]
impl OnlineCounter for ClusterOnline {
    async fn online_devices(&self) -> Result<u64, StoreError> {
        self.routes.report_devices(self.hub.device_count()).await?;
        self.routes.cluster_devices().await
    }
}
