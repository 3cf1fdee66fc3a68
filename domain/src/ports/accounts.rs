//! Accounts, device sessions, password hashing and tokens.

use crate::account::{DeviceSession, User};
use crate::error::StoreError;
use crate::ids::{DeviceId, SessionId, UserId};
use async_trait::async_trait;

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
