//! Native push to phones: the push token each device registers, the user's notification
//! preferences (privacy of the text, quiet hours), and the port of a platform's push service
//! (APNs, FCM) that delivers one notification per device.
//!
//! The offline-push rules themselves (who is offline, who muted what) stay in [`crate::push`];
//! this module is what a native provider needs on top: where to send, how much to show, and
//! what came back (an invalid token is removed so it is never tried again).

use std::sync::atomic::AtomicU64;

use async_trait::async_trait;

use crate::ids::{DeviceId, UserId};

/// Longest push token accepted (APNs tokens are 64 hex characters, FCM tokens about 160; both
/// vendors reserve the right to grow them).
pub const MAX_TOKEN_LEN: usize = 4096;

/// A platform's push service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushPlatform {
    /// Apple Push Notification service (iOS, macOS).
    Apns,
    /// Firebase Cloud Messaging HTTP v1 (Android).
    Fcm,
}

impl PushPlatform {
    /// Its name on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apns => "apns",
            Self::Fcm => "fcm",
        }
    }

    /// The platform a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "apns" => Some(Self::Apns),
            "fcm" => Some(Self::Fcm),
            _ => None,
        }
    }
}

/// One device's push token, as the device registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushToken {
    /// Whose device.
    pub user_id: UserId,
    /// Which device.
    pub device_id: DeviceId,
    /// Which push service the token belongs to.
    pub platform: PushPlatform,
    /// The token the platform gave the app.
    pub token: String,
    /// When it was registered or last refreshed (ms).
    pub updated_at: i64,
}

/// Whether a token is worth storing: not empty, not too long, printable ASCII only (both vendors'
/// tokens are; anything else is a client bug or an attempt to smuggle bytes into a header).
pub fn token_is_valid(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_TOKEN_LEN && token.bytes().all(|b| b.is_ascii_graphic())
}

/// How much of a message a notification shows on a locked screen (the user's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushPrivacy {
    /// Conversation, sender and the start of the text.
    #[default]
    Full,
    /// Who wrote, not what.
    SenderOnly,
    /// Only that there is something new.
    Hidden,
}

impl PushPrivacy {
    /// Its name on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::SenderOnly => "sender",
            Self::Hidden => "hidden",
        }
    }

    /// The privacy a wire name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(Self::Full),
            "sender" => Some(Self::SenderOnly),
            "hidden" => Some(Self::Hidden),
            _ => None,
        }
    }
}

/// One notification for one device, worded and counted already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePush {
    /// The device's token.
    pub token: String,
    /// First line (a conversation or sender name; the app's name when hidden).
    pub title: String,
    /// Second line (the preview, "sent an image", or a neutral line when hidden).
    pub body: String,
    /// The user's exact unread count over all conversations, for the app icon.
    pub badge: u64,
    /// The message mentions the user: delivered at once (APNs priority 10, FCM `HIGH`);
    /// otherwise the platform may save power (APNs 5, FCM `NORMAL`).
    pub high_priority: bool,
    /// Groups the notifications of one conversation on the device (APNs `thread-id`, FCM `tag`).
    pub thread: String,
    /// Replaces an earlier notification with the same id (APNs `apns-collapse-id`, FCM
    /// `collapse_key`): the message id, so a retried push never shows twice.
    pub collapse_id: String,
    /// What the app needs to open the message: `conv`, `seq`, `msg_id`, `sender`, `kind`.
    pub data: Vec<(String, String)>,
}

/// What became of one device push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// The platform accepted it.
    Delivered,
    /// The platform says the token is no longer valid (APNs 410 or `BadDeviceToken`, FCM
    /// `UNREGISTERED`): the token is removed and never tried again.
    InvalidToken,
    /// Given up after the retries; the reason is for the log.
    Failed(String),
}

/// Counters of one platform sender, for `/metrics`.
#[derive(Debug, Default)]
pub struct DeviceSendStats {
    /// Pushes the platform accepted.
    pub delivered: AtomicU64,
    /// Pushes refused because the token is invalid (the token is removed).
    pub invalid_token: AtomicU64,
    /// Pushes given up after their retries.
    pub failed: AtomicU64,
    /// Attempts repeated after a network error, a 5xx or a throttling answer.
    pub retried: AtomicU64,
    /// Throttling answers (HTTP 429) received.
    pub throttled: AtomicU64,
    /// Credentials made anew (a JWT signed, an OAuth access token fetched).
    pub credential_refreshes: AtomicU64,
}

/// A platform's push service. Takes a batch of device pushes and answers one outcome per push,
/// in order. Retries (with backoff, honouring `Retry-After`), credential refresh and the bound on
/// requests in flight are the sender's own.
#[async_trait]
pub trait DevicePushSender: Send + Sync {
    /// Which platform this sender serves.
    fn platform(&self) -> PushPlatform;
    /// Delivers the pushes; never panics, reports failures as outcomes.
    async fn send(&self, pushes: Vec<DevicePush>) -> Vec<DeviceOutcome>;
    /// The sender's counters.
    fn stats(&self) -> &DeviceSendStats;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [PushPlatform::Apns, PushPlatform::Fcm] {
            assert_eq!(PushPlatform::parse(p.as_str()), Some(p));
        }
        for p in [PushPrivacy::Full, PushPrivacy::SenderOnly, PushPrivacy::Hidden] {
            assert_eq!(PushPrivacy::parse(p.as_str()), Some(p));
        }
        assert_eq!(PushPlatform::parse("gcm"), None);
        assert_eq!(PushPrivacy::parse("FULL"), None);
    }

    #[test]
    fn tokens_are_printable_ascii_of_bounded_length() {
        assert!(token_is_valid("a1b2c3"));
        assert!(!token_is_valid(""));
        assert!(!token_is_valid("has space"));
        assert!(!token_is_valid("line\nbreak"));
        assert!(!token_is_valid("令牌"));
        assert!(!token_is_valid(&"x".repeat(MAX_TOKEN_LEN + 1)));
    }
}
