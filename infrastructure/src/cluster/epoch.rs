//! The cluster [`GateEpoch`]: one counter in Redis (`gate_epoch`), `INCR`ed after each gate
//! write. Reads are coalesced: callers that arrive while a `GET` is on its way wait for the next
//! one, which starts after they arrived (so it sees every bump that finished before them), and
//! share it. Under load that is one round trip for many sends instead of one each.

use std::sync::atomic::{AtomicU64, Ordering};

use super::redis::RedisPool;
use async_trait::async_trait;
use deadpool_redis::redis;
use tidings_domain::StoreError;
use tidings_domain::ports::GateEpoch;
use tokio::sync::Mutex;

use super::redis::{RedisKeys, redis_err};

/// The outcome of the newest finished read.
struct Reading {
    /// Which read it was (1, 2, ...; 0 before the first).
    round: u64,
    value: Result<u64, String>,
}

/// The cluster-wide epoch.
pub struct RedisGateEpoch {
    pool: RedisPool,
    key: String,
    /// Reads started so far.
    started: AtomicU64,
    /// The newest finished read; held while a read is on its way, so one runs at a time.
    latest: Mutex<Reading>,
}

impl RedisGateEpoch {
    /// The epoch under `keys`' prefix.
    pub fn new(pool: RedisPool, keys: &RedisKeys) -> Self {
        Self {
            pool,
            key: keys.gate_epoch(),
            started: AtomicU64::new(0),
            latest: Mutex::new(Reading { round: 0, value: Ok(0) }),
        }
    }

    async fn read(&self) -> Result<u64, String> {
        let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
        let value: Option<u64> =
            redis::cmd("GET").arg(&self.key).query_async(&mut conn).await.map_err(|e| e.to_string())?;
        Ok(value.unwrap_or(0))
    }
}

#[async_trait]
impl GateEpoch for RedisGateEpoch {
    async fn current(&self) -> Result<u64, StoreError> {
        // Any read numbered `needed` or later starts after this point.
        let needed = self.started.load(Ordering::Acquire) + 1;
        let mut latest = self.latest.lock().await;
        if latest.round < needed {
            let round = self.started.fetch_add(1, Ordering::AcqRel) + 1;
            let value = super::stats::REDIS.time(self.read()).await;
            *latest = Reading { round, value };
        }
        latest.value.clone().map_err(redis_err)
    }

    async fn bump(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let _: u64 = redis::cmd("INCR").arg(&self.key).query_async(&mut conn).await.map_err(redis_err)?;
        Ok(())
    }
}
