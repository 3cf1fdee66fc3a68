//! `[push]`: offline push notifications, through a provider.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::millis;
use super::{Key, Secret, SettingsError};

/// Who delivers offline pushes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushProviderKind {
    /// Off: nothing is installed, sends pay nothing.
    #[default]
    None,
    /// A signed JSON POST to `push.url`.
    Webhook,
}

/// Offline push: recipients with no connected device get a notice through a provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushSettings {
    /// `none` (off, costs nothing) or `webhook` (signed JSON POST to `url`).
    pub provider: PushProviderKind,
    /// The push gateway's URL (`webhook`).
    pub url: Option<String>,
    /// HMAC-SHA256 key of the `X-Tidings-Signature` header (`webhook`).
    pub secret: Option<Secret>,
    /// Notices carry the first characters of a text message (off: only ids and kind).
    pub preview: bool,
    /// Committed messages waiting for the push worker; past it, pushes are dropped (never sends).
    pub queue_capacity: usize,
    /// Attempts per batch before it is given up.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    #[serde(with = "millis")]
    pub retry_base: Duration,
    /// Timeout of one attempt.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// Provider calls in flight at once per instance.
    pub max_in_flight: usize,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            provider: PushProviderKind::None,
            url: None,
            secret: None,
            preview: false,
            queue_capacity: 10_000,
            max_attempts: 3,
            retry_base: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
            max_in_flight: 8,
        }
    }
}

impl PushSettings {
    /// A webhook provider has somewhere to post and a key to sign with; the worker's bounds are
    /// positive.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        let fail = |m: &str| Err(SettingsError::new(m));
        match self.provider {
            PushProviderKind::None => {}
            PushProviderKind::Webhook => {
                let url_ok = self.url.as_deref().is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"));
                if !url_ok {
                    return fail("push.provider = webhook needs push.url (http:// or https://)");
                }
                if self.secret.as_ref().is_none_or(Secret::is_empty) {
                    return fail("push.provider = webhook needs push.secret (the HMAC key receivers verify)");
                }
            }
        }
        if self.queue_capacity == 0 || self.max_attempts == 0 || self.timeout.is_zero() || self.max_in_flight == 0 {
            return fail("push.queue_capacity, max_attempts, timeout and max_in_flight must be positive");
        }
        Ok(())
    }
}

/// `[push]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("provider", "offline push: none | webhook"),
    Key::new("url", "the push gateway (http:// or https://); needed for webhook"),
    Key::new("secret", "HMAC-SHA256 key of X-Tidings-Signature; needed for webhook"),
    Key::new("preview", "notices carry the first 100 characters of a text message"),
    Key::new("queue_capacity", "committed messages waiting for the push worker; past it, pushes are dropped"),
    Key::new("max_attempts", "attempts per POST"),
    Key::new("retry_base", "wait after the first failed attempt, doubled after each further one").was("retry_base_ms"),
    Key::new("timeout", "timeout of one attempt").was("timeout_ms"),
    Key::new("max_in_flight", "POSTs running at once per instance"),
];
