//! Native push and do-not-disturb: this device's push token, the user's notification settings
//! (privacy of the text, quiet hours; shared by all their devices), the mute of a conversation
//! (for good or until a time, kept in the store so the list shows it offline) and the badge, the
//! server's exact unread count.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use tidings_protocol::push as wire;

use crate::SdkError;
use crate::client::Client;
use crate::pins::conv_path;
use crate::rest::percent_encode;
use crate::store::{ConvFacts, Mute};
use crate::types::Conversation;

/// The user's notification settings, shared by all their devices.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PushSettings {
    /// What a notification shows: `full` (conversation, sender and text), `sender` (who, not
    /// what) or `hidden` (only that something arrived).
    pub privacy: String,
    /// The daily window without notifications (mentions of the user by name still push), if any.
    pub quiet_hours: Option<QuietHours>,
    /// The user's devices with a push token.
    pub devices: Vec<PushDevice>,
}

/// A daily window without notifications, in clock times of a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QuietHours {
    /// Start, local `HH:MM`.
    pub start: String,
    /// End, local `HH:MM` (earlier than `start` for a window over midnight; never equal).
    pub end: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub tz: String,
}

/// A device of the user with a push token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PushDevice {
    /// The device id it logged in with.
    pub device_id: String,
    /// `apns` or `fcm`.
    pub platform: String,
    /// When its token was registered or last refreshed (ms since epoch).
    pub updated_at: i64,
}

impl From<wire::PushSettings> for PushSettings {
    fn from(s: wire::PushSettings) -> Self {
        Self {
            privacy: s.privacy,
            quiet_hours: s.quiet_hours.map(|q| QuietHours { start: q.start, end: q.end, tz: q.tz }),
            devices: s
                .devices
                .into_iter()
                .map(|d| PushDevice { device_id: d.device_id, platform: d.platform, updated_at: d.updated_at })
                .collect(),
        }
    }
}

/// The server's answer to a change of a conversation's settings (the part the SDK keeps).
#[derive(Deserialize)]
struct PrefsAnswer {
    muted: bool,
    #[serde(default)]
    muted_until: Option<i64>,
}

/// Path of this device's push token.
fn token_path(device_id: &str) -> String {
    format!("/api/v1/me/devices/{}/push", percent_encode(device_id))
}

impl Client {
    /// Registers this device's push token with the server, replacing its earlier one:
    /// `platform` is `apns` (iOS) or `fcm` (Android), `token` what the platform gave the app.
    /// Messages that arrive while none of the user's devices is connected are then pushed to
    /// it. Needs a logged-in session (the device is the one of [`crate::ClientConfig`]). A bad
    /// platform or token is refused by the server with code `invalid_field`.
    pub async fn register_push_token(&self, platform: String, token: String) -> Result<(), SdkError> {
        let inner = self.inner();
        inner.me()?;
        let body = serde_json::to_value(wire::PushTokenRequest { platform, token })?;
        inner.rest.call::<Value>(Method::PUT, &token_path(&inner.config.device_id), Some(body)).await.map(|_| ())
    }

    /// Forgets this device's push token on the server: it gets no more notifications (after a
    /// logout it gets none anyway). Doing it twice is no error.
    pub async fn unregister_push_token(&self) -> Result<(), SdkError> {
        let inner = self.inner();
        inner.me()?;
        inner.rest.call::<Value>(Method::DELETE, &token_path(&inner.config.device_id), None).await.map(|_| ())
    }

    /// The user's notification settings and the devices with a push token.
    pub async fn push_settings(&self) -> Result<PushSettings, SdkError> {
        self.patch_push(None).await
    }

    /// Sets what notifications show: `full`, `sender` or `hidden` (else `invalid_field`).
    /// Returns the settings now.
    pub async fn set_push_privacy(&self, privacy: String) -> Result<PushSettings, SdkError> {
        self.patch_push(Some(json!({ "privacy": privacy }))).await
    }

    /// Sets the quiet hours: every day from `start` to `end` (`HH:MM`, different; `end` before
    /// `start` spans midnight) in time zone `tz` (IANA, e.g. `Asia/Shanghai`), nothing is pushed
    /// but messages that mention the user by name. Refused with `invalid_field` otherwise.
    /// Returns the settings now.
    pub async fn set_quiet_hours(&self, start: String, end: String, tz: String) -> Result<PushSettings, SdkError> {
        let quiet = serde_json::to_value(wire::QuietHours { start, end, tz })?;
        self.patch_push(Some(json!({ "quiet_hours": quiet }))).await
    }

    /// Ends the quiet hours. Returns the settings now.
    pub async fn clear_quiet_hours(&self) -> Result<PushSettings, SdkError> {
        self.patch_push(Some(json!({ "quiet_hours": null }))).await
    }

    /// `GET /api/v1/me/push`, or `PATCH` with `patch`.
    async fn patch_push(&self, patch: Option<Value>) -> Result<PushSettings, SdkError> {
        let method = if patch.is_some() { Method::PATCH } else { Method::GET };
        let settings: wire::PushSettings = self.inner().rest.call(method, "/api/v1/me/push", patch).await?;
        Ok(settings.into())
    }

    /// Mutes `conv` for good (`true`: no pushes for it, on any of the user's devices), or
    /// unmutes it (`false`), which also ends a timed mute. Returns the row as the store has it
    /// now; a `ConversationChanged` event reports it too.
    pub async fn mute_conversation(&self, conv: String, muted: bool) -> Result<Conversation, SdkError> {
        self.set_mute(conv, json!({ "muted": muted })).await
    }

    /// Mutes `conv` until `until_ms` (ms since epoch; in the future, at most a year ahead, else
    /// `invalid_field`); pushes for it resume by themselves then. The row shows `muted` and
    /// `muted_until`. Returns the row as the store has it now.
    pub async fn mute_conversation_until(&self, conv: String, until_ms: i64) -> Result<Conversation, SdkError> {
        self.set_mute(conv, json!({ "muted_until": until_ms })).await
    }

    /// Changes the mute on the server, then in the store.
    async fn set_mute(&self, conv: String, body: Value) -> Result<Conversation, SdkError> {
        let inner = self.inner();
        let me = inner.me()?;
        let path = format!("/api/v1/conversations/{}", conv_path(&conv)?);
        let answer: PrefsAnswer = inner.rest.call(Method::PATCH, &path, Some(body)).await?;
        inner.store.ensure_conversation(&ConvFacts::from_id(&conv, &me)).await?;
        if inner.store.set_mute(&conv, Mute::from_server(answer.muted, answer.muted_until)).await? {
            inner.conversation_changed(&conv).await?;
        }
        inner
            .store
            .conversation(&conv, &me)
            .await?
            .ok_or_else(|| SdkError::Store { message: format!("no row for {conv} after muting it") })
    }

    /// The badge: the user's unread messages over all conversations, as the server counts them
    /// (`GET /api/v1/me/badge`, what native pushes carry). Once the store is synced it equals
    /// [`Client::total_unread`], the same count from the store, which also works offline.
    pub async fn badge_count(&self) -> Result<u64, SdkError> {
        let badge: wire::Badge = self.inner().rest.call(Method::GET, "/api/v1/me/badge", None).await?;
        Ok(badge.unread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_stay_one_path_segment() {
        assert_eq!(token_path("py-alice_1.x~"), "/api/v1/me/devices/py-alice_1.x~/push");
        assert_eq!(token_path("a/b?c#d%e"), "/api/v1/me/devices/a%2Fb%3Fc%23d%25e/push");
    }

    #[test]
    fn a_mute_from_the_server() {
        let now = 1_000_000;
        let timed = Mute::from_server(true, Some(now + 60_000));
        assert_eq!(timed, Mute { forever: false, until: Some(now + 60_000) });
        assert!(timed.holds(now) && !timed.holds(now + 60_000), "a timed mute ends by itself");
        assert_eq!(Mute::from_server(true, None), Mute { forever: true, until: None });
        assert!(Mute::from_server(true, None).holds(now + 1_000_000_000), "a mute for good holds");
        assert!(!Mute::from_server(false, None).holds(now));
    }
}
