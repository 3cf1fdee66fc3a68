//! The cluster [`DedupeCache`]: recent acks in Redis (`dedupe:{sender}:{client_msg_id}`, one
//! hour), shared by every instance, read with one `MGET` and written with one pipeline.

use super::redis::RedisPool;
use async_trait::async_trait;
use deadpool_redis::redis;
use tidings_domain::message::{Ack, Message};
use tidings_domain::ports::DedupeCache;
use tidings_domain::{ConvId, UserId};

use super::redis::RedisKeys;

/// How long a commit is remembered.
const TTL_SECS: u64 = 3600;

/// Recent acks in Redis.
pub struct RedisDedupeCache {
    pool: RedisPool,
    keys: RedisKeys,
}

impl RedisDedupeCache {
    /// Uses `pool` and the key layout `keys`.
    pub fn new(pool: RedisPool, keys: RedisKeys) -> Self {
        Self { pool, keys }
    }
}

fn encode(m: &Message) -> String {
    format!("{}|{}|{}|{}", m.seq, m.ts, m.msg_id, m.conv)
}

fn decode(raw: &str, client_msg_id: &str) -> Option<Ack> {
    let mut parts = raw.splitn(4, '|');
    let seq = parts.next()?.parse().ok()?;
    let ts = parts.next()?.parse().ok()?;
    let msg_id = parts.next()?.to_owned();
    let conv = ConvId::parse(parts.next()?)?;
    Some(Ack { conv, seq, msg_id, client_msg_id: client_msg_id.to_owned(), ts, duplicate: true })
}

#[async_trait]
impl DedupeCache for RedisDedupeCache {
    async fn get_many(&self, keys: &[(UserId, String)]) -> Vec<Option<Ack>> {
        if keys.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = keys.iter().map(|(u, c)| self.keys.dedupe(u, c)).collect();
        let found: Result<Vec<Option<String>>, String> = super::stats::REDIS
            .time(async {
                let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
                redis::cmd("MGET").arg(&names).query_async(&mut conn).await.map_err(|e| e.to_string())
            })
            .await;
        match found {
            Ok(values) => {
                values.iter().zip(keys).map(|(v, (_, cmid))| v.as_deref().and_then(|raw| decode(raw, cmid))).collect()
            }
            Err(e) => {
                tracing::debug!(error = %e, "dedupe cache unavailable; falling back to the database");
                vec![None; keys.len()]
            }
        }
    }

    async fn put_many(&self, messages: &[Message]) {
        if messages.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for m in messages {
            pipe.cmd("SET")
                .arg(self.keys.dedupe(&m.sender, &m.client_msg_id))
                .arg(encode(m))
                .arg("EX")
                .arg(TTL_SECS)
                .ignore();
        }
        let result: Result<(), String> = super::stats::REDIS
            .time(async {
                let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
                pipe.query_async::<()>(&mut conn).await.map_err(|e| e.to_string())
            })
            .await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "could not remember commits in the dedupe cache");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        let (a, b) = (UserId::parse("u_a").unwrap(), UserId::parse("u_b").unwrap());
        let m = Message {
            conv: ConvId::direct(&a, &b).unwrap(),
            seq: 9,
            msg_id: "m_x".into(),
            sender: a,
            client_msg_id: "c|1".into(),
            kind: "text".into(),
            body: "{}".into(),
            ts: 77,
            edited_at: None,
        };
        assert_eq!(decode(&encode(&m), "c|1"), Some(m.ack(true)));
        assert_eq!(decode("garbage", "c"), None);
    }
}
