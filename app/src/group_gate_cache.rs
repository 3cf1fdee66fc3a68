//! A [`GroupStore`] that remembers group gates (the group, and the sender's membership of it:
//! role, mute, dissolution) so a group send costs no database query after the first, under the
//! gate epoch ([`EpochCache`]): every write to groups or memberships, through any instance, moves
//! it on once stored.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::group::{Group, GroupMember, GroupPatch, JoinRequest, MemberPatch, Role};
use tidings_domain::ports::{AddMembersError, GateEpoch, GroupStore};
use tidings_domain::social::RequestStatus;
use tidings_domain::{StoreError, UserId};

use crate::epoch_cache::EpochCache;

/// A group gate: the group, and the user's membership of it.
type Gate = Option<(Group, Option<GroupMember>)>;

/// The caching wrapper.
pub struct CachedGroupStore {
    inner: Arc<dyn GroupStore>,
    gates: EpochCache<(String, UserId), Gate>,
}

impl CachedGroupStore {
    /// Wraps `inner`; `epoch` must be shared by every process writing to the same storage.
    pub fn new(inner: Arc<dyn GroupStore>, epoch: Arc<dyn GateEpoch>) -> Self {
        Self { inner, gates: EpochCache::new(epoch, "a group change") }
    }
}

#[async_trait]
impl GroupStore for CachedGroupStore {
    async fn create(&self, group: &Group, members: &[GroupMember]) -> Result<(), StoreError> {
        // A gate remembered as "no such group" must not outlive the group's creation.
        self.gates.after_write(self.inner.create(group, members).await).await
    }

    async fn get(&self, id: &str) -> Result<Option<Group>, StoreError> {
        self.inner.get(id).await
    }

    async fn get_many(&self, ids: &[String]) -> Result<Vec<Group>, StoreError> {
        self.inner.get_many(ids).await
    }

    async fn gate(&self, id: &str, user: &UserId) -> Result<Gate, StoreError> {
        self.gates.get_or_read((id.to_owned(), user.clone()), || self.inner.gate(id, user)).await
    }

    async fn update(&self, id: &str, patch: &GroupPatch, now_ms: i64) -> Result<Option<Group>, StoreError> {
        self.gates.after_write(self.inner.update(id, patch, now_ms).await).await
    }

    async fn dissolve(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        self.gates.after_write(self.inner.dissolve(id, now_ms).await).await
    }

    async fn member(&self, id: &str, user: &UserId) -> Result<Option<GroupMember>, StoreError> {
        self.inner.member(id, user).await
    }

    async fn members(&self, id: &str, after: Option<&UserId>, limit: u64) -> Result<Vec<GroupMember>, StoreError> {
        self.inner.members(id, after, limit).await
    }

    async fn member_ids(&self, id: &str) -> Result<Vec<UserId>, StoreError> {
        self.inner.member_ids(id).await
    }

    async fn search(&self, query: Option<&str>, after: Option<&str>, limit: u64) -> Result<Vec<Group>, StoreError> {
        self.inner.search(query, after, limit).await
    }

    async fn groups_of(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<(Group, GroupMember)>, StoreError> {
        self.inner.groups_of(user, after, limit).await
    }

    async fn add_members(
        &self,
        id: &str,
        members: &[GroupMember],
        cap: u32,
        visible_from: u64,
        read_from: u64,
    ) -> Result<Vec<UserId>, AddMembersError> {
        self.gates.after_write(self.inner.add_members(id, members, cap, visible_from, read_from).await).await
    }

    async fn remove_member(&self, id: &str, user: &UserId) -> Result<bool, StoreError> {
        self.gates.after_write(self.inner.remove_member(id, user).await).await
    }

    async fn extend_visible_until(&self, id: &str, user: &UserId, seq: u64) -> Result<(), StoreError> {
        self.gates.after_write(self.inner.extend_visible_until(id, user, seq).await).await
    }

    async fn set_role(&self, id: &str, user: &UserId, role: Role) -> Result<(), StoreError> {
        self.gates.after_write(self.inner.set_role(id, user, role).await).await
    }

    async fn transfer_owner(&self, id: &str, from: &UserId, to: &UserId, now_ms: i64) -> Result<(), StoreError> {
        self.gates.after_write(self.inner.transfer_owner(id, from, to, now_ms).await).await
    }

    async fn set_muted_until(&self, id: &str, user: &UserId, until: Option<i64>) -> Result<(), StoreError> {
        self.gates.after_write(self.inner.set_muted_until(id, user, until).await).await
    }

    async fn update_member(&self, id: &str, user: &UserId, patch: &MemberPatch) -> Result<(), StoreError> {
        self.gates.after_write(self.inner.update_member(id, user, patch).await).await
    }

    async fn insert_join_request(&self, request: &JoinRequest) -> Result<(), StoreError> {
        self.inner.insert_join_request(request).await
    }

    async fn join_request(&self, id: &str) -> Result<Option<JoinRequest>, StoreError> {
        self.inner.join_request(id).await
    }

    async fn pending_join_request(&self, group: &str, user: &UserId) -> Result<Option<JoinRequest>, StoreError> {
        self.inner.pending_join_request(group, user).await
    }

    async fn join_requests(
        &self,
        group: &str,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<JoinRequest>, StoreError> {
        self.inner.join_requests(group, status, before, limit).await
    }

    async fn answer_join_request(
        &self,
        id: &str,
        status: RequestStatus,
        by: &UserId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.inner.answer_join_request(id, status, by, now_ms).await
    }
}
