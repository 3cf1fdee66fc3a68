//! A [`SocialStore`] that remembers direct-message gates (blocks, friendship, policy between a
//! sender and a peer) so a direct send costs no query after the first. For one process only:
//! every write through it clears the memory, which is exact when all writes pass through this
//! process (embedded mode). Cluster instances use the store directly, since another instance's
//! block must take effect at once.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use dashmap::DashMap;
use tidings_domain::ports::SocialStore;
use tidings_domain::social::{DirectGate, DmPolicy, Friend, FriendRequest, RequestStatus};
use tidings_domain::{StoreError, UserId};

/// Gates remembered before the memory starts over.
const CAP: usize = 200_000;

/// The caching wrapper.
pub struct CachedGateStore {
    inner: Arc<dyn SocialStore>,
    gates: DashMap<(UserId, UserId), DirectGate>,
    /// Bumped by every write; a gate read from storage is kept only if no write happened
    /// meanwhile (checked and stored under the read lock, bumped and cleared under the write
    /// lock, so a stale gate can never outlive the write that made it stale).
    generation: RwLock<u64>,
}

impl CachedGateStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn SocialStore>) -> Self {
        Self { inner, gates: DashMap::new(), generation: RwLock::new(0) }
    }

    fn generation(&self) -> u64 {
        self.generation.read().map_or(0, |g| *g)
    }

    /// After a write reached storage: forget every gate.
    fn changed(&self) {
        if let Ok(mut g) = self.generation.write() {
            *g += 1;
            self.gates.clear();
        } else {
            self.gates.clear();
        }
    }
}

#[async_trait]
impl SocialStore for CachedGateStore {
    async fn insert_request(&self, request: &FriendRequest) -> Result<(), StoreError> {
        self.inner.insert_request(request).await
    }

    async fn request(&self, id: &str) -> Result<Option<FriendRequest>, StoreError> {
        self.inner.request(id).await
    }

    async fn pending_request(&self, from: &UserId, to: &UserId) -> Result<Option<FriendRequest>, StoreError> {
        self.inner.pending_request(from, to).await
    }

    async fn requests(
        &self,
        user: &UserId,
        incoming: bool,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<FriendRequest>, StoreError> {
        self.inner.requests(user, incoming, status, before, limit).await
    }

    async fn answer_request(&self, id: &str, status: RequestStatus, now_ms: i64) -> Result<bool, StoreError> {
        let r = self.inner.answer_request(id, status, now_ms).await;
        self.changed();
        r
    }

    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        self.inner.are_friends(a, b).await
    }

    async fn friends(&self, user: &UserId, after: Option<&UserId>, limit: u64) -> Result<Vec<Friend>, StoreError> {
        self.inner.friends(user, after, limit).await
    }

    async fn friend(&self, user: &UserId, friend: &UserId) -> Result<Option<Friend>, StoreError> {
        self.inner.friend(user, friend).await
    }

    async fn remove_friend(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        let r = self.inner.remove_friend(a, b).await;
        self.changed();
        r
    }

    async fn set_remark(&self, user: &UserId, friend: &UserId, remark: Option<&str>) -> Result<(), StoreError> {
        self.inner.set_remark(user, friend, remark).await
    }

    async fn block(&self, user: &UserId, target: &UserId, now_ms: i64) -> Result<(), StoreError> {
        let r = self.inner.block(user, target, now_ms).await;
        self.changed();
        r
    }

    async fn unblock(&self, user: &UserId, target: &UserId) -> Result<bool, StoreError> {
        let r = self.inner.unblock(user, target).await;
        self.changed();
        r
    }

    async fn blocks(
        &self,
        user: &UserId,
        after: Option<&UserId>,
        limit: u64,
    ) -> Result<Vec<(UserId, i64)>, StoreError> {
        self.inner.blocks(user, after, limit).await
    }

    async fn is_blocked(&self, by: &UserId, whom: &UserId) -> Result<bool, StoreError> {
        self.inner.is_blocked(by, whom).await
    }

    async fn dm_policy(&self, user: &UserId) -> Result<Option<DmPolicy>, StoreError> {
        self.inner.dm_policy(user).await
    }

    async fn set_dm_policy(&self, user: &UserId, policy: DmPolicy) -> Result<(), StoreError> {
        let r = self.inner.set_dm_policy(user, policy).await;
        self.changed();
        r
    }

    async fn direct_gate(&self, sender: &UserId, peer: &UserId) -> Result<DirectGate, StoreError> {
        let key = (sender.clone(), peer.clone());
        if let Some(gate) = self.gates.get(&key) {
            return Ok(*gate);
        }
        let seen = self.generation();
        let gate = self.inner.direct_gate(sender, peer).await?;
        if let Ok(current) = self.generation.read()
            && *current == seen
        {
            if self.gates.len() >= CAP {
                self.gates.clear();
            }
            self.gates.insert(key, gate);
        }
        Ok(gate)
    }
}
