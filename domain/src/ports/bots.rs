//! Where AI bots are kept with what they spent (`crate::bots`), and the model API they call.

use async_trait::async_trait;

use crate::account::User;
use crate::bots::{BotConfig, ChatAnswer, ChatRequest, ModelError, Usage};
use crate::error::StoreError;
use crate::ids::UserId;

/// The bots' configurations and their daily usage.
#[async_trait]
pub trait BotStore: Send + Sync {
    /// Creates the bot's account (`user`, role `bot`, direct messages from anyone) and its
    /// configuration in one transaction. `Duplicate` when the username is taken.
    async fn create(&self, user: &User, config: &BotConfig) -> Result<(), StoreError>;
    /// Every bot, by user id.
    async fn all(&self) -> Result<Vec<BotConfig>, StoreError>;
    /// One bot.
    async fn get(&self, id: &UserId) -> Result<Option<BotConfig>, StoreError>;
    /// Replaces a bot's configuration; `false` if there is none.
    async fn update(&self, config: &BotConfig) -> Result<bool, StoreError>;
    /// Removes the configuration (the account stays, disabled by the caller); `false` if none.
    async fn delete(&self, id: &UserId) -> Result<bool, StoreError>;
    /// What the bot (`user: None`) or one user with it spent on `day`.
    async fn usage(&self, bot: &UserId, user: Option<&UserId>, day: i64) -> Result<Usage, StoreError>;
    /// Adds `delta` to the bot's and the user's counts of `day`.
    async fn add_usage(&self, bot: &UserId, user: &UserId, day: i64, delta: Usage) -> Result<(), StoreError>;
}

/// An OpenAI-compatible chat completions API.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// Asks for one answer, bounded by the adapter's timeout.
    async fn complete(&self, request: &ChatRequest) -> Result<ChatAnswer, ModelError>;
}
