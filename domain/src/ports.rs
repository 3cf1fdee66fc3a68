//! Ports: what the use cases need from the outside world. Embedded mode and cluster mode
//! implement the same traits, so one code path serves both.

use async_trait::async_trait;

use crate::account::{DeviceSession, User};
use crate::conversation::{MemberView, PrefsPatch, ReadMove, ReadOutcome, ReadPosition};
use crate::error::StoreError;
use crate::event::Delivery;
use crate::group::{Group, GroupMember, GroupPatch, JoinRequest, MemberPatch, Role};
use crate::ids::{ConvId, DeviceId, SessionId, UserId};
use crate::message::{Ack, Message};
use crate::presence::PresenceStatus;
use crate::social::{DirectGate, DmPolicy, Friend, FriendRequest, RequestStatus};

/// Accounts.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user; `Duplicate` when the username is taken.
    async fn insert(&self, user: &User, password_hash: &str) -> Result<(), StoreError>;
    /// A user and their password hash, by username.
    async fn by_username(&self, username: &str) -> Result<Option<(User, String)>, StoreError>;
    /// A user by id.
    async fn by_id(&self, id: &UserId) -> Result<Option<User>, StoreError>;
    /// Several users by id (unknown ids are left out).
    async fn by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.by_id(id).await?);
        }
        Ok(out)
    }
    /// Changes the display name; `None` when the user does not exist.
    async fn set_display_name(&self, id: &UserId, name: &str) -> Result<Option<User>, StoreError>;
    /// Replaces the password hash; `false` when the user does not exist.
    async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<bool, StoreError>;
}

/// Device sessions (logins) and their refresh-token hashes.
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session.
    async fn insert(&self, session: &DeviceSession) -> Result<(), StoreError>;
    /// A session by id.
    async fn get(&self, id: &SessionId) -> Result<Option<DeviceSession>, StoreError>;
    /// Replaces the refresh hash if it still equals `current` (compare-and-swap, so two
    /// concurrent refreshes cannot both win). Returns whether it was replaced.
    async fn rotate(&self, id: &SessionId, current: &str, next: &str, expires_at: i64) -> Result<bool, StoreError>;
    /// Revokes one session.
    async fn revoke(&self, id: &SessionId, now_ms: i64) -> Result<(), StoreError>;
    /// Revokes every active session of one device; returns their ids.
    async fn revoke_device(&self, user: &UserId, device: &DeviceId, now_ms: i64) -> Result<Vec<SessionId>, StoreError>;
    /// The user's sessions still usable at `now_ms`, oldest first.
    async fn active_for_user(&self, user: &UserId, now_ms: i64) -> Result<Vec<DeviceSession>, StoreError>;
}

/// The message logs of all conversations.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Persists a batch in one transaction (group commit), first creating those of the direct
    /// conversations `open` (and their two members) that do not exist yet, and advances each
    /// conversation's `max_seq`. `Duplicate` when any `(conv, seq)` or `(sender, client_msg_id)`
    /// exists already; then nothing of the batch is stored.
    async fn append(&self, batch: &[Message], open: &[ConvId]) -> Result<(), StoreError>;
    /// Stored messages for the given `(sender, client_msg_id)` keys.
    async fn find_by_client_ids(&self, keys: &[(UserId, String)]) -> Result<Vec<Message>, StoreError>;
    /// Highest stored seq of a conversation (0 when empty).
    async fn max_seq(&self, conv: &ConvId) -> Result<u64, StoreError>;
    /// [`Self::max_seq`] of several conversations, in order (few queries where the backend
    /// allows: a batch of sends to new conversations seeds all their counters at once).
    async fn max_seqs(&self, convs: &[ConvId]) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::with_capacity(convs.len());
        for conv in convs {
            out.push(self.max_seq(conv).await?);
        }
        Ok(out)
    }
    /// Up to `limit` messages with seq > `after`, ascending.
    async fn after(&self, conv: &ConvId, after: u64, limit: u64) -> Result<Vec<Message>, StoreError>;
    /// Up to `limit` messages with seq < `before`, ascending (the newest `limit` of them).
    async fn before(&self, conv: &ConvId, before: u64, limit: u64) -> Result<Vec<Message>, StoreError>;
    /// One message.
    async fn get(&self, conv: &ConvId, seq: u64) -> Result<Option<Message>, StoreError>;
    /// Messages with `after < seq <= upto` not sent by `user`, not counting recall notices and
    /// recalled messages ([`crate::message::NOT_UNREAD_KINDS`]).
    async fn count_unread(&self, conv: &ConvId, user: &UserId, after: u64, upto: u64) -> Result<u64, StoreError>;
    /// Erases a message's body and marks it recalled (kind `recalled`, body `{}`), if it is a
    /// user message not recalled yet. Returns whether this call recalled it.
    async fn mark_recalled(&self, conv: &ConvId, seq: u64) -> Result<bool, StoreError>;
    /// [`count_unread`](Self::count_unread) of several `(conv, after, upto)` ranges at once, in order.
    async fn count_unread_many(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::with_capacity(ranges.len());
        for r in ranges {
            out.push(self.count_unread(&r.conv, user, r.after, r.upto).await?);
        }
        Ok(out)
    }
    /// Several messages by `(conv, seq)`; missing ones are left out.
    async fn get_many(&self, keys: &[(ConvId, u64)]) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for (conv, seq) in keys {
            out.extend(self.get(conv, *seq).await?);
        }
        Ok(out)
    }
    /// Messages in the ranges not sent by `user` whose body may mention someone (a cheap
    /// prefilter: callers parse the bodies to decide).
    async fn mention_candidates(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<Message>, StoreError> {
        let _ = (user, ranges);
        Ok(Vec::new())
    }
}

/// Messages of one conversation with `after < seq <= upto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadRange {
    /// Conversation.
    pub conv: ConvId,
    /// Exclusive lower bound.
    pub after: u64,
    /// Inclusive upper bound.
    pub upto: u64,
}

/// Conversations, their members and members' read positions.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Creates a direct conversation and both member rows if missing (idempotent).
    async fn ensure_direct(&self, conv: &ConvId, now_ms: i64) -> Result<(), StoreError>;
    /// The member's state, `None` when the conversation or membership does not exist.
    async fn member_view(&self, conv: &ConvId, user: &UserId) -> Result<Option<MemberView>, StoreError>;
    /// Raises each member's read_seq to its move's `seq`, all in one transaction, where the
    /// member may see that seq (it exists in the conversation and is not past the member's
    /// `visible_until`) and has not read that far yet; returns what each move found, in order
    /// (a member already past a move says where it is, so the caller needs no query).
    async fn mark_read_many(&self, moves: &[ReadMove]) -> Result<Vec<ReadOutcome>, StoreError>;
    /// Read positions of the conversation's current members (not of former ones).
    async fn read_positions(&self, conv: &ConvId) -> Result<Vec<ReadPosition>, StoreError>;
    /// The member's conversations, pinned first, then most recently active first; with
    /// `since`, only rows whose version is above it.
    async fn list_for_user(&self, user: &UserId, since: Option<i64>, limit: u64)
    -> Result<Vec<MemberView>, StoreError>;
    /// Changes the member's preferences; `false` if there is no member row.
    async fn set_prefs(
        &self,
        conv: &ConvId,
        user: &UserId,
        patch: &PrefsPatch,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Of the given `(conversation, member)` pairs, those whose member muted the conversation
    /// (one query for a whole batch, for offline push).
    async fn muted_among(&self, pairs: &[(ConvId, UserId)]) -> Result<Vec<(ConvId, UserId)>, StoreError> {
        let mut out = Vec::new();
        for (conv, user) in pairs {
            if self.member_view(conv, user).await?.is_some_and(|v| v.prefs.muted) {
                out.push((conv.clone(), user.clone()));
            }
        }
        Ok(out)
    }
}

/// Hands out per-conversation sequence numbers.
#[async_trait]
pub trait SeqAllocator: Send + Sync {
    /// Reserves `n` consecutive seqs and returns the first.
    async fn allocate(&self, conv: &ConvId, n: u64) -> Result<u64, StoreError>;
    /// Reserves seqs for several conversations at once (one round trip where the backend
    /// allows); returns the first seq of each, in order.
    async fn allocate_many(&self, wanted: &[(ConvId, u64)]) -> Result<Vec<u64>, StoreError> {
        let mut firsts = Vec::with_capacity(wanted.len());
        for (conv, n) in wanted {
            firsts.push(self.allocate(conv, *n).await?);
        }
        Ok(firsts)
    }
    /// Moves the counter to at least `floor` after a collision showed it was behind.
    async fn reseed(&self, conv: &ConvId, floor: u64) -> Result<(), StoreError>;
}

/// Routes events to the devices that are online, wherever they are connected.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Best effort: a lost delivery is repaired by the client's next sync.
    async fn notify(&self, delivery: Delivery);
    /// Several deliveries, in order (batched where the transport allows).
    async fn notify_many(&self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            self.notify(d).await;
        }
    }
}

/// Per-user change counters: a user's moves with every message committed into one of their
/// conversations. The `pong` frame carries it, so a connected device that missed a push (a
/// route lost, a broker link down) sees it move and syncs within one heartbeat. Moved by the
/// notifier as it hands messages on; a counter that was lost starts again from nothing, which the
/// device also sees as a move.
#[async_trait]
pub trait ChangeCounter: Send + Sync {
    /// The user's counter now (0 when none is kept).
    async fn current(&self, user: &UserId) -> Result<u64, StoreError>;
}

/// Password hashing (slow by design; implementations keep it off the async workers).
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hash for storage.
    async fn hash(&self, password: &str) -> Result<String, StoreError>;
    /// Whether the password matches the stored hash.
    async fn verify(&self, password: &str, hash: &str) -> Result<bool, StoreError>;
}

/// What an access token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// User.
    pub user_id: UserId,
    /// Device session.
    pub session_id: SessionId,
    /// Device.
    pub device_id: DeviceId,
    /// Expiry (seconds since epoch).
    pub expires_at: i64,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Well formed and signed, but past its expiry.
    #[error("token expired")]
    Expired,
    /// Malformed, wrongly signed, or using another algorithm.
    #[error("token invalid")]
    Invalid,
}

/// Issues and checks tokens.
pub trait TokenService: Send + Sync {
    /// A signed access token for the claims.
    fn issue_access(&self, claims: &AccessClaims) -> Result<String, StoreError>;
    /// Checks signature, algorithm and expiry.
    fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError>;
    /// A new random refresh secret.
    fn new_secret(&self) -> String;
    /// The stored form of a refresh secret.
    fn hash_secret(&self, secret: &str) -> String;
}

/// Hands a delivery to the devices connected to this instance (the WebSocket hub). Must not
/// block: a slow device is the hub's problem, never the sender's.
pub trait LocalDelivery: Send + Sync {
    /// Delivers to every matching local connection.
    fn deliver(&self, delivery: &Delivery);
}

/// Which connection holds a device's route. A device can have two connections for a while (a
/// stale socket on a paused instance and its newer one elsewhere): the newer one owns the route,
/// and the stale one can neither overwrite nor delete it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteOwner {
    /// When the connection was registered (microseconds since the Unix epoch): newer wins.
    pub since_us: u64,
    /// The connection's id in its process (tells apart two registered in the same microsecond).
    pub conn: u64,
}

/// Where each connected device is (cluster mode): written on connect, kept alive by periodic
/// refreshes, removed on disconnect, each time only by the connection that owns it. Best effort:
/// a lost route costs a push, never a message.
#[async_trait]
pub trait RouteRegistry: Send + Sync {
    /// A device connected to this instance as `owner`. Returns whether it is now the user's only
    /// connected device anywhere (the user came online).
    async fn connected(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> bool;
    /// That connection ended. Returns whether the user has no connected device left anywhere
    /// (the user went offline).
    async fn disconnected(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> bool;
    /// Re-asserts the routes of the connections here (after expiry or a lost Redis state).
    /// Returns the ones whose device has a newer connection elsewhere: they are stale and
    /// should close.
    async fn refresh(&self, devices: &[(UserId, DeviceId, RouteOwner)]) -> Vec<(UserId, DeviceId, RouteOwner)>;
}

/// Reads presence (the hub in embedded mode, Redis in cluster mode).
#[async_trait]
pub trait PresenceReader: Send + Sync {
    /// Presence of each user, in the order asked.
    async fn presence(&self, users: &[UserId], now_ms: i64) -> Result<Vec<PresenceStatus>, StoreError>;
    /// The user's devices connected now (anywhere in the cluster).
    async fn online_devices(&self, user: &UserId) -> Result<Vec<DeviceId>, StoreError>;
}

/// Recently committed `(sender, client_msg_id)` keys with their acks, so a retry is answered
/// without a database lookup. Best effort: a miss proves nothing (the unique index in the
/// database stays the authority), and a failing cache just misses.
#[async_trait]
pub trait DedupeCache: Send + Sync {
    /// The stored ack of each key, if remembered.
    async fn get_many(&self, keys: &[(UserId, String)]) -> Vec<Option<Ack>>;
    /// Remembers freshly committed messages.
    async fn put_many(&self, messages: &[Message]);
}

/// A rate: `burst` requests at once, refilling at `per_sec` a second (GCRA).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests a second, sustained.
    pub per_sec: f64,
    /// Requests allowed back to back.
    pub burst: u32,
}

/// Rate limiting keyed by caller (user, IP, API key). Embedded mode counts in process; cluster
/// mode counts in Redis so the limit holds across instances.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// `Ok` if one more request under `key` fits `rate`, else how long until one would.
    async fn check(&self, key: &str, rate: Rate) -> Result<(), std::time::Duration>;
    /// Like `check`, but records nothing: whether one more would fit now. For budgets spent
    /// only by some outcomes (failed logins) but enforced on every attempt.
    async fn peek(&self, key: &str, rate: Rate) -> Result<(), std::time::Duration>;
    /// Forgets what `key` has spent: its whole budget is back. For budgets an outcome forgives
    /// (a successful login forgives the failed ones before it).
    async fn forget(&self, key: &str);
}

/// A counter shared by every instance that moves on after each write able to change whether a
/// send is allowed: a direct-message gate (block, friendship, policy) or a group gate (the group,
/// its members, roles and mutes). Remembered gates are trusted only while it stands still, so a
/// block or a mute made through any instance holds at once everywhere.
#[async_trait]
pub trait GateEpoch: Send + Sync {
    /// The epoch as read at some moment after this call began.
    async fn current(&self) -> Result<u64, StoreError>;
    /// Moves the epoch on; called after the write reached storage.
    async fn bump(&self) -> Result<(), StoreError>;
}

/// Friends, friend requests, blocks and direct-message policies.
#[async_trait]
pub trait SocialStore: Send + Sync {
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
    /// Blocks, friendship and policy between a sender and a peer, in one round trip.
    async fn direct_gate(&self, sender: &UserId, peer: &UserId) -> Result<DirectGate, StoreError>;
}

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

/// Groups, their members (with each member's visible range in the group conversation) and join
/// requests.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Creates the group, its conversation and its first members in one transaction.
    async fn create(&self, group: &Group, members: &[GroupMember]) -> Result<(), StoreError>;
    /// A group by id.
    async fn get(&self, id: &str) -> Result<Option<Group>, StoreError>;
    /// Several groups by id (unknown ids are left out).
    async fn get_many(&self, ids: &[String]) -> Result<Vec<Group>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.get(id).await?);
        }
        Ok(out)
    }
    /// A group and the user's membership of it (if any), in one round trip.
    async fn gate(&self, id: &str, user: &UserId) -> Result<Option<(Group, Option<GroupMember>)>, StoreError>;
    /// Applies a settings change; the group after it, `None` if it does not exist.
    async fn update(&self, id: &str, patch: &GroupPatch, now_ms: i64) -> Result<Option<Group>, StoreError>;
    /// Marks the group dissolved. `false` if it was already.
    async fn dissolve(&self, id: &str, now_ms: i64) -> Result<bool, StoreError>;
    /// One member.
    async fn member(&self, id: &str, user: &UserId) -> Result<Option<GroupMember>, StoreError>;
    /// Members ordered by user id, after `after`.
    async fn members(&self, id: &str, after: Option<&UserId>, limit: u64) -> Result<Vec<GroupMember>, StoreError>;
    /// Every member's id (for fan-out).
    async fn member_ids(&self, id: &str) -> Result<Vec<UserId>, StoreError>;
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
    /// Adds members who are not members yet, unless that would pass `cap`. Each newcomer sees
    /// the conversation from `visible_from` on and has read up to `read_from`. Returns who was
    /// actually added.
    async fn add_members(
        &self,
        id: &str,
        members: &[GroupMember],
        cap: u32,
        visible_from: u64,
        read_from: u64,
    ) -> Result<Vec<UserId>, AddMembersError>;
    /// Removes a member; they keep read access to the log up to the seq the log had reached.
    /// `false` if they were not a member.
    async fn remove_member(&self, id: &str, user: &UserId) -> Result<bool, StoreError>;
    /// Extends a removed member's visible range to `seq` (the notice of their removal), unless
    /// they have rejoined since.
    async fn extend_visible_until(&self, id: &str, user: &UserId, seq: u64) -> Result<(), StoreError>;
    /// Changes a member's role (no-op for a non-member; callers check membership first).
    async fn set_role(&self, id: &str, user: &UserId, role: Role) -> Result<(), StoreError>;
    /// Hands ownership from `from` (who becomes an admin) to `to`, in one transaction.
    async fn transfer_owner(&self, id: &str, from: &UserId, to: &UserId, now_ms: i64) -> Result<(), StoreError>;
    /// Mutes a member until a time, or unmutes (`None`).
    async fn set_muted_until(&self, id: &str, user: &UserId, until: Option<i64>) -> Result<(), StoreError>;
    /// Changes a member's own settings.
    async fn update_member(&self, id: &str, user: &UserId, patch: &MemberPatch) -> Result<(), StoreError>;
    /// Stores a join request.
    async fn insert_join_request(&self, request: &JoinRequest) -> Result<(), StoreError>;
    /// One join request.
    async fn join_request(&self, id: &str) -> Result<Option<JoinRequest>, StoreError>;
    /// The user's pending request to join the group, if any.
    async fn pending_join_request(&self, group: &str, user: &UserId) -> Result<Option<JoinRequest>, StoreError>;
    /// A group's join requests, newest first, with ids below `before`.
    async fn join_requests(
        &self,
        group: &str,
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
