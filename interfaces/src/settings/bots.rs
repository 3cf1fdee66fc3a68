//! `[bots]`: how AI assistant bots run on this instance (their queue, workers and model
//! timeout, how much conversation they read) and the budgets of bots that set none.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::millis;
use super::{Key, SettingsError};

/// AI bots.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotSettings {
    /// Messages waiting for an answer; past it they get none (counted, logged).
    pub queue_capacity: usize,
    /// Model calls at once on this instance.
    pub workers: usize,
    /// How long one model call may take, streaming included; then the bot says it timed out.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// How often each instance rereads the bots (changes made elsewhere apply within it).
    #[serde(with = "millis")]
    pub reload: Duration,
    /// Most estimated tokens of context sent (system prompt included).
    pub context_tokens: u64,
    /// Most recent messages read back from the conversation.
    pub context_messages: u32,
    /// Default: model requests per bot per UTC day (0 = no limit).
    pub requests_per_day: u64,
    /// Default: tokens per bot per UTC day.
    pub tokens_per_day: u64,
    /// Default: model requests one user may cause per bot per UTC day.
    pub user_requests_per_day: u64,
    /// Default: tokens one user may cause per bot per UTC day.
    pub user_tokens_per_day: u64,
}

impl Default for BotSettings {
    fn default() -> Self {
        Self {
            queue_capacity: 1_000,
            workers: 4,
            timeout: Duration::from_secs(60),
            reload: Duration::from_secs(2),
            context_tokens: 3_000,
            context_messages: 50,
            requests_per_day: 10_000,
            tokens_per_day: 10_000_000,
            user_requests_per_day: 200,
            user_tokens_per_day: 200_000,
        }
    }
}

impl BotSettings {
    /// Positive sizes and times.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.queue_capacity == 0 || self.workers == 0 {
            return Err(SettingsError::new("bots.queue_capacity and bots.workers must be positive"));
        }
        if self.timeout.is_zero() || self.reload.is_zero() {
            return Err(SettingsError::new("bots.timeout and bots.reload must be positive"));
        }
        if self.context_tokens == 0 || self.context_messages == 0 {
            return Err(SettingsError::new("bots.context_tokens and bots.context_messages must be positive"));
        }
        Ok(())
    }
}

/// `[bots]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("queue_capacity", "messages waiting for a bot's answer; past it they get none (counted)"),
    Key::new("workers", "model calls at once on this instance"),
    Key::new("timeout", "longest model call, streaming included; then the bot says it timed out"),
    Key::new("reload", "how often each instance rereads the bots"),
    Key::new("context_tokens", "most estimated tokens of context sent to the model"),
    Key::new("context_messages", "most recent messages a bot reads back"),
    Key::new("requests_per_day", "default model requests per bot per UTC day (0 = no limit)"),
    Key::new("tokens_per_day", "default tokens per bot per UTC day (0 = no limit)"),
    Key::new("user_requests_per_day", "default model requests one user may cause per bot per UTC day (0 = no limit)"),
    Key::new("user_tokens_per_day", "default tokens one user may cause per bot per UTC day (0 = no limit)"),
];
