//! `[cluster]`: how an instance uses Redis and RabbitMQ in cluster mode (whether it is in one
//! is decided by the root keys, see `Settings::check_cluster_mode`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::{millis, secs, whole_seconds};
use super::{Key, SettingsError};

/// Cluster mode: several instances sharing a MySQL-compatible database, Redis and RabbitMQ.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    /// Prefix of every Redis key, so deployments can share a Redis.
    pub redis_prefix: String,
    /// Prefix of the RabbitMQ exchange and queue names (empty: `tidings.push`, `tidings.instance.{id}`).
    pub amqp_prefix: String,
    /// How long a device route lives in Redis without a refresh (refreshed every third of it;
    /// whole seconds, as Redis TTLs are).
    #[serde(with = "secs")]
    pub route_ttl: Duration,
    /// Redis connections per instance (each multiplexed: many requests in flight at once;
    /// at most 8 are used).
    pub redis_pool_size: usize,
    /// Pushes the broker may hand this instance before it acknowledges them.
    pub amqp_prefetch: u16,
    /// How long to wait for Redis and RabbitMQ at start before giving up.
    #[serde(with = "secs")]
    pub connect_timeout: Duration,
    /// How long a message push that arrived ahead of a gap in its conversation's seqs waits for
    /// the missing ones before it goes out anyway (pushes committed on different instances can
    /// cross on the way); zero pushes everything as it arrives.
    #[serde(with = "millis")]
    pub push_order_wait: Duration,
    /// How long Redis or the broker link may stay silent while a call or push publish on the
    /// message path waits (see docs/operations.md for what happens past it).
    #[serde(with = "millis")]
    pub dependency_timeout: Duration,
    /// Users whose routes each instance keeps in memory in front of Redis (0: none, the
    /// default until the gap after Redis loses its state is closed: docs/operations.md).
    pub route_cache_size: u64,
    /// How long a cached route is trusted at most (moves are announced sooner; this bounds
    /// what an announcement that never came leaves behind).
    #[serde(with = "millis")]
    pub route_cache_ttl: Duration,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        Self {
            redis_prefix: "tidings:".into(),
            amqp_prefix: String::new(),
            route_ttl: Duration::from_secs(60),
            redis_pool_size: 4,
            amqp_prefetch: 256,
            connect_timeout: Duration::from_secs(10),
            push_order_wait: Duration::from_secs(1),
            dependency_timeout: Duration::from_millis(250),
            route_cache_size: 0,
            route_cache_ttl: Duration::from_secs(2),
        }
    }
}

impl ClusterSettings {
    /// Routes outlive three refresh rounds of a second; pools and prefetch are not empty; the
    /// silence bound is between a millisecond and a minute.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        whole_seconds("cluster.route_ttl", self.route_ttl)?;
        if self.route_ttl < Duration::from_secs(3) || self.redis_pool_size == 0 || self.amqp_prefetch == 0 {
            return Err(SettingsError::new(
                "cluster.route_ttl must be >= 3s, cluster.redis_pool_size and cluster.amqp_prefetch > 0",
            ));
        }
        if !(Duration::from_millis(1)..=Duration::from_secs(60)).contains(&self.dependency_timeout) {
            return Err(SettingsError::new("cluster.dependency_timeout must be 1ms..=60s"));
        }
        Ok(())
    }
}

/// `[cluster]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("redis_prefix", "prefix of every Redis key"),
    Key::new("amqp_prefix", "prefix of the exchange and queue names"),
    Key::new("route_ttl", "a device route's life in Redis (re-written every third of it)").was("route_ttl_secs"),
    Key::new("redis_pool_size", "Redis connections per instance (at most 8 are used)"),
    Key::new("amqp_prefetch", "unacknowledged pushes the broker may hand an instance"),
    Key::new("connect_timeout", "how long start-up waits for Redis and RabbitMQ").was("connect_timeout_secs"),
    Key::new("push_order_wait", "how long a push ahead of a seq gap waits for it (0s: push as they arrive)")
        .was("push_order_wait_ms"),
    Key::new("dependency_timeout", "longest silence of Redis or the broker a call or push publish waits through")
        .was("dependency_timeout_ms"),
    Key::new("route_cache_size", "users whose routes an instance caches in front of Redis (0: no cache)"),
    Key::new("route_cache_ttl", "longest a cached route is trusted (moves are announced sooner)"),
];
