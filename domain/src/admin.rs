//! Enterprise administration: account management, API keys for business systems, and the
//! ports the admin and integration use cases need beyond the everyday ones.

use async_trait::async_trait;

use crate::account::{Role, User};
use crate::error::StoreError;
use crate::ids::{SessionId, UserId};

/// What an API key may do. A call outside its scopes is refused with `forbidden`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read users.
    UsersRead,
    /// Create and update users.
    UsersWrite,
    /// Send messages as a bot or the system account.
    MessagesSend,
    /// Register, list and delete webhooks and read their delivery logs.
    WebhooksManage,
}

impl Scope {
    /// Every scope, in wire order.
    pub const ALL: [Scope; 4] = [Self::UsersRead, Self::UsersWrite, Self::MessagesSend, Self::WebhooksManage];

    /// The wire form (`users:read`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsersRead => "users:read",
            Self::UsersWrite => "users:write",
            Self::MessagesSend => "messages:send",
            Self::WebhooksManage => "webhooks:manage",
        }
    }

    /// Parses the wire form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A fresh API key id: a ULID, so it contains no `_` and ids sort by creation time.
pub fn new_key_id() -> String {
    ulid::Ulid::new().to_string()
}

/// An API key as stored: only a hash of its secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Public part of the key (`tk_{key_id}_{secret}`).
    pub key_id: String,
    /// A name for people.
    pub name: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// Hash of the secret part.
    pub secret_hash: String,
    /// The admin who created it.
    pub created_by: UserId,
    /// Creation time (ms).
    pub created_at: i64,
    /// When it was revoked (ms).
    pub revoked_at: Option<i64>,
}

/// One page of a user search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery<'a> {
    /// Substring of the username or display name.
    pub q: Option<&'a str>,
    /// Only ids greater than this (the cursor of the previous page).
    pub after: Option<&'a UserId>,
    /// Page size.
    pub limit: u64,
}

/// Account administration in storage.
#[async_trait]
pub trait UserAdminStore: Send + Sync {
    /// Users matching the query, ascending by id.
    async fn search(&self, query: &UserQuery<'_>) -> Result<Vec<User>, StoreError>;
    /// Changes the role; `None` when the user does not exist.
    async fn set_role(&self, id: &UserId, role: Role) -> Result<Option<User>, StoreError>;
    /// Sets or clears `disabled_at`; `None` when the user does not exist.
    async fn set_disabled(&self, id: &UserId, disabled_at: Option<i64>) -> Result<Option<User>, StoreError>;
    /// Replaces the password hash; whether the user exists.
    async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<bool, StoreError>;
    /// Changes the display name and role in one update; `None` when the user does not exist.
    async fn update_profile(&self, id: &UserId, display_name: &str, role: Role) -> Result<Option<User>, StoreError>;
    /// Users stored, the system account excluded.
    async fn count_users(&self) -> Result<u64, StoreError>;
    /// Messages committed at or after `since_ms` (a scan of the log by time).
    async fn count_messages_since(&self, since_ms: i64) -> Result<u64, StoreError>;
    /// Revokes every active session of the user; returns their ids.
    async fn revoke_all_sessions(&self, user: &UserId, now_ms: i64) -> Result<Vec<SessionId>, StoreError>;
}

/// API keys in storage.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key.
    async fn insert(&self, key: &ApiKey) -> Result<(), StoreError>;
    /// A key by id, revoked or not.
    async fn get(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Every key, newest first.
    async fn list(&self) -> Result<Vec<ApiKey>, StoreError>;
    /// Marks a key revoked; whether it existed and was active.
    async fn revoke(&self, key_id: &str, now_ms: i64) -> Result<bool, StoreError>;
}

/// How many devices are connected now (this instance's hub, or the sum over a cluster).
#[async_trait]
pub trait OnlineCounter: Send + Sync {
    /// Connected devices.
    async fn online_devices(&self) -> Result<u64, StoreError>;
}
