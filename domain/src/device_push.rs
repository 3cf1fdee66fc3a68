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

/// A daily window in which the user wants no notifications, in their own time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHours {
    /// Start, minutes after local midnight (0..1440).
    pub start_min: u16,
    /// End, minutes after local midnight (0..1440); before `start_min` for a window over midnight.
    pub end_min: u16,
    /// IANA time zone name, e.g. `Asia/Shanghai`.
    pub tz: String,
}

/// Minutes in a day.
const DAY_MINUTES: u16 = 24 * 60;

impl QuietHours {
    /// A window, if it is one: both ends within the day, not empty, and a known time zone.
    pub fn new(start_min: u16, end_min: u16, tz: &str) -> Option<Self> {
        let known = jiff::tz::TimeZone::get(tz).is_ok();
        (start_min < DAY_MINUTES && end_min < DAY_MINUTES && start_min != end_min && known).then(|| Self {
            start_min,
            end_min,
            tz: tz.to_owned(),
        })
    }

    /// Whether the instant `now_ms` falls inside the window in the window's time zone. An
    /// unknown zone (a name the database lost) counts as never quiet: a push too many beats a
    /// silent phone.
    pub fn contains(&self, now_ms: i64) -> bool {
        let Ok(tz) = jiff::tz::TimeZone::get(&self.tz) else { return false };
        let Ok(at) = jiff::Timestamp::from_millisecond(now_ms) else { return false };
        let local = at.to_zoned(tz);
        let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
        if self.start_min < self.end_min {
            (self.start_min..self.end_min).contains(&minute)
        } else {
            minute >= self.start_min || minute < self.end_min
        }
    }
}

/// `HH:MM` of a minute of the day.
pub fn clock_text(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The minute of the day of an `HH:MM` text (00:00 to 23:59).
pub fn parse_clock(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A user's notification preferences, shared by all their devices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushPrefs {
    /// How much a notification shows.
    pub privacy: PushPrivacy,
    /// When nothing is pushed (mentions of the user excepted).
    pub quiet_hours: Option<QuietHours>,
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

    #[test]
    fn quiet_hours_follow_the_users_zone_and_cross_midnight() {
        // 2026-01-15 15:30 UTC is 23:30 in Shanghai (UTC+8) and 10:30 in New York (UTC-5).
        let at = 1_768_491_000_000;
        let Some(night) = QuietHours::new(22 * 60, 7 * 60, "Asia/Shanghai") else { panic!("a valid window") };
        assert!(night.contains(at));
        assert!(!night.contains(at - 2 * 3_600_000), "21:30 is before the window");
        assert!(night.contains(at + 7 * 3_600_000), "06:30 the next morning is inside");
        assert!(!night.contains(at + 8 * 3_600_000), "07:30 is past it");
        let Some(work) = QuietHours::new(9 * 60, 17 * 60, "America/New_York") else { panic!("a valid window") };
        assert!(work.contains(at));
        assert!(!night.contains(at + 12 * 3_600_000));
        assert_eq!(QuietHours::new(60, 60, "UTC"), None, "an empty window");
        assert_eq!(QuietHours::new(60, 24 * 60, "UTC"), None);
        assert_eq!(QuietHours::new(60, 120, "Mars/Olympus"), None);
    }

    #[test]
    fn clock_texts_round_trip() {
        assert_eq!(parse_clock("07:05"), Some(425));
        assert_eq!(clock_text(425), "07:05");
        assert_eq!(parse_clock("23:59"), Some(1439));
        for bad in ["24:00", "7:05", "07:60", "0705", "ab:cd", ""] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
    }
}
