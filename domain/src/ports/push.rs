//! Native push storage: device tokens, notification preferences and badge counts.

use async_trait::async_trait;

use crate::device_push::{PushPlatform, PushPrefs, PushToken};
use crate::error::StoreError;
use crate::ids::{DeviceId, UserId};

/// Where push tokens and notification preferences live, and the badge count a push carries.
#[async_trait]
pub trait PushStore: Send + Sync {
    /// Registers or replaces the device's token. A token registered before by another device or
    /// user moves to this one (a phone signed into a new account stops notifying the old one).
    async fn put_token(&self, token: &PushToken) -> Result<(), StoreError>;
    /// Forgets the device's token; `false` when it had none.
    async fn delete_token(&self, user: &UserId, device: &DeviceId) -> Result<bool, StoreError>;
    /// The tokens of these users' devices that are still logged in (a revoked or expired
    /// session's token is never used, whatever revoked it).
    async fn live_tokens(&self, users: &[UserId], now_ms: i64) -> Result<Vec<PushToken>, StoreError>;
    /// The user's registered tokens, live or not (for their settings page).
    async fn tokens_of(&self, user: &UserId) -> Result<Vec<PushToken>, StoreError>;
    /// Removes tokens a platform called invalid, if they are still the ones registered.
    async fn remove_invalid(&self, tokens: &[(PushPlatform, String)]) -> Result<u64, StoreError>;
    /// The preferences of these users (defaults for those who never set any), in order.
    async fn prefs_of(&self, users: &[UserId]) -> Result<Vec<PushPrefs>, StoreError>;
    /// Replaces the user's preferences.
    async fn set_prefs(&self, user: &UserId, prefs: &PushPrefs, now_ms: i64) -> Result<(), StoreError>;
    /// Each user's unread count over all their conversations (the sum of the conversation
    /// list's `unread`), in order: the badge on the app icon.
    async fn badges(&self, users: &[UserId]) -> Result<Vec<u64>, StoreError>;
}
