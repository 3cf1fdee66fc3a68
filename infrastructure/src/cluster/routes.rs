//! Device routes in Redis: `route:{user}` is a hash `device_id -> instance@connection` with a TTL
//! that the owning instance refreshes. Each route names the connection that wrote it: only that
//! connection refreshes or deletes it, and a newer connection of the device takes it over, so a
//! stale socket (a paused instance, a half-open link) can neither overwrite nor delete the route
//! of the device's live connection. Lookups for many users are one pipelined round trip.

use std::collections::HashMap;
use std::sync::Arc;

use super::redis::RedisPool;
use async_trait::async_trait;
use deadpool_redis::redis::{self, Script};
use tidings_domain::ports::{ChangeCounter, PresenceReader, RouteOwner};
use tidings_domain::presence::PresenceStatus;
use tidings_domain::{Clock as _, SystemClock};
use tidings_domain::{DeviceId, StoreError, UserId};

use super::redis::{RedisKeys, redis_err};
use super::route_cache::RouteCache;

/// How long a user's change counter is kept after its last move (a counter that expired starts
/// again from nothing: a device sees it move and syncs once).
const CHANGES_TTL_SECS: u64 = 7 * 24 * 3600;

/// How long an instance's lost-state marker lives.
const MARKER_TTL_SECS: u64 = 24 * 3600;

/// How long a user's last-activity time is kept.
const LAST_ACTIVE_TTL_SECS: u64 = 90 * 24 * 3600;

/// Removes a device's route only if the connection that is ending still owns it (the device
/// may have connected again, here or elsewhere). Returns the user's remaining devices, or -1 if
/// nothing was removed.
const REMOVE_IF_OWNED: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return redis.call('HLEN', KEYS[1])
end
return -1";

/// Claims a device's route for a new connection unless a newer connection already holds it.
/// Returns `{written (1 new field, 0 replaced, -1 refused), the user's device count, the value
/// replaced or ''}`, in one script so two devices connecting at once cannot both see
/// themselves as first.
const CLAIM_ROUTE: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and old ~= ARGV[2] then
  local since = tonumber(string.match(old, '@(%d+)%.') or '0')
  if since > tonumber(ARGV[6]) then return {-1, redis.call('HLEN', KEYS[1]), old} end
end
local new = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
return {new, redis.call('HLEN', KEYS[1]), old or ''}";

/// Re-asserts many routes at once: `KEYS[i]` is the route hash of device i, `ARGV[1]` the TTL,
/// then `device, value, since` per device. A route a newer connection holds is left alone and
/// its index returned (the connection here is stale); a missing one is written again.
const REFRESH_ROUTES: &str = r"
local stale = {}
for i, key in ipairs(KEYS) do
  local device, value, since = ARGV[3 * i - 1], ARGV[3 * i], tonumber(ARGV[3 * i + 1])
  local old = redis.call('HGET', key, device)
  local newer = false
  if old and old ~= value then
    newer = tonumber(string.match(old, '@(%d+)%.') or '0') > since
  end
  if newer then
    stale[#stale + 1] = i
  else
    redis.call('HSET', key, device, value)
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return stale";

/// A route's value: the instance, then the owning connection (`instance@since_us.conn`).
/// Lookups read only the instance; claims and deletes compare the whole value.
fn route_value(instance: &str, owner: RouteOwner) -> String {
    format!("{instance}@{}.{}", owner.since_us, owner.conn)
}

/// The instance a route's value names (a value without an owner is an instance alone).
fn route_instance(value: &str) -> &str {
    value.split_once('@').map_or(value, |(instance, _)| instance)
}

/// What claiming a route found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The device is the user's only one connected anywhere now (the user came online).
    pub came_online: bool,
    /// The instance whose older connection of this device lost the route, if another one.
    pub replaced_on: Option<String>,
}

/// Routes of this instance's devices, and lookups of everyone's.
pub struct RedisRoutes {
    pool: RedisPool,
    keys: RedisKeys,
    instance: String,
    ttl_secs: u64,
    cache: Option<Arc<RouteCache>>,
    remove_if_owned: Script,
    claim_route: Script,
    refresh_routes: Script,
}

impl RedisRoutes {
    /// Routes written as `instance`, expiring after `ttl_secs` without a refresh.
    pub fn new(pool: RedisPool, keys: RedisKeys, instance: String, ttl_secs: u64) -> Self {
        Self {
            pool,
            keys,
            instance,
            ttl_secs: ttl_secs.max(1),
            cache: None,
            remove_if_owned: Script::new(REMOVE_IF_OWNED),
            claim_route: Script::new(CLAIM_ROUTE),
            refresh_routes: Script::new(REFRESH_ROUTES),
        }
    }

    /// Looks routes up through `cache` first (see [`RouteCache`]).
    pub fn with_cache(mut self, cache: Option<Arc<RouteCache>>) -> Self {
        self.cache = cache;
        self
    }

    /// The route cache, if there is one.
    pub fn cache(&self) -> Option<&Arc<RouteCache>> {
        self.cache.as_ref()
    }

    /// The instance this registry writes as.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// For each user, their connected devices and the instance holding each: from the route
    /// cache where it has them, the rest from Redis (and then cached).
    pub async fn lookup(&self, users: &[UserId]) -> Result<Vec<(UserId, String, String)>, StoreError> {
        let Some(cache) = &self.cache else { return self.lookup_in_redis(users).await };
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for user in users {
            match cache.get(user) {
                Some(routes) => found.extend(routes.iter().map(|(d, i)| (user.clone(), d.clone(), i.clone()))),
                None => missing.push(user.clone()),
            }
        }
        let fetched = self.lookup_in_redis(&missing).await?;
        let mut per_user: HashMap<&UserId, Vec<(String, String)>> = HashMap::new();
        for (user, device, instance) in &fetched {
            per_user.entry(user).or_default().push((device.clone(), instance.clone()));
        }
        per_user.into_iter().for_each(|(user, routes)| cache.put(user.clone(), routes));
        found.extend(fetched);
        Ok(found)
    }

    /// [`RedisRoutes::lookup`] without the cache: one pipelined round trip.
    async fn lookup_in_redis(&self, users: &[UserId]) -> Result<Vec<(UserId, String, String)>, StoreError> {
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
                devices
                    .into_iter()
                    .map(move |(device, value)| (user.clone(), device, route_instance(&value).to_owned()))
            })
            .collect())
    }

    /// Moves each user's change counter by their count (one pipelined round trip).
    pub async fn count_changes(&self, changes: &[(UserId, u64)]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (user, n) in changes {
            let key = self.keys.changes(user);
            pipe.cmd("INCRBY").arg(&key).arg(*n).ignore();
            pipe.cmd("EXPIRE").arg(&key).arg(CHANGES_TTL_SECS).ignore();
        }
        super::stats::REDIS
            .time(async {
                let mut conn = self.pool.get().await.map_err(redis_err)?;
                pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
            })
            .await
    }

    /// Whether Redis lost the cluster's state since the last call (flushed, restarted empty, or
    /// failed over to an empty replica): this instance's marker key is set again when missing.
    /// The first call of an instance also answers true, and so does the first call after the
    /// marker expired (once a day: a spare refresh, so markers of instances gone for good do not
    /// pile up).
    pub async fn state_lost(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let set: Option<String> = redis::cmd("SET")
            .arg(self.keys.marker(&self.instance))
            .arg(SystemClock.now_ms())
            .arg("NX")
            .arg("EX")
            .arg(MARKER_TTL_SECS)
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        Ok(set.is_some())
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
        pipe.cmd("ZADD").arg(self.keys.instances()).arg(SystemClock.now_ms()).arg(&self.instance).ignore();
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
    }

    /// Instances that reported within one route TTL (for broadcasts such as presence changes).
    pub async fn live_instances(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let fresh_after =
            SystemClock.now_ms() - i64::try_from(self.ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
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
        let stale_before =
            SystemClock.now_ms() - i64::try_from(self.ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
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

    /// Claims the route of `device` for connection `owner` here.
    pub async fn claim(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> Result<Claim, StoreError> {
        self.forget_cached(user);
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let (written, devices, old): (i64, i64, String) = self
            .claim_route
            .key(self.keys.route(user))
            .key(self.keys.last_active(user))
            .arg(device.as_str())
            .arg(route_value(&self.instance, owner))
            .arg(self.ttl_secs)
            .arg(SystemClock.now_ms())
            .arg(LAST_ACTIVE_TTL_SECS)
            .arg(owner.since_us)
            .invoke_async(&mut conn)
            .await
            .map_err(redis_err)?;
        if written < 0 {
            tracing::info!(%user, %device, newer = %old, "a newer connection of this device holds its route");
        }
        let replaced_on = (written == 0 && !old.is_empty() && route_instance(&old) != self.instance)
            .then(|| route_instance(&old).to_owned());
        Ok(Claim { came_online: written == 1 && devices == 1, replaced_on })
    }

    /// Removes the route of `device` if connection `owner` still holds it. Returns whether the
    /// user has no device left anywhere.
    pub async fn release(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> Result<bool, StoreError> {
        self.forget_cached(user);
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let left: i64 = self
            .remove_if_owned
            .key(self.keys.route(user))
            .arg(device.as_str())
            .arg(route_value(&self.instance, owner))
            .invoke_async(&mut conn)
            .await
            .map_err(redis_err)?;
        let _: Result<(), _> = redis::cmd("SET")
            .arg(self.keys.last_active(user))
            .arg(SystemClock.now_ms())
            .arg("EX")
            .arg(LAST_ACTIVE_TTL_SECS)
            .query_async(&mut conn)
            .await;
        Ok(left == 0)
    }

    /// Drops `user` from the route cache here (their routes are changing through this instance).
    pub fn forget_cached(&self, user: &UserId) {
        if let Some(cache) = &self.cache {
            cache.forget(std::slice::from_ref(user));
        }
    }

    /// Re-asserts the routes of the connections here, 500 per round trip; returns those a newer
    /// connection of the same device holds (stale here).
    pub async fn refresh_owned(
        &self,
        devices: &[(UserId, DeviceId, RouteOwner)],
    ) -> Result<Vec<(UserId, DeviceId, RouteOwner)>, StoreError> {
        let mut stale = Vec::new();
        for chunk in devices.chunks(500) {
            let mut call = self.refresh_routes.prepare_invoke();
            call.arg(self.ttl_secs);
            for (user, device, owner) in chunk {
                call.key(self.keys.route(user));
                call.arg(device.as_str()).arg(route_value(&self.instance, *owner)).arg(owner.since_us);
            }
            let mut conn = self.pool.get().await.map_err(redis_err)?;
            let found: Vec<usize> = call.invoke_async(&mut conn).await.map_err(redis_err)?;
            stale.extend(found.into_iter().filter_map(|i| chunk.get(i.wrapping_sub(1)).cloned()));
            let mut pipe = redis::pipe();
            let now = SystemClock.now_ms();
            for (user, _, _) in chunk {
                pipe.cmd("SET").arg(self.keys.last_active(user)).arg(now).arg("EX").arg(LAST_ACTIVE_TTL_SECS).ignore();
            }
            pipe.query_async::<()>(&mut conn).await.map_err(redis_err)?;
        }
        Ok(stale)
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
impl ChangeCounter for RedisRoutes {
    async fn current(&self, user: &UserId) -> Result<u64, StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let n: Option<u64> =
            redis::cmd("GET").arg(self.keys.changes(user)).query_async(&mut conn).await.map_err(redis_err)?;
        Ok(n.unwrap_or(0))
    }
}
