//! AI assistant bots (docs/admin.md, "AI bots"): an administrator binds a bot account to an
//! OpenAI-compatible chat completions API; the bot answers direct messages and group messages
//! that mention it, through the ordinary send path, with the recent conversation as context.
//!
//! - [`BotAdmin`]: create, read, change, delete bots and read their usage (`/admin/v1/bots`);
//! - [`BotDirectory`]: which accounts are bots, on every instance (reloaded from storage);
//! - [`BotTrigger`]: the commit observer that picks the messages a bot answers and queues them;
//! - [`BotWorkers`]: the tasks that read the context, ask the model and send the answer.

mod admin;
mod answer;
mod context;
mod directory;
mod trigger;

use std::time::Duration;

pub use admin::{BotAdmin, BotInput, BotUsageView, NewBot};
pub use answer::{BotRuntime, BotWorkers, SAY_BUDGET, SAY_ERROR, SAY_TIMEOUT};
pub use context::build_lines;
pub use directory::BotDirectory;
pub use trigger::{BotJob, BotTrigger};

/// The device id a bot's answers are sent from.
pub const BOT_DEVICE: &str = "bot";

/// How one request to a bot ended, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BotOutcome {
    /// The model answered and the answer was sent.
    Answered,
    /// The model failed (error status, unreachable, garbage); the bot said so.
    Error,
    /// The model did not answer in time; the bot said so.
    Timeout,
    /// A budget was spent; the bot said so without asking the model.
    OverBudget,
    /// The queue was full: the message got no answer.
    Dropped,
}

impl BotOutcome {
    /// Every outcome, for registering the counters.
    pub const ALL: [Self; 5] = [Self::Answered, Self::Error, Self::Timeout, Self::OverBudget, Self::Dropped];

    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::OverBudget => "over_budget",
            Self::Dropped => "dropped",
        }
    }
}

/// Where bot requests are counted (the interfaces' metrics); the app does not know Prometheus.
pub trait BotMeter: Send + Sync {
    /// One message ended with `outcome`; `took` is the model call's time (zero when there was
    /// none), the tokens what it cost.
    fn bot_done(&self, outcome: BotOutcome, took: Duration, tokens_in: u64, tokens_out: u64);
}
