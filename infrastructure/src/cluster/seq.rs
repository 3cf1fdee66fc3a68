//! Seq counters in Redis (`INCRBY`), shared by all instances. Redis keeps nothing on disk, so a
//! missing counter is seeded from the log's `MAX(seq)`; a counter that fell behind (flush, restore)
//! shows up as a unique-key collision on insert, and the pipeline re-seeds it through `reseed`.

use std::borrow::Borrow;
use std::sync::Arc;

use super::redis::RedisPool;
use async_trait::async_trait;
use deadpool_redis::redis::{Script, ScriptInvocation};
use tidings_domain::ports::{MessageStore, SeqAllocator};
use tidings_domain::{ConvId, StoreError};

use super::redis::{RedisKeys, redis_err};

/// How long an unused counter stays in Redis.
const COUNTER_TTL_SECS: u64 = 7 * 24 * 3600;

/// `INCRBY` on counters that exist, for many at once: KEYS are the counters, ARGV[1] the TTL and
/// ARGV[2..] the increments; returns one value per key, -1 where a counter is missing (the
/// caller seeds it from the log first). Each use extends a counter's life; an idle
/// conversation's counter expires and is re-seeded later.
const INCR_MANY: &str = r"
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then
    out[i] = -1
  else
    out[i] = redis.call('INCRBY', key, ARGV[i + 1])
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return out";

/// Raises each counter to at least its floor (creating it if missing): KEYS are the counters,
/// ARGV[1] the TTL and ARGV[2..] the floors. One call for every counter a batch has to seed.
const RAISE_MANY: &str = r"
for i, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if (not cur) or tonumber(cur) < tonumber(ARGV[i + 1]) then
    redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1])
  end
end
return 1";

/// Cluster-wide seq allocation.
pub struct RedisSeqAllocator {
    pool: RedisPool,
    keys: RedisKeys,
    store: Arc<dyn MessageStore>,
    incr_many: Script,
    raise: Script,
}

impl RedisSeqAllocator {
    /// Counters in Redis, seeded from `store` when missing.
    pub fn new(pool: RedisPool, keys: RedisKeys, store: Arc<dyn MessageStore>) -> Self {
        Self { pool, keys, store, incr_many: Script::new(INCR_MANY), raise: Script::new(RAISE_MANY) }
    }

    /// `script` over one counter per item, in the shape both scripts take: the counters as
    /// KEYS, then the TTL and each item's number as ARGV.
    fn per_counter<'a, C: Borrow<ConvId>>(&self, script: &'a Script, items: &[(C, u64)]) -> ScriptInvocation<'a> {
        let mut call = script.prepare_invoke();
        for (conv, _) in items {
            call.key(self.keys.seq(conv.borrow()));
        }
        call.arg(COUNTER_TTL_SECS);
        for (_, n) in items {
            call.arg(*n);
        }
        call
    }

    /// Runs `INCR_MANY`: the last seq of each counter, or -1 where it is missing.
    async fn incr(&self, wanted: &[(ConvId, u64)]) -> Result<Vec<i64>, StoreError> {
        let call = self.per_counter(&self.incr_many, wanted);
        super::stats::REDIS
            .time(async {
                let mut conn = self.pool.get().await.map_err(redis_err)?;
                call.invoke_async(&mut conn).await.map_err(redis_err)
            })
            .await
    }

    /// Raises counters to their floors in one round trip.
    async fn raise_all(&self, floors: &[(&ConvId, u64)]) -> Result<(), StoreError> {
        let call = self.per_counter(&self.raise, floors);
        let mut conn = self.pool.get().await.map_err(redis_err)?;
        call.invoke_async::<i64>(&mut conn).await.map_err(redis_err)?;
        Ok(())
    }
}

#[async_trait]
impl SeqAllocator for RedisSeqAllocator {
    async fn allocate(&self, conv: &ConvId, n: u64) -> Result<u64, StoreError> {
        let wanted = [(conv.clone(), n)];
        for _ in 0..3 {
            if let Some(last) = self.incr(&wanted).await?.first().and_then(|l| u64::try_from(*l).ok()) {
                return Ok(last + 1 - n);
            }
            let floor = self.store.max_seq(conv).await?;
            tracing::debug!(conv = %conv, floor, "seeding seq counter from the log");
            self.raise_all(&[(conv, floor)]).await?;
        }
        Err(StoreError::Unavailable("seq counter keeps disappearing".into()))
    }

    async fn allocate_many(&self, wanted: &[(ConvId, u64)]) -> Result<Vec<u64>, StoreError> {
        let lasts = self.incr(wanted).await?;
        let mut firsts: Vec<Option<u64>> =
            wanted.iter().zip(&lasts).map(|((_, n), last)| u64::try_from(*last).ok().map(|l| l + 1 - n)).collect();
        let missing: Vec<usize> = (0..wanted.len()).filter(|&i| firsts[i].is_none()).collect();
        if !missing.is_empty() {
            // Missing counters (new or expired conversations) are seeded from the log together:
            // one lookup for the batch, then one more increment for them.
            let convs: Vec<ConvId> = missing.iter().map(|&i| wanted[i].0.clone()).collect();
            let floors = self.store.max_seqs(&convs).await?;
            // One round trip for all of them, not one per counter (a batch of first messages
            // in new chats may seed dozens).
            self.raise_all(&convs.iter().zip(floors).collect::<Vec<_>>()).await?;
            let retry: Vec<(ConvId, u64)> = missing.iter().map(|&i| wanted[i].clone()).collect();
            let again = self.incr(&retry).await?;
            for (&i, last) in missing.iter().zip(again) {
                let (conv, n) = &wanted[i];
                firsts[i] = Some(match u64::try_from(last) {
                    Ok(last) => last + 1 - n,
                    // Gone again already (evicted): the one-by-one path retries.
                    Err(_) => self.allocate(conv, *n).await?,
                });
            }
        }
        firsts.into_iter().collect::<Option<Vec<u64>>>().ok_or_else(|| StoreError::Other("seq left unallocated".into()))
    }

    async fn reseed(&self, conv: &ConvId, floor: u64) -> Result<(), StoreError> {
        self.raise_all(&[(conv, floor)]).await
    }
}
