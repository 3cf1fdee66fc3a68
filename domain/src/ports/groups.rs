//! Groups, their members and join requests.

use std::sync::Arc;

use crate::error::StoreError;
use crate::group::{Group, GroupMember, GroupPatch, JoinRequest, MemberPatch, Role};
use crate::ids::{GroupId, UserId};
use crate::social::RequestStatus;
use async_trait::async_trait;

/// Why adding members failed.
#[derive(Debug, thiserror::Error)]
pub enum AddMembersError {
    /// The cap would be exceeded.
    #[error("the group would exceed {0} members")]
    Full(u32),
    /// The group does not exist or was dissolved.
    #[error("group gone")]
    Gone,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The one read every group send makes: the group and the sender's membership of it (role,
/// mute, dissolution). Its own port because it is the hot one: the app caches it under the gate
/// epoch (`app::group_gate_cache`), and the send path needs nothing else of a group but its
/// members' ids.
#[async_trait]
pub trait GroupGate: Send + Sync {
    /// A group and the user's membership of it (if any), in one round trip.
    async fn gate(&self, id: &GroupId, user: &UserId) -> Result<Option<(Group, Option<GroupMember>)>, StoreError>;
}

/// Reads of groups and their members, for listings and fan-out.
#[async_trait]
pub trait GroupDirectory: Send + Sync {
    /// A group by id.
    async fn get(&self, id: &GroupId) -> Result<Option<Group>, StoreError>;
    /// Several groups by id (unknown ids are left out).
    async fn get_many(&self, ids: &[GroupId]) -> Result<Vec<Group>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.get(id).await?);
        }
        Ok(out)
    }
    /// One member.
    async fn member(&self, id: &GroupId, user: &UserId) -> Result<Option<GroupMember>, StoreError>;
    /// Members ordered by user id, after `after`.
    async fn members(&self, id: &GroupId, after: Option<&UserId>, limit: u64) -> Result<Vec<GroupMember>, StoreError>;
    /// Every member's id (for fan-out).
    async fn member_ids(&self, id: &GroupId) -> Result<Vec<UserId>, StoreError>;
    /// All groups (for enterprise admins), ordered by id, after `after`; `query` filters on a
    /// case-insensitive part of the name, or an exact group id.
    async fn search(&self, query: Option<&str>, after: Option<&str>, limit: u64) -> Result<Vec<Group>, StoreError>;
    /// The groups the user is a member of, ordered by id, after `after`.
    async fn groups_of(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<(Group, GroupMember)>, StoreError>;
}

/// Writes to groups and memberships. Each can change a send's gate, so the caching layer moves
/// the gate epoch on after every one that reached storage.
#[async_trait]
pub trait GroupWrites: Send + Sync {
    /// Creates the group, its conversation and its first members in one transaction.
    async fn create(&self, group: &Group, members: &[GroupMember]) -> Result<(), StoreError>;
    /// Applies a settings change; the group after it, `None` if it does not exist.
    async fn update(&self, id: &GroupId, patch: &GroupPatch, now_ms: i64) -> Result<Option<Group>, StoreError>;
    /// Marks the group dissolved. `false` if it was already.
    async fn dissolve(&self, id: &GroupId, now_ms: i64) -> Result<bool, StoreError>;
    /// Adds members who are not members yet, unless that would pass `cap`. Each newcomer sees
    /// the conversation from `visible_from` on and has read up to `read_from`. Returns who was
    /// actually added.
    async fn add_members(
        &self,
        id: &GroupId,
        members: &[GroupMember],
        cap: u32,
        visible_from: u64,
        read_from: u64,
    ) -> Result<Vec<UserId>, AddMembersError>;
    /// Removes a member; they keep read access to the log up to the seq the log had reached.
    /// `false` if they were not a member.
    async fn remove_member(&self, id: &GroupId, user: &UserId) -> Result<bool, StoreError>;
    /// Extends a removed member's visible range to `seq` (the notice of their removal), unless
    /// they have rejoined since.
    async fn extend_visible_until(&self, id: &GroupId, user: &UserId, seq: u64) -> Result<(), StoreError>;
    /// Changes a member's role (no-op for a non-member; callers check membership first).
    async fn set_role(&self, id: &GroupId, user: &UserId, role: Role) -> Result<(), StoreError>;
    /// Hands ownership from `from` (who becomes an admin) to `to`, in one transaction.
    async fn transfer_owner(&self, id: &GroupId, from: &UserId, to: &UserId, now_ms: i64) -> Result<(), StoreError>;
    /// Mutes a member until a time, or unmutes (`None`).
    async fn set_muted_until(&self, id: &GroupId, user: &UserId, until: Option<i64>) -> Result<(), StoreError>;
    /// Changes a member's own settings.
    async fn update_member(&self, id: &GroupId, user: &UserId, patch: &MemberPatch) -> Result<(), StoreError>;
}

/// Join requests to groups that require approval (no send's gate depends on them).
#[async_trait]
pub trait JoinRequestStore: Send + Sync {
    /// Stores a join request.
    async fn insert_join_request(&self, request: &JoinRequest) -> Result<(), StoreError>;
    /// One join request.
    async fn join_request(&self, id: &str) -> Result<Option<JoinRequest>, StoreError>;
    /// The user's pending request to join the group, if any.
    async fn pending_join_request(&self, group: &GroupId, user: &UserId) -> Result<Option<JoinRequest>, StoreError>;
    /// A group's join requests, newest first, with ids below `before`.
    async fn join_requests(
        &self,
        group: &GroupId,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<JoinRequest>, StoreError>;
    /// Moves a pending join request to `status`. `false` if it was no longer pending.
    async fn answer_join_request(
        &self,
        id: &str,
        status: RequestStatus,
        by: &UserId,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
}

/// The group ports a use case is given, each by its role. One storage adapter usually provides
/// all four; the gate and the writes may be wrapped by the gate cache.
#[derive(Clone)]
pub struct GroupPorts {
    /// The send gate (cached).
    pub gate: Arc<dyn GroupGate>,
    /// Listings and fan-out.
    pub directory: Arc<dyn GroupDirectory>,
    /// Writes (moving the gate epoch when cached).
    pub writes: Arc<dyn GroupWrites>,
    /// Join requests.
    pub joins: Arc<dyn JoinRequestStore>,
}
