//! `[drain]`: the graceful drain on SIGTERM/SIGINT.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::{millis, secs};
use super::{Key, SettingsError};

/// Graceful drain: on SIGTERM/SIGINT the instance stops accepting, tells its clients where to
/// reconnect, acks what it accepted, and exits within `timeout`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrainSettings {
    /// The whole drain, signal to exit, takes at most this long (clients that do not close are cut).
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Where clients should reconnect: one base URL (`https://chat.example.com`, a load balancer)
    /// or several, comma-separated (other instances; each connection is given one of them).
    /// Unset: clients pick their next configured server.
    pub reconnect_hint: Option<String>,
    /// `reconnect` frames ask clients to wait a random time below this, so they come back spread out.
    #[serde(with = "millis")]
    pub reconnect_spread: Duration,
}

impl Default for DrainSettings {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(20), reconnect_hint: None, reconnect_spread: Duration::from_secs(1) }
    }
}

impl DrainSettings {
    /// The hinted URLs, trimmed, empty entries dropped.
    pub fn hints(&self) -> Vec<String> {
        self.reconnect_hint
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The drain has time, and every hint is a URL a client can dial.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.timeout.is_zero() {
            return Err(SettingsError::new("drain.timeout must be positive"));
        }
        if let Some(bad) = self.hints().into_iter().find(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
            return Err(SettingsError::new(format!("drain.reconnect_hint: `{bad}` is not an http(s):// URL")));
        }
        Ok(())
    }
}

/// `[drain]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("timeout", "on SIGTERM/SIGINT the whole drain takes at most this long, then exit 0").was("timeout_secs"),
    Key::new("reconnect_hint", "where draining clients should reconnect: a URL, or URLs comma-separated"),
    Key::new("reconnect_spread", "clients wait a random time below this before reconnecting")
        .was("reconnect_spread_ms"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_trimmed_and_must_be_urls() {
        let hints = DrainSettings { reconnect_hint: Some(" https://a:1 ,, http://b:2 ".into()), ..Default::default() };
        assert_eq!(hints.hints(), vec!["https://a:1".to_owned(), "http://b:2".to_owned()]);
        assert!(hints.check().is_ok());
        let bad = DrainSettings { reconnect_hint: Some("ws://a:1".into()), ..Default::default() };
        assert!(bad.check().err().map(|e| e.to_string()).unwrap_or_default().contains("ws://a:1"));
        let none = DrainSettings { timeout: Duration::ZERO, ..Default::default() };
        assert!(none.check().err().map(|e| e.to_string()).unwrap_or_default().contains("drain.timeout"));
    }
}
