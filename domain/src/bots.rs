//! AI assistant bots: a bot account bound to an OpenAI-compatible chat completions API, what it
//! sends the model, what it may spend, and what it has spent.

use crate::ids::UserId;

/// The key of a bot's model API. It never leaves the server: no route returns it, and `Debug`
/// (so every log line that prints a config) shows `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The key itself, for the `Authorization` header and storage only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no key is set (some local model servers take none).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What a bot may spend per UTC day; `None` takes the server's default (`[bots]`), and 0 means
/// no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budgets {
    /// Model requests of the bot, all users together.
    pub requests_per_day: Option<u64>,
    /// Tokens (in + out) of the bot, all users together.
    pub tokens_per_day: Option<u64>,
    /// Model requests one user may cause.
    pub user_requests_per_day: Option<u64>,
    /// Tokens (in + out) one user may cause.
    pub user_tokens_per_day: Option<u64>,
}

/// Budgets with every default filled in (0 = no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// See [`Budgets::requests_per_day`].
    pub requests_per_day: u64,
    /// See [`Budgets::tokens_per_day`].
    pub tokens_per_day: u64,
    /// See [`Budgets::user_requests_per_day`].
    pub user_requests_per_day: u64,
    /// See [`Budgets::user_tokens_per_day`].
    pub user_tokens_per_day: u64,
}

impl Budgets {
    /// These budgets with `defaults` where none is set.
    pub fn resolve(&self, defaults: &Limits) -> Limits {
        Limits {
            requests_per_day: self.requests_per_day.unwrap_or(defaults.requests_per_day),
            tokens_per_day: self.tokens_per_day.unwrap_or(defaults.tokens_per_day),
            user_requests_per_day: self.user_requests_per_day.unwrap_or(defaults.user_requests_per_day),
            user_tokens_per_day: self.user_tokens_per_day.unwrap_or(defaults.user_tokens_per_day),
        }
    }
}

/// One AI bot: its account and the model it answers with.
#[derive(Debug, Clone, PartialEq)]
pub struct BotConfig {
    /// The bot's account (role `bot`).
    pub user_id: UserId,
    /// The API's base URL, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
    pub base_url: String,
    /// The model name sent with each request.
    pub model: String,
    /// The API key (`Authorization: Bearer`).
    pub api_key: ApiKey,
    /// Sent first, as the `system` message.
    pub system_prompt: String,
    /// Sampling temperature, 0..=2.
    pub temperature: f32,
    /// Ask for a streamed answer (`"stream": true`, server-sent events).
    pub stream: bool,
    /// What the bot may spend.
    pub budgets: Budgets,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// What a bot, or one user with a bot, spent in one UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Model requests made.
    pub requests: u64,
    /// Tokens sent (prompt).
    pub tokens_in: u64,
    /// Tokens received (answer).
    pub tokens_out: u64,
    /// Requests that failed (error status, garbage, timeout).
    pub errors: u64,
}

impl Usage {
    /// Tokens in and out together: what the token budgets count.
    pub fn tokens(&self) -> u64 {
        self.tokens_in.saturating_add(self.tokens_out)
    }
}

/// The UTC day number (days since the Unix epoch) of a time in ms: the budgets' window.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}

/// A rough token count without the model's tokenizer: one token per CJK character (they
/// usually are one or more) and one per four other characters, rounded up, plus a few for the
/// message's framing. Good enough for bounding the context and the budgets, never exact.
pub fn estimate_tokens(text: &str) -> u64 {
    let (mut cjk, mut other) = (0u64, 0u64);
    for c in text.chars() {
        if is_cjk(c) {
            cjk += 1;
        } else {
            other += 1;
        }
    }
    cjk + other.div_ceil(4) + 4
}

/// Han, kana, hangul and CJK punctuation.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// Who said a line of the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    /// The bot's instructions.
    System,
    /// A person in the conversation.
    User,
    /// The bot itself.
    Assistant,
}

impl ChatRole {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One line of the context sent to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    /// Who said it.
    pub role: ChatRole,
    /// What was said.
    pub content: String,
}

/// One request to the model.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// Where and how (URL, model, key, temperature, streaming).
    pub endpoint: BotConfig,
    /// The system prompt first, then the conversation oldest first.
    pub lines: Vec<ChatLine>,
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAnswer {
    /// The text.
    pub text: String,
    /// Prompt and completion tokens when the API reported them.
    pub usage: Option<(u64, u64)>,
}

/// Why the model gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// No answer within the request timeout.
    #[error("the model did not answer in time")]
    Timeout,
    /// The API answered with an error status.
    #[error("the model API answered {0}")]
    Status(u16),
    /// The answer could not be read (not JSON, not the expected shape, too large, empty).
    #[error("the model's answer could not be read: {0}")]
    Garbage(String),
    /// The API could not be reached.
    #[error("the model API could not be reached: {0}")]
    Unreachable(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_estimated_per_cjk_char_and_per_four_others() {
        assert_eq!(estimate_tokens(""), 4);
        assert_eq!(estimate_tokens("abcd"), 5);
        assert_eq!(estimate_tokens("abcde"), 6);
        assert_eq!(estimate_tokens("你好"), 6);
        assert_eq!(estimate_tokens("你好 abc"), 2 + 1 + 4);
    }

    #[test]
    fn the_key_is_redacted_in_debug() {
        let key = ApiKey::new("sk-very-secret");
        assert_eq!(format!("{key:?}"), "[redacted]");
        assert_eq!(key.expose(), "sk-very-secret");
    }

    #[test]
    fn budgets_fall_back_to_defaults() {
        let d = Limits { requests_per_day: 10, tokens_per_day: 20, user_requests_per_day: 3, user_tokens_per_day: 4 };
        let b = Budgets { requests_per_day: Some(0), user_tokens_per_day: Some(9), ..Budgets::default() };
        assert_eq!(
            b.resolve(&d),
            Limits { requests_per_day: 0, tokens_per_day: 20, user_requests_per_day: 3, user_tokens_per_day: 9 }
        );
    }
}
