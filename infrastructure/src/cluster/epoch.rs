//! The cluster [`GateEpoch`]: one counter in Redis (`gate_epoch`), `INCR`ed after each gate
//! write. Reads are coalesced: callers that arrive while a `GET` is on its way wait for the next
//! one, which starts after they arrived (so it sees every bump that finished before them), and
//! share it. Under load that is one round trip for many sends instead of one each.
//!
//! No lock is held while a read is on its way. The read is a shared future that every caller
//! waiting for it polls, so it finishes as long as anyone still wants it, even if the caller
//! that started it stands still. (An async mutex held across the `GET` once stopped a whole
//! instance: the caller holding it sat un-polled in a connection's set of pending replies while
//! the same connection waited for the mutex.)

use std::sync::Mutex;

use super::redis::RedisPool;
use async_trait::async_trait;
use deadpool_redis::redis;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use tidings_domain::StoreError;
use tidings_domain::ports::GateEpoch;

use super::redis::{RedisKeys, redis_err};

/// A read's number (1, 2, ...) and its outcome.
type Outcome = (u64, Result<u64, String>);

/// A read on its way, which any number of callers may await.
type InFlight = Shared<BoxFuture<'static, Outcome>>;

struct Rounds {
    /// The number the next read to start will have.
    next: u64,
    /// The newest finished read (round 0 before the first).
    finished: Outcome,
    /// The read on its way, if any.
    in_flight: Option<(u64, InFlight)>,
}

/// The cluster-wide epoch.
pub struct RedisGateEpoch {
    pool: RedisPool,
    key: String,
    rounds: Mutex<Rounds>,
}

impl RedisGateEpoch {
    /// The epoch under `keys`' prefix.
    pub fn new(pool: RedisPool, keys: &RedisKeys) -> Self {
        Self {
            pool,
            key: keys.gate_epoch(),
            rounds: Mutex::new(Rounds { next: 1, finished: (0, Ok(0)), in_flight: None }),
        }
    }

    fn start_read(&self, round: u64) -> InFlight {
        let (pool, key) = (self.pool.clone(), self.key.clone());
        async move {
            let read = async {
                let mut conn = pool.get().await.map_err(|e| e.to_string())?;
                let value: Option<u64> =
                    redis::cmd("GET").arg(&key).query_async(&mut conn).await.map_err(|e| e.to_string())?;
                Ok(value.unwrap_or(0))
            };
            (round, super::stats::REDIS.time(read).await)
        }
        .boxed()
        .shared()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rounds> {
        self.rounds.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl GateEpoch for RedisGateEpoch {
    async fn current(&self) -> Result<u64, StoreError> {
        // Any read numbered `needed` or later starts after this point.
        let needed = self.lock().next;
        loop {
            let read = {
                let mut rounds = self.lock();
                if rounds.finished.0 >= needed {
                    return rounds.finished.1.clone().map_err(redis_err);
                }
                match &rounds.in_flight {
                    // Ours if it started after we arrived; otherwise wait for it, then start
                    // (or join) a newer one.
                    Some((_, read)) => read.clone(),
                    None => {
                        let round = rounds.next;
                        rounds.next += 1;
                        let read = self.start_read(round);
                        rounds.in_flight = Some((round, read.clone()));
                        read
                    }
                }
            };
            let (round, value) = read.await;
            let mut rounds = self.lock();
            if round > rounds.finished.0 {
                rounds.finished = (round, value);
            }
            if rounds.in_flight.as_ref().is_some_and(|(r, _)| *r == round) {
                rounds.in_flight = None;
            }
        }
    }

    async fn bump(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        let _: u64 = redis::cmd("INCR").arg(&self.key).query_async(&mut conn).await.map_err(redis_err)?;
        Ok(())
    }
}
