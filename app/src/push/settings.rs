//! A user's push settings: their devices' push tokens, how much a notification shows, quiet
//! hours, and the badge count. Shared by all the user's devices (stored on the server; every
//! device reads the same answer).

use std::sync::Arc;

use tidings_domain::device_push::{PushPlatform, PushPrefs, PushToken, token_is_valid};
use tidings_domain::ports::{PushStore, SessionRepository};
use tidings_domain::{Clock, DeviceId, UserId};

use crate::error::AppError;

/// The user's push settings and registered devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSettingsView {
    /// Privacy and quiet hours.
    pub prefs: PushPrefs,
    /// Registered tokens, by device.
    pub tokens: Vec<PushToken>,
}

/// Registers push tokens and keeps notification preferences.
#[derive(Clone)]
pub struct PushSettingsService {
    store: Arc<dyn PushStore>,
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
}

impl PushSettingsService {
    /// A service over the push store; sessions tell which devices are the user's.
    pub fn new(store: Arc<dyn PushStore>, sessions: Arc<dyn SessionRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { store, sessions, clock }
    }

    /// Registers (or refreshes) the push token of one of the caller's logged-in devices.
    pub async fn register(
        &self,
        user: &UserId,
        device: &DeviceId,
        platform: &str,
        token: &str,
    ) -> Result<PushToken, AppError> {
        let platform =
            PushPlatform::parse(platform).ok_or_else(|| AppError::InvalidField("platform: one of apns, fcm".into()))?;
        if !token_is_valid(token) {
            return Err(AppError::InvalidField("token: 1 to 4096 printable ASCII characters".into()));
        }
        let now = self.clock.now_ms();
        let mine = self.sessions.active_for_user(user, now).await?.iter().any(|s| s.device_id == *device);
        if !mine {
            return Err(AppError::NotFound("device"));
        }
        let registered = PushToken {
            user_id: user.clone(),
            device_id: device.clone(),
            platform,
            token: token.to_owned(),
            updated_at: now,
        };
        self.store.put_token(&registered).await?;
        tracing::info!(user = %user, device = device.as_str(), platform = platform.as_str(), "push token registered");
        Ok(registered)
    }

    /// Forgets the device's push token (no more notifications on it); idempotent.
    pub async fn unregister(&self, user: &UserId, device: &DeviceId) -> Result<(), AppError> {
        self.store.delete_token(user, device).await?;
        Ok(())
    }

    /// The caller's preferences.
    pub async fn prefs(&self, user: &UserId) -> Result<PushPrefs, AppError> {
        Ok(self.store.prefs_of(std::slice::from_ref(user)).await?.pop().unwrap_or_default())
    }

    /// The caller's preferences and registered devices.
    pub async fn view(&self, user: &UserId) -> Result<PushSettingsView, AppError> {
        Ok(PushSettingsView { prefs: self.prefs(user).await?, tokens: self.store.tokens_of(user).await? })
    }

    /// Replaces the caller's preferences (validated by the caller's parsing into [`PushPrefs`]).
    pub async fn set_prefs(&self, user: &UserId, prefs: &PushPrefs) -> Result<PushSettingsView, AppError> {
        self.store.set_prefs(user, prefs, self.clock.now_ms()).await?;
        self.view(user).await
    }

    /// The caller's unread count over all conversations: what the app icon shows.
    pub async fn badge(&self, user: &UserId) -> Result<u64, AppError> {
        Ok(self.store.badges(std::slice::from_ref(user)).await?.pop().unwrap_or(0))
    }
}
