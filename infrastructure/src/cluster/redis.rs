//! Redis connections and the key layout. Every key starts with a configurable prefix so several
//! deployments (or test runs) can share one Redis without touching each other's keys.
//!
//! Every call has a deadline, measured against silence (`silence.rs`): past it, a call keeps
//! waiting while Redis answers other calls, up to [`LONGEST_CALL`]. When nothing at all came back
//! for a deadline, the link is hung: the call fails and trips the pool for [`TRIPPED_FOR`], and
//! calls in that time fail at once instead of queueing behind it, so a send is answered `busy`
//! quickly and a push goes to every instance instead of to the routes. Meanwhile a PING every
//! [`PROBE_EVERY`] on the pool's own connections asks whether Redis answers again, and the first
//! answer ends the trip then, not a second later: a Redis slowed for a moment (as in a connect
//! storm) refuses calls for about as long as it was slow, and no call waits on a probe.

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use deadpool_redis::redis::aio::{ConnectionLike, MultiplexedConnection};
use deadpool_redis::redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};
use deadpool_redis::{Config, Pool, Runtime};
use tidings_domain::{ConvId, StoreError, UserId};

use super::silence::{LastHeard, patiently};

/// How long calls fail at once after one missed its deadline.
const TRIPPED_FOR: Duration = Duration::from_secs(1);

/// While tripped, one call this often is let through to see whether Redis answers again.
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// The longest one call may wait while Redis answers others.
const LONGEST_CALL: Duration = Duration::from_secs(5);

/// Opens a pool whose calls give up after `deadline` of silence from Redis, and checks that
/// Redis answers.
pub async fn connect_redis(url: &str, max_size: usize, deadline: Duration) -> Result<RedisPool, StoreError> {
    let mut cfg = Config::from_url(url);
    cfg.pool = Some(deadpool_redis::PoolConfig::new(max_size.max(1)));
    let pool =
        cfg.create_pool(Some(Runtime::Tokio1)).map_err(|e| StoreError::Unavailable(format!("redis pool: {e}")))?;
    let shared = RedisPool::new(pool, max_size, deadline);
    let mut conn = shared.get().await.map_err(redis_err)?;
    let _: String = deadpool_redis::redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .map_err(|e| StoreError::Unavailable(format!("redis ping: {e}")))?;
    Ok(shared)
}

/// Redis connections for every caller in the instance: a few multiplexed connections (each
/// carries many requests at once) taken from the deadpool pool once and handed out in turn.
/// Checking a connection out of deadpool for every call would cost its recycle check — a PING
/// round trip — each time, doubling the latency of the message path's Redis calls. A connection
/// that fails is dropped, and the next call on its slot takes a fresh one from the pool.
#[derive(Clone)]
pub struct RedisPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    pool: Pool,
    slots: Vec<RwLock<Option<MultiplexedConnection>>>,
    next: AtomicUsize,
    /// Connections are made on the runtime the pool was made on, where their driver tasks
    /// then run (not on whichever HTTP worker happened to ask first).
    runtime: tokio::runtime::Handle,
    /// How long Redis may stay silent while a call waits (and the longest making a connection
    /// may take).
    deadline: Duration,
    /// Calls fail at once until this many microseconds after `born` (0: not tripped).
    tripped_until_us: AtomicU64,
    born: Instant,
    /// When a call last got an answer.
    heard: LastHeard,
}

impl PoolInner {
    fn now_us(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Trips the pool (or keeps it tripped); a newly tripped pool starts its prober.
    fn trip(self: &Arc<Self>) {
        let until = self.now_us().saturating_add(u64::try_from(TRIPPED_FOR.as_micros()).unwrap_or(u64::MAX));
        let was = self.tripped_until_us.swap(until, Ordering::AcqRel);
        if was <= self.now_us() {
            tracing::warn!(
                deadline_ms = self.deadline.as_millis() as u64,
                "redis missed a deadline; failing fast until a probe is answered (a second at most)"
            );
            self.runtime.spawn(probe(Arc::downgrade(self)));
        }
    }

    /// Whether calls fail at once now.
    fn tripped(&self) -> bool {
        self.now_us() < self.tripped_until_us.load(Ordering::Acquire)
    }

    /// A call was answered: Redis is back, the trip (if any) ends now.
    fn answered(&self) {
        self.heard.heard();
        if self.tripped_until_us.load(Ordering::Acquire) != 0 {
            self.tripped_until_us.store(0, Ordering::Release);
        }
    }

    /// Whether anything came back within the last deadline.
    fn answering(&self) -> bool {
        self.heard.silent_for() < self.deadline
    }
}

/// While the pool is tripped, PINGs Redis every [`PROBE_EVERY`] (each given one deadline) on a
/// connection of its own slots, and ends the trip at the first answer. Calls meanwhile fail at
/// once: a send never waits on a probe. Ends with the trip, or with the pool.
async fn probe(pool: std::sync::Weak<PoolInner>) {
    let mut slot = 0;
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let Some(inner) = pool.upgrade() else { return };
        if !inner.tripped() {
            return;
        }
        slot = (slot + 1) % inner.slots.len();
        let held = inner.slots[slot].read().ok().and_then(|conn| conn.clone());
        let answered = match held {
            Some(mut conn) => {
                let ping = deadpool_redis::redis::cmd("PING");
                match tokio::time::timeout(inner.deadline, ping.query_async::<String>(&mut conn)).await {
                    Ok(Ok(_)) => true,
                    Ok(Err(_)) => {
                        // A broken connection: its slot is made again by the next call.
                        if let Ok(mut held) = inner.slots[slot].write() {
                            *held = None;
                        }
                        false
                    }
                    Err(_) => false,
                }
            }
            // No connection to try: the first call after the trip makes one.
            None => false,
        };
        if answered {
            tracing::info!("redis answers again; calls go through");
            inner.answered();
            return;
        }
    }
}

/// A connection could not be had.
#[derive(Debug, thiserror::Error)]
#[error("redis connection: {0}")]
pub struct ConnectError(String);

impl RedisPool {
    /// Shares up to `slots` connections of `pool`, a call giving up after `deadline` of silence
    /// from Redis. Call on the runtime that should drive them.
    pub fn new(pool: Pool, slots: usize, deadline: Duration) -> Self {
        let slots = (0..slots.clamp(1, 8)).map(|_| RwLock::new(None)).collect();
        Self {
            inner: Arc::new(PoolInner {
                pool,
                slots,
                next: AtomicUsize::new(0),
                runtime: tokio::runtime::Handle::current(),
                deadline: deadline.max(Duration::from_millis(1)),
                tripped_until_us: AtomicU64::new(0),
                born: Instant::now(),
                heard: LastHeard::new(),
            }),
        }
    }

    /// The next shared connection, made first if its slot is empty.
    pub async fn get(&self) -> Result<SharedConnection, ConnectError> {
        if self.inner.tripped() {
            return Err(ConnectError("redis missed a recent deadline; failing fast".into()));
        }
        let slot = self.inner.next.fetch_add(1, Ordering::Relaxed) % self.inner.slots.len();
        let held = self.inner.slots[slot].read().ok().and_then(|conn| conn.clone());
        let conn = match held {
            Some(conn) => conn,
            None => {
                let pool = self.inner.pool.clone();
                let made =
                    self.inner.runtime.spawn(async move { pool.get().await.map(deadpool_redis::Connection::take) });
                let fresh = match tokio::time::timeout(self.inner.deadline, made).await {
                    Ok(joined) => {
                        joined.map_err(|e| ConnectError(e.to_string()))?.map_err(|e| ConnectError(e.to_string()))?
                    }
                    Err(_) => {
                        self.inner.trip();
                        return Err(ConnectError("redis: no connection within the deadline".into()));
                    }
                };
                if let Ok(mut held) = self.inner.slots[slot].write() {
                    *held = Some(fresh.clone());
                }
                fresh
            }
        };
        Ok(SharedConnection { conn, slot, pool: self.inner.clone() })
    }
}

/// One use of a shared connection; a failure that may have broken the connection empties its
/// slot.
pub struct SharedConnection {
    conn: MultiplexedConnection,
    slot: usize,
    pool: Arc<PoolInner>,
}

impl SharedConnection {
    fn check<T>(&self, result: &Result<T, RedisError>) {
        if let Err(e) = result
            && (e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() || e.is_timeout())
            && let Ok(mut held) = self.pool.slots[self.slot].write()
        {
            *held = None;
        }
    }

    /// Runs one call: it waits in steps of the deadline for as long as Redis answers other calls
    /// (at most [`LONGEST_CALL`]); after a deadline of silence it fails and trips the pool.
    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, RedisError>>,
    ) -> Result<T, RedisError> {
        let result = match patiently(call, self.pool.deadline, LONGEST_CALL, || self.pool.answering()).await {
            Some(result) => {
                if result.is_ok() {
                    self.pool.answered();
                }
                result
            }
            None => {
                self.pool.trip();
                Err(RedisError::from(io::Error::new(io::ErrorKind::TimedOut, "redis call missed its deadline")))
            }
        };
        self.check(&result);
        result
    }
}

impl ConnectionLike for SharedConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            self.bounded(async move { conn.req_packed_command(cmd).await }).await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            self.bounded(async move { conn.req_packed_commands(pipeline, offset, count).await }).await
        })
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
    }
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

    /// An instance's discovery entry (JSON, with a TTL its heartbeat renews).
    pub fn node(&self, instance: &str) -> String {
        format!("{}node:{instance}", self.prefix)
    }

    /// Sorted set of instances with a discovery entry, by heartbeat time (ms).
    pub fn nodes(&self) -> String {
        format!("{}nodes", self.prefix)
    }

    /// The cluster's direct-message gate epoch.
    pub fn gate_epoch(&self) -> String {
        format!("{}gate_epoch", self.prefix)
    }

    /// Set by one instance (for a day): its absence tells that instance that Redis lost the
    /// cluster's state (one per instance, so each of them notices).
    pub fn marker(&self, instance: &str) -> String {
        format!("{}state_marker:{instance}", self.prefix)
    }

    /// A user's change counter: moves with every message committed into one of their
    /// conversations (the `pong` frame carries it).
    pub fn changes(&self, user: &UserId) -> String {
        format!("{}changes:{user}", self.prefix)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> RedisPool {
        let cfg = Config::from_url("redis://127.0.0.1:1");
        RedisPool::new(cfg.create_pool(Some(Runtime::Tokio1)).unwrap(), 1, Duration::from_millis(250))
    }

    /// Tripped, every call fails at once (none waits on a probe); an answer ends the trip then
    /// and there instead of a second later.
    #[tokio::test]
    async fn a_trip_fails_calls_at_once_until_an_answer_ends_it() {
        let inner = pool().inner;
        assert!(!inner.tripped(), "not tripped: every call goes");
        inner.trip();
        assert!(inner.tripped(), "the calls after a trip fail at once");
        inner.answered();
        assert!(!inner.tripped(), "answered: the trip is over");
    }
}
