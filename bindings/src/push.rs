//! Push tokens, notification settings, conversation mutes and the badge on [`TidingsClient`]
//! (a second exported `impl` block, like the first one: each call forwards to the SDK).

use tidings_sdk::{Conversation, PushSettings};

use crate::TidingsError;
use crate::client::{TidingsClient, call};

#[uniffi::export]
impl TidingsClient {
    /// Registers this device's push token: `platform` `apns` or `fcm`, `token` what the platform
    /// gave the app (a bad one is a `Server` error with code `invalid_field`).
    pub async fn register_push_token(&self, platform: String, token: String) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.register_push_token(platform, token).await }).await
    }

    /// Forgets this device's push token; doing it twice is no error.
    pub async fn unregister_push_token(&self) -> Result<(), TidingsError> {
        call(&self.inner, |c| async move { c.unregister_push_token().await }).await
    }

    /// The user's notification settings (privacy, quiet hours) and devices with a push token.
    pub async fn push_settings(&self) -> Result<PushSettings, TidingsError> {
        call(&self.inner, |c| async move { c.push_settings().await }).await
    }

    /// Sets what notifications show: `full`, `sender` or `hidden`; returns the settings now.
    pub async fn set_push_privacy(&self, privacy: String) -> Result<PushSettings, TidingsError> {
        call(&self.inner, |c| async move { c.set_push_privacy(privacy).await }).await
    }

    /// Sets daily quiet hours from `start` to `end` (`HH:MM`) in IANA time zone `tz`; returns
    /// the settings now.
    pub async fn set_quiet_hours(&self, start: String, end: String, tz: String) -> Result<PushSettings, TidingsError> {
        call(&self.inner, |c| async move { c.set_quiet_hours(start, end, tz).await }).await
    }

    /// Ends the quiet hours; returns the settings now.
    pub async fn clear_quiet_hours(&self) -> Result<PushSettings, TidingsError> {
        call(&self.inner, |c| async move { c.clear_quiet_hours().await }).await
    }

    /// Mutes `conv` for good (`true`) or unmutes it (`false`, also ending a timed mute);
    /// returns the conversation row now.
    pub async fn mute_conversation(&self, conv: String, muted: bool) -> Result<Conversation, TidingsError> {
        call(&self.inner, |c| async move { c.mute_conversation(conv, muted).await }).await
    }

    /// Mutes `conv` until `until_ms` (ms since epoch, in the future, at most a year ahead);
    /// returns the conversation row now, with `muted` and `muted_until`.
    pub async fn mute_conversation_until(&self, conv: String, until_ms: i64) -> Result<Conversation, TidingsError> {
        call(&self.inner, |c| async move { c.mute_conversation_until(conv, until_ms).await }).await
    }

    /// The server's unread count over all conversations (what the app icon shows); equal to
    /// `total_unread()` once the store is synced.
    pub async fn badge_count(&self) -> Result<u64, TidingsError> {
        call(&self.inner, |c| async move { c.badge_count().await }).await
    }
}
