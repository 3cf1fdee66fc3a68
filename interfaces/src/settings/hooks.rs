//! `[hooks]`: the before-send hook, an HTTP callback to a business system for every send and
//! edit before it is stored.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::millis;
use super::{Key, Secret, SettingsError};

/// What a send does when the hook gives no usable answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookFailure {
    /// Store the message as sent (the outage is logged and counted).
    #[default]
    Open,
    /// Refuse the send with `content_check_unavailable`.
    Closed,
}

/// The before-send hook.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HookSettings {
    /// Where each send is POSTed before it is stored; unset: no hook, and sends pay nothing.
    pub before_send_url: Option<String>,
    /// HMAC-SHA256 key of the `X-Tidings-Signature` header.
    pub before_send_secret: Option<Secret>,
    /// How long a send waits for the answer.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// `open` (store as sent) or `closed` (refuse) when the hook times out, fails or answers
    /// garbage.
    pub on_failure: HookFailure,
}

impl Default for HookSettings {
    fn default() -> Self {
        Self {
            before_send_url: None,
            before_send_secret: None,
            timeout: Duration::from_secs(1),
            on_failure: HookFailure::Open,
        }
    }
}

impl HookSettings {
    /// A hook has an http(s) URL and a key to sign with.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        let Some(url) = &self.before_send_url else { return Ok(()) };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(SettingsError::new("hooks.before_send_url must start with http:// or https://"));
        }
        if self.timeout.is_zero() {
            return Err(SettingsError::new("hooks.timeout must be positive"));
        }
        if self.before_send_secret.as_ref().is_none_or(Secret::is_empty) {
            return Err(SettingsError::new(
                "hooks.before_send_url needs hooks.before_send_secret (the HMAC key the hook verifies)",
            ));
        }
        Ok(())
    }
}

/// `[hooks]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("before_send_url", "POSTed every send and edit before it is stored (http:// or https://); unset: no hook"),
    Key::new("before_send_secret", "HMAC-SHA256 key of X-Tidings-Signature; needed with before_send_url"),
    Key::new("timeout", "how long a send waits for the hook's answer"),
    Key::new("on_failure", "open (store as sent) | closed (refuse) when the hook fails or times out"),
];
