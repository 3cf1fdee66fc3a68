//! Accounts and device sessions.

use crate::ids::{DeviceId, SessionId, UserId};

/// The stored password hash of accounts that cannot log in with a password (the system
/// account, bots, users provisioned without one). It is not a valid hash, so nothing matches it.
pub const NO_PASSWORD: &str = "!";

/// A registered user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Unique login name.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Creation time, ms since epoch.
    pub created_at: i64,
    /// What the account may do.
    pub role: Role,
    /// When an administrator disabled the account (ms); `None` while it is enabled.
    pub disabled_at: Option<i64>,
}

impl User {
    /// Whether the account may log in with a password (not a bot, not the system account).
    pub fn can_log_in(&self) -> bool {
        matches!(self.role, Role::User | Role::Admin)
    }

    /// Whether an administrator disabled the account.
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Role {
    /// A person using the apps.
    #[default]
    User,
    /// A person who may use `/admin/v1`.
    Admin,
    /// An automated sender driven by a business system; cannot log in with a password.
    Bot,
    /// The built-in system account; cannot log in and cannot be changed.
    System,
}

impl Role {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
            Self::Bot => "bot",
            Self::System => "system",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "admin" => Some(Self::Admin),
            "bot" => Some(Self::Bot),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One login of one device. Its refresh token is stored only as a hash; the previous hash is
/// kept so that a replayed (stolen) refresh token is recognised and revokes the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSession {
    /// Id, carried in access tokens.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Device.
    pub device_id: DeviceId,
    /// Declared platform.
    pub platform: String,
    /// Hash of the current refresh secret.
    pub refresh_hash: String,
    /// Hash of the refresh secret used before the current one.
    pub prev_refresh_hash: Option<String>,
    /// Creation time (ms).
    pub created_at: i64,
    /// When the refresh token stops working (ms).
    pub expires_at: i64,
    /// Set once the session is revoked (logout, reuse, new login of the device).
    pub revoked_at: Option<i64>,
}

impl DeviceSession {
    /// Whether tokens of this session may still be used at `now_ms`.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now_ms
    }
}
