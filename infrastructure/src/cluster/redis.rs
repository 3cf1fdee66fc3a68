//! The Redis pool and the key layout. Every key starts with a configurable prefix so several
//! deployments (or test runs) can share one Redis without touching each other's keys.

use deadpool_redis::{Config, Pool, Runtime};
use tidings_domain::{ConvId, StoreError, UserId};

/// Opens a pool and checks that Redis answers.
pub async fn connect_redis(url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let mut cfg = Config::from_url(url);
    cfg.pool = Some(deadpool_redis::PoolConfig::new(max_size.max(1)));
    let pool =
        cfg.create_pool(Some(Runtime::Tokio1)).map_err(|e| StoreError::Unavailable(format!("redis pool: {e}")))?;
    let mut conn = pool.get().await.map_err(|e| StoreError::Unavailable(format!("redis: {e}")))?;
    let _: String = deadpool_redis::redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .map_err(|e| StoreError::Unavailable(format!("redis ping: {e}")))?;
    Ok(pool)
}

/// Key names under one prefix.
#[derive(Debug, Clone)]
pub struct RedisKeys {
    prefix: String,
}

impl RedisKeys {
    /// Keys starting with `prefix` (e.g. `tidings:`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    /// Hash `device_id -> instance_id` of a user's connected devices.
    pub fn route(&self, user: &UserId) -> String {
        format!("{}route:{user}", self.prefix)
    }

    /// When a user was last active (ms).
    pub fn last_active(&self, user: &UserId) -> String {
        format!("{}last_active:{user}", self.prefix)
    }

    /// A recent commit of `(sender, client_msg_id)`.
    pub fn dedupe(&self, sender: &UserId, client_msg_id: &str) -> String {
        format!("{}dedupe:{sender}:{client_msg_id}", self.prefix)
    }

    /// A rate limiter's state for one caller.
    pub fn rate(&self, key: &str) -> String {
        format!("{}rate:{key}", self.prefix)
    }

    /// Sorted set of instances by when they last reported their device count (ms).
    pub fn instances(&self) -> String {
        format!("{}instances", self.prefix)
    }

    /// How many devices one instance holds (with a TTL, refreshed with its routes).
    pub fn instance_devices(&self, instance: &str) -> String {
        format!("{}devices:{instance}", self.prefix)
    }

    /// The cluster's direct-message gate epoch.
    pub fn gate_epoch(&self) -> String {
        format!("{}gate_epoch", self.prefix)
    }

    /// A conversation's last allocated seq.
    pub fn seq(&self, conv: &ConvId) -> String {
        format!("{}seq:{conv}", self.prefix)
    }
}

/// Maps a Redis failure to the domain's terms.
pub(crate) fn redis_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}
