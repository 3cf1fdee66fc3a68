//! The group gate, remembered: the group and the sender's membership of it (role, mute,
//! dissolution), so a group send costs no database query after the first, under the gate epoch
//! ([`EpochCache`]). Every write to groups or memberships, through any instance, moves the epoch
//! on once stored, so the writes pass through here too; reads that are not a gate and join
//! requests do not (they go straight to storage).

use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::group::{Group, GroupMember, GroupPatch, MemberPatch, Role};
use tidings_domain::ports::{
    AddMembersError, GateEpoch, GroupDirectory, GroupGate, GroupPorts, GroupWrites, JoinRequestStore,
};
use tidings_domain::{GroupId, StoreError, UserId};

use crate::epoch_cache::EpochCache;

/// A group gate: the group, and the user's membership of it.
type Gate = Option<(Group, Option<GroupMember>)>;

/// The gate cache, and the writes that move its epoch on.
pub struct CachedGroupGate {
    inner: Arc<dyn GroupGate>,
    writes: Arc<dyn GroupWrites>,
    gates: EpochCache<(GroupId, UserId), Gate>,
}

impl CachedGroupGate {
    /// The group ports of `store` with the gate remembered and the writes moving `epoch` on;
    /// `epoch` must be shared by every process writing to the same storage.
    pub fn ports<S>(store: Arc<S>, epoch: Arc<dyn GateEpoch>) -> GroupPorts
    where
        S: GroupGate + GroupDirectory + GroupWrites + JoinRequestStore + 'static,
    {
        let cached = Arc::new(Self {
            inner: store.clone(),
            writes: store.clone(),
            gates: EpochCache::new(epoch, "a group change"),
        });
        GroupPorts { gate: cached.clone(), directory: store.clone(), writes: cached, joins: store }
    }
}

#[async_trait]
impl GroupGate for CachedGroupGate {
    async fn gate(&self, id: &GroupId, user: &UserId) -> Result<Gate, StoreError> {
        self.gates.get_or_read((id.clone(), user.clone()), || self.inner.gate(id, user)).await
    }
}

#[async_trait]
impl GroupWrites for CachedGroupGate {
    async fn create(&self, group: &Group, members: &[GroupMember]) -> Result<(), StoreError> {
        // A gate remembered as "no such group" must not outlive the group's creation.
        self.gates.after_write(self.writes.create(group, members).await).await
    }

    async fn update(&self, id: &GroupId, patch: &GroupPatch, now_ms: i64) -> Result<Option<Group>, StoreError> {
        self.gates.after_write(self.writes.update(id, patch, now_ms).await).await
    }

    async fn dissolve(&self, id: &GroupId, now_ms: i64) -> Result<bool, StoreError> {
        self.gates.after_write(self.writes.dissolve(id, now_ms).await).await
    }

    async fn add_members(
        &self,
        id: &GroupId,
        members: &[GroupMember],
        cap: u32,
        visible_from: u64,
        read_from: u64,
    ) -> Result<Vec<UserId>, AddMembersError> {
        self.gates.after_write(self.writes.add_members(id, members, cap, visible_from, read_from).await).await
    }

    async fn remove_member(&self, id: &GroupId, user: &UserId) -> Result<bool, StoreError> {
        self.gates.after_write(self.writes.remove_member(id, user).await).await
    }

    async fn extend_visible_until(&self, id: &GroupId, user: &UserId, seq: u64) -> Result<(), StoreError> {
        self.gates.after_write(self.writes.extend_visible_until(id, user, seq).await).await
    }

    async fn set_role(&self, id: &GroupId, user: &UserId, role: Role) -> Result<(), StoreError> {
        self.gates.after_write(self.writes.set_role(id, user, role).await).await
    }

    async fn transfer_owner(&self, id: &GroupId, from: &UserId, to: &UserId, now_ms: i64) -> Result<(), StoreError> {
        self.gates.after_write(self.writes.transfer_owner(id, from, to, now_ms).await).await
    }

    async fn set_muted_until(&self, id: &GroupId, user: &UserId, until: Option<i64>) -> Result<(), StoreError> {
        self.gates.after_write(self.writes.set_muted_until(id, user, until).await).await
    }

    async fn update_member(&self, id: &GroupId, user: &UserId, patch: &MemberPatch) -> Result<(), StoreError> {
        self.gates.after_write(self.writes.update_member(id, user, patch).await).await
    }
}
