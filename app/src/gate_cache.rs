//! A [`SocialStore`] that remembers direct-message gates (blocks, friendship, policy between a
//! sender and a peer) so a direct send costs no database query after the first, under the gate
//! epoch ([`EpochCache`]): every gate write through any instance moves it on once stored.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::ports::{DirectGates, GateEpoch, SocialStore};
use tidings_domain::social::{DirectGate, DmPolicy, Friend, FriendRequest, RequestStatus};
use tidings_domain::{StoreError, UserId};

use crate::epoch_cache::EpochCache;

/// The caching wrapper.
pub struct CachedGateStore {
    inner: Arc<dyn SocialStore>,
    gates: EpochCache<(UserId, UserId), DirectGate>,
}

impl CachedGateStore {
    /// Wraps `inner`; `epoch` must be shared by every process writing to the same storage.
    pub fn new(inner: Arc<dyn SocialStore>, epoch: Arc<dyn GateEpoch>) -> Self {
        Self { inner, gates: EpochCache::new(epoch, "a block, friendship or policy change") }
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
        self.gates.after_write(self.inner.answer_request(id, status, now_ms).await).await
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
        self.gates.after_write(self.inner.remove_friend(a, b).await).await
    }

    async fn set_remark(&self, user: &UserId, friend: &UserId, remark: Option<&str>) -> Result<(), StoreError> {
        self.inner.set_remark(user, friend, remark).await
    }

    async fn block(&self, user: &UserId, target: &UserId, now_ms: i64) -> Result<(), StoreError> {
        self.gates.after_write(self.inner.block(user, target, now_ms).await).await
    }

    async fn unblock(&self, user: &UserId, target: &UserId) -> Result<bool, StoreError> {
        self.gates.after_write(self.inner.unblock(user, target).await).await
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
        self.gates.after_write(self.inner.set_dm_policy(user, policy).await).await
    }
}

#[async_trait]
impl DirectGates for CachedGateStore {
    async fn direct_gate(&self, sender: &UserId, peer: &UserId) -> Result<DirectGate, StoreError> {
        self.gates.get_or_read((sender.clone(), peer.clone()), || self.inner.direct_gate(sender, peer)).await
    }
}
