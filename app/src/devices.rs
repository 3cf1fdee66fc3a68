//! Multi-device policy: how many devices per platform may be logged in at once, the caller's
//! device list, and remote logout.

use std::sync::Arc;

use tidings_domain::account::DeviceSession;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::{DeviceId, UserId};

use crate::accounts::AccountService;
use crate::error::AppError;

/// Why a session was ended, as the `kicked` frame names it: a newer login on the same platform.
pub const KICK_DEVICE_LIMIT: &str = "device_limit";
/// Why a session was ended: the user logged the device out from another one.
pub const KICK_REMOTE_LOGOUT: &str = "remote_logout";

/// Most devices per platform logged in at once; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceLimits {
    /// `android`.
    pub android: u32,
    /// `ios`.
    pub ios: u32,
    /// `desktop`.
    pub desktop: u32,
    /// `web`.
    pub web: u32,
    /// `other`.
    pub other: u32,
}

impl Default for DeviceLimits {
    fn default() -> Self {
        Self { android: 1, ios: 1, desktop: 5, web: 5, other: 0 }
    }
}

impl DeviceLimits {
    /// The limit of one platform (unknown platforms count as `other`).
    pub fn of(&self, platform: &str) -> u32 {
        match platform {
            "android" => self.android,
            "ios" => self.ios,
            "desktop" => self.desktop,
            "web" => self.web,
            _ => self.other,
        }
    }
}

impl AccountService {
    /// Makes room for one more login of `device` on `platform`: when the platform already has
    /// its limit of other devices logged in, the oldest are revoked and kicked.
    pub(crate) async fn enforce_device_limit(
        &self,
        user: &UserId,
        device: &DeviceId,
        platform: &str,
    ) -> Result<(), AppError> {
        let limit = self.device_limits.of(platform);
        if limit == 0 {
            return Ok(());
        }
        let same: Vec<DeviceSession> = self
            .sessions
            .active_for_user(user, self.clock.now_ms())
            .await?
            .into_iter()
            .filter(|s| s.platform == platform && s.device_id != *device)
            .collect();
        let excess = (same.len() + 1).saturating_sub(limit as usize);
        for old in same.into_iter().take(excess) {
            tracing::info!(user = %user, device = old.device_id.as_str(), platform, "device limit: kicking the oldest");
            self.sessions.revoke(&old.id, self.clock.now_ms()).await?;
            self.kick(user, old, KICK_DEVICE_LIMIT).await;
        }
        Ok(())
    }

    /// The user's logged-in devices, oldest session first.
    pub async fn devices(&self, user: &UserId) -> Result<Vec<DeviceSession>, AppError> {
        Ok(self.sessions.active_for_user(user, self.clock.now_ms()).await?)
    }

    /// Logs one of the user's devices out: revokes its sessions and kicks its sockets.
    pub async fn logout_device(&self, user: &UserId, device: &DeviceId) -> Result<(), AppError> {
        let live: Vec<DeviceSession> =
            self.devices(user).await?.into_iter().filter(|s| s.device_id == *device).collect();
        if live.is_empty() {
            return Err(AppError::NotFound("device"));
        }
        self.sessions.revoke_device(user, device, self.clock.now_ms()).await?;
        for session in live {
            self.kick(user, session, KICK_REMOTE_LOGOUT).await;
        }
        Ok(())
    }

    async fn kick(&self, user: &UserId, session: DeviceSession, reason: &str) {
        self.notifier
            .notify(Delivery {
                recipients: vec![user.clone()],
                skip_device: None,
                event: Arc::new(Event::Kicked {
                    user_id: user.clone(),
                    session_id: session.id,
                    reason: reason.to_owned(),
                }),
            })
            .await;
    }
}
