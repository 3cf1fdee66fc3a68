//! The commit observer that decides which committed messages a bot answers: text messages in a
//! direct chat with a bot, and group text messages whose `mentions` hold a bot. It never waits:
//! each answer to make goes on a bounded queue, and a full queue drops it (counted, logged).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::Message;
use tidings_domain::ports::CommitObserver;
use tidings_domain::{ConvId, UserId};
use tokio::sync::mpsc;

use super::{BotDirectory, BotMeter, BotOutcome};

/// One message a bot should answer.
#[derive(Debug, Clone)]
pub struct BotJob {
    /// The bot.
    pub bot: UserId,
    /// The message that asks.
    pub message: Message,
}

/// Picks the messages bots answer and queues them for the workers.
pub struct BotTrigger {
    directory: Arc<BotDirectory>,
    queue: mpsc::Sender<BotJob>,
    meter: Arc<dyn BotMeter>,
}

impl BotTrigger {
    /// A trigger queueing at most `capacity` jobs; the receiver goes to [`super::BotWorkers`].
    pub fn new(
        directory: Arc<BotDirectory>,
        capacity: usize,
        meter: Arc<dyn BotMeter>,
    ) -> (Self, mpsc::Receiver<BotJob>) {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        (Self { directory, queue, meter }, rx)
    }

    /// The bots that should answer `m` (none for bots', the system's and non-text messages).
    fn addressees(&self, m: &Message) -> Vec<UserId> {
        if m.kind != "text" || m.sender.is_system() {
            return Vec::new();
        }
        let bots = self.directory.snapshot();
        if bots.is_empty() || bots.contains_key(&m.sender) {
            return Vec::new();
        }
        match &m.conv {
            ConvId::Direct { .. } => {
                m.conv.peer_of(&m.sender).filter(|peer| bots.contains_key(*peer)).cloned().into_iter().collect()
            }
            ConvId::Group(_) => {
                let Ok(body) = serde_json::from_str::<Value>(&m.body) else { return Vec::new() };
                let Some(mentions) = body.get("mentions").and_then(Value::as_array) else { return Vec::new() };
                mentions
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(UserId::parse)
                    .filter(|id| bots.contains_key(id))
                    .collect()
            }
        }
    }
}

impl CommitObserver for BotTrigger {
    fn name(&self) -> &'static str {
        "bots"
    }

    fn observe(&self, deliveries: &[Delivery]) {
        for d in deliveries {
            let Event::Message(m) = d.event.as_ref() else { continue };
            for bot in self.addressees(m) {
                let job = BotJob { bot, message: m.clone() };
                if let Err(e) = self.queue.try_send(job) {
                    let job = match e {
                        mpsc::error::TrySendError::Full(j) | mpsc::error::TrySendError::Closed(j) => j,
                    };
                    self.meter.bot_done(BotOutcome::Dropped, Duration::ZERO, 0, 0);
                    tracing::warn!(bot = %job.bot, conv = %job.message.conv, seq = job.message.seq,
                        "bot queue full: the message gets no answer");
                }
            }
        }
    }
}
