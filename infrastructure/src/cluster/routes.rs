//! Device routes in Redis: `route:{user}` is a hash `device_id -> instance_id` with a TTL that
//! the owning instance refreshes. Lookups for many users are one pipelined round trip.

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_redis::Pool;
use deadpool_redis::redis::{self, Script};
use tidings_domain::ports::{PresenceReader, RouteRegistry};
use tidings_domain::presence::PresenceStatus;
use tidings_domain::{DeviceId, StoreError, UserId};

use super::redis::{RedisKeys, redis_err};

/// How long a user's last-activity time is kept.
const LAST_ACTIVE_TTL_SECS: u64 = 90 * 24 * 3600;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Removes a device's route only if it still points at this instance (the device may already
/// have reconnected elsewhere).
const REMOVE_IF_OURS: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0";

/// Routes of this instance's devices, and lookups of everyone's.
pub struct RedisRoutes {
    pool: Pool,
    keys: RedisKeys,
    instance: String,
    ttl_secs: u64,
    remove_if_ours: Script,
}

impl RedisRoutes {
    /// Routes written as `instance`, expiring after `ttl_secs` without a refresh.
    pub fn new(pool: Pool, keys: RedisKeys, instance: String, ttl_secs: u64) -> Self {
        Self { pool, keys, instance, ttl_secs: ttl_secs.max(1), remove_if_ours: Script::new(REMOVE_IF_OURS) }
    }

    /// The instance this registry writes as.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// For each user, their connected devices and the instance holding each.
    pub async fn lookup(&self, users: &[UserId]) -> Result<Vec<(UserId, String, String)>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for user in users {
            pipe.cmd("HGETALL").arg(self.keys.route(user));
        }
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let found: Vec<HashMap<String, String>> = pipe.query_async(&mut conn).await.map_err(redis_err)?;
        Ok(users
            .iter()
            .zip(found)
            .flat_map(|(user, devices)| {
                devices.into_iter().map(move |(device, instance)| (user.clone(), device, instance))
            })
            .collect())
    }

    async fn write(&self, devices: &[(UserId, DeviceId)]) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        let now = now_ms();
        for (user, device) in devices {
            let key = self.keys.route(user);
            pipe.cmd("HSET").arg(&key).arg(device.as_str()).arg(&self.instance).ignore();
            pipe.cmd("EXPIRE").arg(&key).arg(self.ttl_secs).ignore();
            pipe.cmd("SET").arg(self.keys.last_active(user)).arg(now).arg("EX").arg(LAST_ACTIVE_TTL_SECS).ignore();
        }
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
    }
}

#[async_trait]
impl PresenceReader for RedisRoutes {
    async fn presence(&self, users: &[UserId], now_ms: i64) -> Result<Vec<PresenceStatus>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for user in users {
            pipe.cmd("HLEN").arg(self.keys.route(user));
            pipe.cmd("GET").arg(self.keys.last_active(user));
        }
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let answers: Vec<redis::Value> = pipe.query_async(&mut conn).await.map_err(redis_err)?;
        Ok(answers
            .chunks(2)
            .map(|pair| {
                let online = matches!(pair.first(), Some(redis::Value::Int(n)) if *n > 0);
                let seen = match pair.get(1) {
                    Some(redis::Value::BulkString(b)) => {
                        std::str::from_utf8(b).ok().and_then(|s| s.parse::<i64>().ok())
                    }
                    _ => None,
                };
                PresenceStatus { online, last_active_at: if online { Some(now_ms) } else { seen } }
            })
            .collect())
    }
}

#[async_trait]
impl RouteRegistry for RedisRoutes {
    async fn connected(&self, user: &UserId, device: &DeviceId) {
        if let Err(e) = self.write(&[(user.clone(), device.clone())]).await {
            tracing::warn!(error = %e, %user, "could not write route; pushes to this device wait for the next refresh");
        }
    }

    async fn disconnected(&self, user: &UserId, device: &DeviceId) {
        let result: Result<i64, StoreError> = async {
            let mut conn = self.pool.get().await.map_err(redis_err)?;
            self.remove_if_ours
                .key(self.keys.route(user))
                .arg(device.as_str())
                .arg(&self.instance)
                .invoke_async(&mut conn)
                .await
                .map_err(redis_err)
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, %user, "could not remove route; it expires by itself");
        }
        if let Ok(mut conn) = self.pool.get().await {
            let set: Result<(), _> = redis::cmd("SET")
                .arg(self.keys.last_active(user))
                .arg(now_ms())
                .arg("EX")
                .arg(LAST_ACTIVE_TTL_SECS)
                .query_async(&mut conn)
                .await;
            if let Err(e) = set {
                tracing::debug!(error = %e, "could not record last activity");
            }
        }
    }

    async fn refresh(&self, devices: &[(UserId, DeviceId)]) {
        for chunk in devices.chunks(500) {
            if let Err(e) = self.write(chunk).await {
                tracing::warn!(error = %e, "route refresh failed; will retry");
                return;
            }
        }
    }
}
