//! Ports: what the use cases need from the outside world. Embedded mode and cluster mode
//! implement the same traits, so one code path serves both.

use async_trait::async_trait;

use crate::account::{DeviceSession, User};
use crate::conversation::MemberView;
use crate::error::StoreError;
use crate::event::Delivery;
use crate::ids::{ConvId, DeviceId, SessionId, UserId};
use crate::message::{Ack, Message};
use crate::presence::PresenceStatus;

/// Accounts.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user; `Duplicate` when the username is taken.
    async fn insert(&self, user: &User, password_hash: &str) -> Result<(), StoreError>;
    /// A user and their password hash, by username.
    async fn by_username(&self, username: &str) -> Result<Option<(User, String)>, StoreError>;
    /// A user by id.
    async fn by_id(&self, id: &UserId) -> Result<Option<User>, StoreError>;
    /// Changes the display name; `None` when the user does not exist.
    async fn set_display_name(&self, id: &UserId, name: &str) -> Result<Option<User>, StoreError>;
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
}

/// The message logs of all conversations.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Persists a batch in one transaction (group commit) and advances each conversation's
    /// `max_seq`. `Duplicate` when any `(conv, seq)` or `(sender, client_msg_id)` exists already;
    /// then nothing of the batch is stored.
    async fn append(&self, batch: &[Message]) -> Result<(), StoreError>;
    /// Stored messages for the given `(sender, client_msg_id)` keys.
    async fn find_by_client_ids(&self, keys: &[(UserId, String)]) -> Result<Vec<Message>, StoreError>;
    /// Highest stored seq of a conversation (0 when empty).
    async fn max_seq(&self, conv: &ConvId) -> Result<u64, StoreError>;
    /// Up to `limit` messages with seq > `after`, ascending.
    async fn after(&self, conv: &ConvId, after: u64, limit: u64) -> Result<Vec<Message>, StoreError>;
    /// Up to `limit` messages with seq < `before`, ascending (the newest `limit` of them).
    async fn before(&self, conv: &ConvId, before: u64, limit: u64) -> Result<Vec<Message>, StoreError>;
    /// One message.
    async fn get(&self, conv: &ConvId, seq: u64) -> Result<Option<Message>, StoreError>;
    /// Messages with seq > `after` not sent by `user`.
    async fn count_unread(&self, conv: &ConvId, user: &UserId, after: u64) -> Result<u64, StoreError>;
}

/// Conversations, their members and members' read positions.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Creates a direct conversation and both member rows if missing (idempotent).
    async fn ensure_direct(&self, conv: &ConvId, now_ms: i64) -> Result<(), StoreError>;
    /// The member's state, `None` when the conversation or membership does not exist.
    async fn member_view(&self, conv: &ConvId, user: &UserId) -> Result<Option<MemberView>, StoreError>;
    /// Raises the member's read_seq to `seq` (never lowers it); returns the resulting read_seq.
    async fn mark_read(&self, conv: &ConvId, user: &UserId, seq: u64) -> Result<u64, StoreError>;
    /// The member's conversations, most recently active first.
    async fn list_for_user(&self, user: &UserId, limit: u64) -> Result<Vec<MemberView>, StoreError>;
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

/// Where each connected device is (cluster mode): written on connect, kept alive by periodic
/// refreshes, removed on disconnect. Best effort: a lost route costs a push, never a message.
#[async_trait]
pub trait RouteRegistry: Send + Sync {
    /// A device connected to this instance. Returns whether it is now the user's only
    /// connected device anywhere (the user came online).
    async fn connected(&self, user: &UserId, device: &DeviceId) -> bool;
    /// That device's connection to this instance ended. Returns whether the user has no
    /// connected device left anywhere (the user went offline).
    async fn disconnected(&self, user: &UserId, device: &DeviceId) -> bool;
    /// Re-asserts the routes of devices connected here (after expiry or a cache flush).
    async fn refresh(&self, devices: &[(UserId, DeviceId)]);
}

/// Reads presence (the hub in embedded mode, Redis in cluster mode).
#[async_trait]
pub trait PresenceReader: Send + Sync {
    /// Presence of each user, in the order asked.
    async fn presence(&self, users: &[UserId], now_ms: i64) -> Result<Vec<PresenceStatus>, StoreError>;
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
}
