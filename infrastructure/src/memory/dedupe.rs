//! The embedded [`DedupeCache`]: the most recent commits in memory, oldest forgotten first.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use dashmap::DashMap;
use tidings_domain::UserId;
use tidings_domain::message::{Ack, Message};
use tidings_domain::ports::DedupeCache;

/// Remembers up to `capacity` recent acks.
pub struct MemoryDedupeCache {
    acks: DashMap<(UserId, String), Ack>,
    order: Mutex<VecDeque<(UserId, String)>>,
    capacity: usize,
}

impl MemoryDedupeCache {
    /// A cache of at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self { acks: DashMap::new(), order: Mutex::new(VecDeque::new()), capacity: capacity.max(1) }
    }
}

#[async_trait]
impl DedupeCache for MemoryDedupeCache {
    async fn get_many(&self, keys: &[(UserId, String)]) -> Vec<Option<Ack>> {
        keys.iter().map(|k| self.acks.get(k).map(|a| a.clone())).collect()
    }

    async fn put_many(&self, messages: &[Message]) {
        let Ok(mut order) = self.order.lock() else { return };
        for m in messages {
            let key = (m.sender.clone(), m.client_msg_id.clone());
            if self.acks.insert(key.clone(), m.ack(true)).is_none() {
                order.push_back(key);
            }
        }
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                self.acks.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings_domain::ConvId;

    fn msg(i: u64) -> Message {
        let (a, b) = (UserId::parse("u_a").unwrap(), UserId::parse("u_b").unwrap());
        Message {
            conv: ConvId::direct(&a, &b).unwrap(),
            seq: i,
            msg_id: format!("m{i}"),
            sender: a,
            client_msg_id: format!("c{i}"),
            kind: "text".into(),
            body: "{}".into(),
            ts: 0,
            edited_at: None,
        }
    }

    #[tokio::test]
    async fn remembers_the_newest_and_forgets_the_oldest() {
        let cache = MemoryDedupeCache::new(2);
        cache.put_many(&[msg(1), msg(2), msg(3)]).await;
        let key = |i: u64| (UserId::parse("u_a").unwrap(), format!("c{i}"));
        let got = cache.get_many(&[key(1), key(2), key(3)]).await;
        assert!(got[0].is_none());
        assert_eq!(got[1].as_ref().map(|a| (a.seq, a.duplicate)), Some((2, true)));
        assert_eq!(got[2].as_ref().map(|a| a.msg_id.as_str()), Some("m3"));
    }
}
