//! Accounts and device sessions.

use crate::ids::{DeviceId, SessionId, UserId};

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
