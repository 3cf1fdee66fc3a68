//! `[webhooks]`: delivery of outgoing webhooks (attempts, backoff, concurrency, log retention).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::{days, millis};
use super::{Key, SettingsError};

/// Outgoing webhooks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    #[serde(with = "millis")]
    pub retry_base: Duration,
    /// Longest wait between two attempts.
    #[serde(with = "millis")]
    pub retry_cap: Duration,
    /// Timeout of one attempt.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// Events waiting for the dispatcher in memory; past it they are written to storage directly.
    pub queue_capacity: usize,
    /// Attempts in flight at once per instance.
    pub max_in_flight: usize,
    /// How long a finished delivery stays in the log.
    #[serde(with = "days")]
    pub retention: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            queue_capacity: 10_000,
            max_in_flight: 64,
            retention: Duration::from_secs(7 * 86_400),
        }
    }
}

impl WebhookSettings {
    /// Every count and wait is positive, and the cap is not below the first wait.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.max_attempts == 0
            || self.retry_base.is_zero()
            || self.retry_cap < self.retry_base
            || self.timeout.is_zero()
            || self.queue_capacity == 0
            || self.max_in_flight == 0
        {
            return Err(SettingsError::new(
                "webhooks.max_attempts, retry_base, timeout, queue_capacity and max_in_flight must be \
                 positive, and webhooks.retry_cap at least retry_base",
            ));
        }
        Ok(())
    }
}

/// `[webhooks]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("max_attempts", "attempts per delivery before it is marked failed"),
    Key::new("retry_base", "wait after the first failed attempt, doubled after each further one").was("retry_base_ms"),
    Key::new("retry_cap", "longest wait between two attempts").was("retry_cap_ms"),
    Key::new("timeout", "timeout of one attempt").was("timeout_ms"),
    Key::new("queue_capacity", "events waiting in memory before they go to storage directly"),
    Key::new("max_in_flight", "attempts running at once per instance"),
    Key::new("retention", "how long a finished delivery stays in the log").was("retention_days"),
];
