//! The cluster's [`InstanceDirectory`] in Redis: each instance's entry is a JSON string
//! `node:{id}` that expires unless its heartbeat writes it again, listed in the sorted set
//! `nodes` by heartbeat time; its connection count is the key the route keeper already writes
//! (`devices:{id}`), updated between heartbeats too. A killed instance drops out when its entry
//! expires; a draining one deletes its entry at once.

use async_trait::async_trait;
use deadpool_redis::redis;
use tidings_domain::StoreError;
use tidings_domain::discovery::InstanceInfo;
use tidings_domain::ports::InstanceDirectory;
use tidings_domain::{Clock as _, SystemClock};

use super::redis::{RedisKeys, RedisPool, redis_err};

/// Instance entries in Redis with a TTL.
pub struct RedisDirectory {
    pool: RedisPool,
    keys: RedisKeys,
    ttl_secs: u64,
}

impl RedisDirectory {
    /// Entries in `pool` under `keys`, each alive for `ttl_secs` after its last heartbeat.
    pub fn new(pool: RedisPool, keys: RedisKeys, ttl_secs: u64) -> Self {
        Self { pool, keys, ttl_secs: ttl_secs.max(1) }
    }
}

#[async_trait]
impl InstanceDirectory for RedisDirectory {
    async fn announce(&self, me: &InstanceInfo) -> Result<(), StoreError> {
        let entry = serde_json::to_string(me).map_err(|e| StoreError::Other(format!("instance entry: {e}")))?;
        let mut pipe = redis::pipe();
        pipe.cmd("SET").arg(self.keys.node(&me.id)).arg(entry).arg("EX").arg(self.ttl_secs).ignore();
        pipe.cmd("ZADD").arg(self.keys.nodes()).arg(SystemClock.now_ms()).arg(&me.id).ignore();
        pipe.cmd("SET")
            .arg(self.keys.instance_devices(&me.id))
            .arg(me.connections)
            .arg("EX")
            .arg(self.ttl_secs)
            .ignore();
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
    }

    async fn count_connections(&self, id: &str, connections: u64) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        redis::cmd("SET")
            .arg(self.keys.instance_devices(id))
            .arg(connections)
            .arg("EX")
            .arg(self.ttl_secs)
            .query_async::<()>(&mut conn)
            .await
            .map_err(redis_err)
    }

    async fn withdraw(&self, id: &str) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(self.keys.node(id)).ignore();
        pipe.cmd("ZREM").arg(self.keys.nodes()).arg(id).ignore();
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
    }

    async fn instances(&self) -> Result<Vec<InstanceInfo>, StoreError> {
        let stale_before = SystemClock.now_ms() - i64::try_from(self.ttl_secs * 1000).unwrap_or(i64::MAX / 2);
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let (ids,): (Vec<String>,) = redis::pipe()
            .cmd("ZREMRANGEBYSCORE")
            .arg(self.keys.nodes())
            .arg("-inf")
            .arg(stale_before)
            .ignore()
            .cmd("ZRANGE")
            .arg(self.keys.nodes())
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let entries: Vec<String> = ids.iter().map(|id| self.keys.node(id)).collect();
        let counts: Vec<String> = ids.iter().map(|id| self.keys.instance_devices(id)).collect();
        let (entries, counts): (Vec<Option<String>>, Vec<Option<u64>>) = redis::pipe()
            .cmd("MGET")
            .arg(entries)
            .cmd("MGET")
            .arg(counts)
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        Ok(entries
            .into_iter()
            .zip(counts)
            .filter_map(|(entry, count)| {
                let mut info: InstanceInfo = serde_json::from_str(&entry?)
                    .inspect_err(|e| tracing::warn!(error = %e, "an instance entry in Redis does not parse; skipped"))
                    .ok()?;
                info.connections = count.unwrap_or(info.connections);
                Some(info)
            })
            .collect())
    }
}
