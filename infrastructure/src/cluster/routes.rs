//! Device routes in Redis: `route:{user}` is a hash `device_id -> instance_id` with a TTL that
//! the owning instance refreshes. Lookups for many users are one pipelined round trip.

use std::collections::HashMap;

use super::redis::RedisPool;
use async_trait::async_trait;
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
/// have reconnected elsewhere). Returns the user's remaining devices, or -1 if nothing was removed.
const REMOVE_IF_OURS: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return redis.call('HLEN', KEYS[1])
end
return -1";

/// Writes a device's route; returns whether the device is new and the user's device count
/// (in one script, so two devices connecting at once cannot both see themselves as first).
const ADD_ROUTE: &str = r"
local new = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
return {new, redis.call('HLEN', KEYS[1])}";

/// Routes of this instance's devices, and lookups of everyone's.
pub struct RedisRoutes {
    pool: RedisPool,
    keys: RedisKeys,
    instance: String,
    ttl_secs: u64,
    remove_if_ours: Script,
    add_route: Script,
}

impl RedisRoutes {
    /// Routes written as `instance`, expiring after `ttl_secs` without a refresh.
    pub fn new(pool: RedisPool, keys: RedisKeys, instance: String, ttl_secs: u64) -> Self {
        Self {
            pool,
            keys,
            instance,
            ttl_secs: ttl_secs.max(1),
            remove_if_ours: Script::new(REMOVE_IF_OURS),
            add_route: Script::new(ADD_ROUTE),
        }
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
        let found: Vec<HashMap<String, String>> = super::stats::REDIS
            .time(async {
                let mut conn = self.pool.get().await.map_err(redis_err)?;
                pipe.query_async(&mut conn).await.map_err(redis_err)
            })
            .await?;
        Ok(users
            .iter()
            .zip(found)
            .flat_map(|(user, devices)| {
                devices.into_iter().map(move |(device, instance)| (user.clone(), device, instance))
            })
            .collect())
    }

    /// Records how many devices this instance holds (kept for one route TTL).
    pub async fn report_devices(&self, count: usize) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(self.keys.instance_devices(&self.instance))
            .arg(count)
            .arg("EX")
            .arg(self.ttl_secs)
            .ignore();
        pipe.cmd("ZADD").arg(self.keys.instances()).arg(now_ms()).arg(&self.instance).ignore();
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
    }

    /// Instances that reported within one route TTL (for broadcasts such as presence changes).
    pub async fn live_instances(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let fresh_after = now_ms() - i64::try_from(self.ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
        redis::cmd("ZRANGEBYSCORE")
            .arg(self.keys.instances())
            .arg(fresh_after)
            .arg("+inf")
            .query_async(&mut conn)
            .await
            .map_err(redis_err)
    }

    /// Devices connected to the cluster: the sum of the counts instances reported within one
    /// route TTL (an instance that stopped reporting drops out once its count expires).
    pub async fn cluster_devices(&self) -> Result<u64, StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let stale_before = now_ms() - i64::try_from(self.ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
        let instances: Vec<String> = redis::pipe()
            .cmd("ZREMRANGEBYSCORE")
            .arg(self.keys.instances())
            .arg("-inf")
            .arg(stale_before)
            .ignore()
            .cmd("ZRANGE")
            .arg(self.keys.instances())
            .arg(0)
            .arg(-1)
            .query_async::<(Vec<String>,)>(&mut conn)
            .await
            .map_err(redis_err)?
            .0;
        if instances.is_empty() {
            return Ok(0);
        }
        let keys: Vec<String> = instances.iter().map(|i| self.keys.instance_devices(i)).collect();
        let counts: Vec<Option<u64>> = redis::cmd("MGET").arg(keys).query_async(&mut conn).await.map_err(redis_err)?;
        Ok(counts.into_iter().flatten().sum())
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

    async fn online_devices(&self, user: &UserId) -> Result<Vec<DeviceId>, StoreError> {
        Ok(self.lookup(std::slice::from_ref(user)).await?.into_iter().map(|(_, d, _)| DeviceId::new(d)).collect())
    }
}

#[async_trait]
impl RouteRegistry for RedisRoutes {
    async fn connected(&self, user: &UserId, device: &DeviceId) -> bool {
        let result: Result<(i64, i64), StoreError> = async {
            let mut conn = self.pool.get().await.map_err(redis_err)?;
            self.add_route
                .key(self.keys.route(user))
                .key(self.keys.last_active(user))
                .arg(device.as_str())
                .arg(&self.instance)
                .arg(self.ttl_secs)
                .arg(now_ms())
                .arg(LAST_ACTIVE_TTL_SECS)
                .invoke_async(&mut conn)
                .await
                .map_err(redis_err)
        }
        .await;
        match result {
            Ok((new, devices)) => new == 1 && devices == 1,
            Err(e) => {
                tracing::warn!(error = %e, %user, "could not write route; pushes to this device wait for the next refresh");
                false
            }
        }
    }

    async fn disconnected(&self, user: &UserId, device: &DeviceId) -> bool {
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
        let offline = match result {
            Ok(left) => left == 0,
            Err(e) => {
                tracing::warn!(error = %e, %user, "could not remove route; it expires by itself");
                false
            }
        };
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
        offline
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
