//! Friends, friend requests, blocks and direct-message policies.

use crate::error::StoreError;
use crate::ids::UserId;
use crate::social::{DirectGate, DmPolicy, Friend, FriendRequest, RequestStatus};
use async_trait::async_trait;

/// What a direct send checks before it is queued: the one read the send path needs of the
/// social graph, apart from the store's other sixteen operations.
#[async_trait]
pub trait DirectGates: Send + Sync {
    /// Blocks, friendship and policy between a sender and a peer, and whether the peer exists,
    /// in one round trip.
    async fn direct_gate(&self, sender: &UserId, peer: &UserId) -> Result<DirectGate, StoreError>;
}

/// Friends, friend requests, blocks and direct-message policies.
#[async_trait]
pub trait SocialStore: DirectGates {
    /// Stores a new friend request.
    async fn insert_request(&self, request: &FriendRequest) -> Result<(), StoreError>;
    /// One request by id.
    async fn request(&self, id: &str) -> Result<Option<FriendRequest>, StoreError>;
    /// The pending request from `from` to `to`, if any.
    async fn pending_request(&self, from: &UserId, to: &UserId) -> Result<Option<FriendRequest>, StoreError>;
    /// Requests to (`incoming`) or from the user, newest first, with ids below `before`.
    async fn requests(
        &self,
        user: &UserId,
        incoming: bool,
        status: Option<RequestStatus>,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<FriendRequest>, StoreError>;
    /// Moves a pending request to `status` and, when accepted, makes the two friends, all in
    /// one transaction. `false` if it was no longer pending (someone answered first).
    async fn answer_request(&self, id: &str, status: RequestStatus, now_ms: i64) -> Result<bool, StoreError>;
    /// Whether the two are friends.
    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError>;
    /// The user's friends ordered by id, after `after`.
    async fn friends(&self, user: &UserId, after: Option<&UserId>, limit: u64) -> Result<Vec<Friend>, StoreError>;
    /// One friend of the user.
    async fn friend(&self, user: &UserId, friend: &UserId) -> Result<Option<Friend>, StoreError>;
    /// Ends a friendship (both sides). `false` if they were not friends.
    async fn remove_friend(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError>;
    /// Sets the user's private remark on a friend (no-op if they are not friends).
    async fn set_remark(&self, user: &UserId, friend: &UserId, remark: Option<&str>) -> Result<(), StoreError>;
    /// `user` blocks `target` (idempotent).
    async fn block(&self, user: &UserId, target: &UserId, now_ms: i64) -> Result<(), StoreError>;
    /// Lifts a block. `false` if there was none.
    async fn unblock(&self, user: &UserId, target: &UserId) -> Result<bool, StoreError>;
    /// Whom the user blocks, ordered by id, after `after`, with when.
    async fn blocks(&self, user: &UserId, after: Option<&UserId>, limit: u64)
    -> Result<Vec<(UserId, i64)>, StoreError>;
    /// Whether `by` blocks `whom`.
    async fn is_blocked(&self, by: &UserId, whom: &UserId) -> Result<bool, StoreError>;
    /// The user's own direct-message policy, if set.
    async fn dm_policy(&self, user: &UserId) -> Result<Option<DmPolicy>, StoreError>;
    /// Sets the user's direct-message policy.
    async fn set_dm_policy(&self, user: &UserId, policy: DmPolicy) -> Result<(), StoreError>;
}
