//! The bot workers: for each queued message, read the conversation as the bot (a message it may
//! not read gets nothing), check the budgets, ask the model while showing `typing`, and send the
//! answer through the ordinary send path as the bot, from device [`BOT_DEVICE`]. A model error
//! or timeout becomes a short message from the bot; so does a spent budget.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tidings_domain::account::Role;
use tidings_domain::bots::{BotConfig, ChatRequest, Limits, ModelError, Usage, day_of, estimate_tokens};
use tidings_domain::ports::{BotStore, ChatModel, UserRepository};
use tidings_domain::{ClientMsgId, Clock, ConvId, DeviceId, MessageKind, UserId};
use tokio::sync::{Mutex, mpsc};

use super::{BOT_DEVICE, BotDirectory, BotJob, BotMeter, BotOutcome, build_lines};
use crate::error::AppError;
use crate::messaging::MessagingService;

/// How often `typing` is pushed again while the model works (clients show it for a few seconds).
const TYPING_EVERY: Duration = Duration::from_secs(3);

/// What the bot says when the model failed.
pub const SAY_ERROR: &str = "Sorry, I could not get an answer right now. Please try again later.";
/// What the bot says when the model took too long.
pub const SAY_TIMEOUT: &str = "Sorry, that took too long to answer. Please try again later.";
/// What the bot says when a budget is spent.
pub const SAY_BUDGET: &str = "Sorry, I have reached my usage limit for today. Please try again tomorrow.";

/// How the workers run ([bots] settings).
#[derive(Debug, Clone, Copy)]
pub struct BotRuntime {
    /// Worker tasks (model calls at once per instance).
    pub workers: usize,
    /// Most estimated tokens of context (system prompt included).
    pub context_tokens: u64,
    /// Most messages read back from the conversation.
    pub context_messages: u32,
    /// Budgets of bots that set none.
    pub defaults: Limits,
    /// Longest answer sent (characters); a longer one is cut.
    pub max_answer_chars: usize,
}

/// What the workers use.
pub struct BotWorkers {
    /// The send path and the history, as the bot.
    pub messaging: Arc<MessagingService>,
    /// Accounts: whether the sender is a bot, whether the bot is disabled.
    pub users: Arc<dyn UserRepository>,
    /// Usage counters.
    pub store: Arc<dyn BotStore>,
    /// The model API.
    pub model: Arc<dyn ChatModel>,
    /// The bots' configurations.
    pub directory: Arc<BotDirectory>,
    /// Counters for `/metrics`.
    pub meter: Arc<dyn BotMeter>,
    /// The budgets' day.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub runtime: BotRuntime,
}

impl BotWorkers {
    /// Starts `runtime.workers` tasks taking jobs from `queue`.
    pub fn start(self, queue: mpsc::Receiver<BotJob>) {
        let workers = self.runtime.workers.max(1);
        let this = Arc::new(self);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..workers {
            let (this, queue) = (this.clone(), queue.clone());
            tokio::spawn(async move {
                loop {
                    let Some(job) = queue.lock().await.recv().await else { return };
                    let span =
                        tracing::info_span!("bot", bot = %job.bot, conv = %job.message.conv, seq = job.message.seq);
                    let _ = tracing::Instrument::instrument(this.answer(job), span).await;
                }
            });
        }
    }

    /// Answers one message, or decides not to.
    async fn answer(&self, job: BotJob) -> Result<(), AppError> {
        let Some(bot) = self.directory.get(&job.bot) else { return Ok(()) };
        let m = &job.message;
        // No loops: bots (ours and integration ones) and the system are never answered.
        let sender = self.users.by_id(&m.sender).await?;
        if sender.as_ref().is_none_or(|u| matches!(u.role, Role::Bot | Role::System)) {
            return Ok(());
        }
        if self.users.by_id(&bot.user_id).await?.is_none_or(|u| u.is_disabled()) {
            return Ok(());
        }
        // Read as the bot: what it may not read, it does not answer.
        let page = match self
            .messaging
            .history(&bot.user_id, &m.conv, None, Some(m.seq + 1), Some(self.runtime.context_messages))
            .await
        {
            Ok(page) => page,
            Err(e) => {
                tracing::debug!(error = %e, "the bot may not read this conversation: no answer");
                return Ok(());
            }
        };
        if !page.messages.iter().any(|x| x.seq == m.seq && x.msg_id == m.msg_id) {
            tracing::debug!("the bot cannot see the message: no answer");
            return Ok(());
        }
        let reply_id = format!("bot-{}", m.msg_id);
        let day = day_of(self.clock.now_ms());
        if self.over_budget(&bot, &m.sender, day).await? {
            self.meter.bot_done(BotOutcome::OverBudget, Duration::ZERO, 0, 0);
            tracing::info!(user = %m.sender, "a bot budget is spent: refusing");
            return self.say(&bot, m, &reply_id, SAY_BUDGET).await;
        }
        let (lines, estimated_in) =
            build_lines(&bot.user_id, &bot.system_prompt, &page.messages, self.runtime.context_tokens);
        let request = ChatRequest { endpoint: bot.as_ref().clone(), lines };
        let started = Instant::now();
        let result = self.ask_typing(&bot.user_id, m, &request).await;
        let took = started.elapsed();
        let (outcome, text, usage) = match result {
            Ok(answer) => {
                let (tin, tout) = answer.usage.unwrap_or((estimated_in, estimate_tokens(&answer.text)));
                let usage = Usage { requests: 1, tokens_in: tin, tokens_out: tout, errors: 0 };
                (BotOutcome::Answered, cut(&answer.text, self.runtime.max_answer_chars), usage)
            }
            Err(e) => {
                tracing::warn!(error = %e, took_ms = took.as_millis() as u64, "the model gave no answer");
                let usage = Usage { requests: 1, tokens_in: estimated_in, tokens_out: 0, errors: 1 };
                match e {
                    ModelError::Timeout => (BotOutcome::Timeout, SAY_TIMEOUT.to_owned(), usage),
                    _ => (BotOutcome::Error, SAY_ERROR.to_owned(), usage),
                }
            }
        };
        self.meter.bot_done(outcome, took, usage.tokens_in, usage.tokens_out);
        if let Err(e) = self.store.add_usage(&bot.user_id, &m.sender, day, usage).await {
            tracing::warn!(error = %e, "recording a bot's usage failed");
        }
        self.say(&bot, m, &reply_id, &text).await
    }

    /// Whether the bot's or this user's budget of the day is spent.
    async fn over_budget(&self, bot: &BotConfig, user: &UserId, day: i64) -> Result<bool, AppError> {
        let limits = bot.budgets.resolve(&self.runtime.defaults);
        let spent = |used: u64, limit: u64| limit > 0 && used >= limit;
        let total = self.store.usage(&bot.user_id, None, day).await?;
        if spent(total.requests, limits.requests_per_day) || spent(total.tokens(), limits.tokens_per_day) {
            return Ok(true);
        }
        let mine = self.store.usage(&bot.user_id, Some(user), day).await?;
        Ok(spent(mine.requests, limits.user_requests_per_day) || spent(mine.tokens(), limits.user_tokens_per_day))
    }

    /// Asks the model, pushing `typing` at once and every few seconds until it answers.
    async fn ask_typing(
        &self,
        bot: &UserId,
        m: &tidings_domain::message::Message,
        request: &ChatRequest,
    ) -> Result<tidings_domain::bots::ChatAnswer, ModelError> {
        let call = self.model.complete(request);
        tokio::pin!(call);
        let mut tick = tokio::time::interval(TYPING_EVERY);
        loop {
            tokio::select! {
                answer = &mut call => return answer,
                _ = tick.tick() => {
                    if let Err(e) = self.messaging.typing(bot, m.conv.clone()).await {
                        tracing::debug!(error = %e, "typing not shown");
                    }
                }
            }
        }
    }

    /// Sends `text` as the bot into the message's conversation and waits until it is stored.
    async fn say(
        &self,
        bot: &BotConfig,
        m: &tidings_domain::message::Message,
        reply_id: &str,
        text: &str,
    ) -> Result<(), AppError> {
        let client_msg_id = ClientMsgId::parse(reply_id.to_owned())
            .map_err(|_| AppError::Internal(format!("bad bot reply id {reply_id}")))?;
        let (device, body) = (DeviceId::new(BOT_DEVICE), json!({ "text": text }));
        let sent = match &m.conv {
            // The peer wrote first: their friends-only policy does not keep the answer out.
            ConvId::Direct { .. } => {
                self.messaging.send_answer(&bot.user_id, &device, m.conv.clone(), client_msg_id, &body).await
            }
            ConvId::Group(_) => {
                self.messaging
                    .send(&bot.user_id, &device, m.conv.clone(), client_msg_id, MessageKind::Text, &body)
                    .await
            }
        };
        match sent {
            Ok(pending) => match pending.wait().await {
                Ok(ack) => {
                    tracing::debug!(seq = ack.seq, "the bot answered");
                    Ok(())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the bot's answer was not stored");
                    Err(e)
                }
            },
            Err(e) => {
                // Refused like any send (word lists, the hook, blocks, mutes).
                tracing::info!(error = %e, "the bot's answer was refused");
                Err(e)
            }
        }
    }
}

/// `text` cut to `max` characters (an ellipsis marks the cut).
fn cut(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
