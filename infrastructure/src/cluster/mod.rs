//! Cluster mode: Redis holds device routes and seq counters, RabbitMQ carries pushes between
//! instances (one queue per instance). Everything here is a hint or a cache: the message log in
//! the database stays the only source of truth, so losing Redis or the broker loses no message.

mod bus;
mod dedupe;
mod directory;
mod envelope;
mod epoch;
mod known;
mod notifier;
mod order;
mod rate;
mod redis;
mod registry;
mod route_cache;
mod routes;
mod seq;
mod silence;
pub mod stats;

pub use bus::{AmqpBus, AmqpOptions};
pub use dedupe::RedisDedupeCache;
pub use directory::RedisDirectory;
pub use epoch::RedisGateEpoch;
pub use notifier::ClusterNotifier;
pub use order::{PushOrder, PushOrderCounts};
pub use rate::RedisRateLimiter;
pub use redis::{RedisKeys, RedisPool, connect_redis};
pub use registry::ClusterRegistry;
pub use route_cache::{RouteCache, RouteCacheEvictor};
pub use routes::{Claim, RedisRoutes};
pub use seq::RedisSeqAllocator;
