//! `[retention]`: the background job that purges old messages.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::secs;
use super::{Key, SettingsError};

/// Retention: a background job purges messages older than `max_age`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSettings {
    /// Messages older than this are purged; zero keeps everything (no job runs).
    #[serde(with = "secs")]
    pub max_age: Duration,
    /// Time between purge passes.
    #[serde(with = "secs")]
    pub interval: Duration,
    /// Rows per delete statement.
    pub batch_size: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self { max_age: Duration::ZERO, interval: Duration::from_secs(3600), batch_size: 1000 }
    }
}

impl RetentionSettings {
    /// Whether the purge job runs at all.
    pub fn is_on(&self) -> bool {
        !self.max_age.is_zero()
    }

    /// When the job runs, its passes are spaced and bounded.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.is_on() && (self.interval.is_zero() || self.batch_size == 0) {
            return Err(SettingsError::new("retention.interval and retention.batch_size must be positive"));
        }
        Ok(())
    }
}

/// `[retention]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("max_age", "messages older than this are purged (0s: keep everything)").was("max_age_secs"),
    Key::new("interval", "time between purge passes").was("interval_secs"),
    Key::new("batch_size", "most rows one delete statement removes"),
];
