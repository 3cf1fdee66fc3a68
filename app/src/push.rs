//! Offline push: after commit, each message's recipients with no connected device who have not
//! muted the conversation (or are mentioned by name) get a notice through the [`PushProvider`].
//!
//! An after-commit observer ([`CommitObserver`], listed in the composition root), so the commit
//! pipeline is untouched and only the instance that committed a message pushes it. When push is
//! off the observer is not in the list at all. When on, a send costs a kind check and a
//! non-blocking hand-off to a bounded queue; a full queue drops the notice (counted and logged),
//! never the send. A worker takes the queue in batches and resolves a batch with one presence
//! lookup (pipelined in cluster mode) and one query for mutes, whatever its size.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::Message;
use tidings_domain::ports::{CommitObserver, ConversationStore, PresenceReader};
use tidings_domain::push::{Mention, PushNotice, PushOutcome, PushProvider, kind_pushes, pushes_through};
use tidings_domain::{ConvId, UserId};
use tokio::sync::{Semaphore, mpsc};

use crate::clock::now_ms;

/// Messages resolved together (one presence lookup, one mute query, one provider call).
const WORKER_BATCH: usize = 256;

/// Characters of a text kept in a preview.
pub const PREVIEW_CHARS: usize = 100;

/// Dispatcher settings.
#[derive(Debug, Clone, Copy)]
pub struct PushConfig {
    /// Committed messages waiting for the worker; past it, pushes are dropped.
    pub queue_capacity: usize,
    /// Notices carry the start of a text message.
    pub preview: bool,
    /// Provider calls in flight at once.
    pub max_in_flight: usize,
}

/// Counters of the dispatcher, for logs and tests.
#[derive(Debug, Default)]
pub struct PushStats {
    /// Messages dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Notices the provider accepted.
    pub delivered: AtomicU64,
    /// Notices the provider gave up on.
    pub failed: AtomicU64,
}

/// A committed message and who it went to.
struct Committed {
    event: Arc<Event>,
    recipients: Vec<UserId>,
}

struct Inner {
    provider: Arc<dyn PushProvider>,
    presence: Arc<dyn PresenceReader>,
    convs: Arc<dyn ConversationStore>,
    config: PushConfig,
    stats: PushStats,
    in_flight: Arc<Semaphore>,
}

/// The push dispatcher: queue, worker and rules.
#[derive(Clone)]
pub struct PushService {
    inner: Arc<Inner>,
    queue: mpsc::Sender<Committed>,
}

impl PushService {
    /// Starts the worker on the current tokio runtime.
    pub fn start(
        provider: Arc<dyn PushProvider>,
        presence: Arc<dyn PresenceReader>,
        convs: Arc<dyn ConversationStore>,
        config: PushConfig,
    ) -> Self {
        let (queue, rx) = mpsc::channel(config.queue_capacity.max(1));
        let inner = Arc::new(Inner {
            provider,
            presence,
            convs,
            config,
            stats: PushStats::default(),
            in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        });
        tokio::spawn(worker(inner.clone(), rx));
        Self { inner, queue }
    }

    /// The counters.
    pub fn stats(&self) -> &PushStats {
        &self.inner.stats
    }

    /// Never waits: a message that may push goes onto the queue, or is dropped when it is full.
    fn committed(&self, delivery: &Delivery) {
        let Event::Message(m) = delivery.event.as_ref() else { return };
        if !kind_pushes(m) || !delivery.recipients.iter().any(|r| *r != m.sender) {
            return;
        }
        let job = Committed { event: delivery.event.clone(), recipients: delivery.recipients.clone() };
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send(job) {
            let dropped = self.inner.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped == 1 || dropped.is_multiple_of(1000) {
                tracing::warn!(dropped, "push queue full; offline pushes dropped (the messages are stored)");
            }
        }
    }
}

async fn worker(inner: Arc<Inner>, mut rx: mpsc::Receiver<Committed>) {
    while let Some(batch) = crate::batch::recv_batch(&mut rx, WORKER_BATCH).await {
        let Ok(permit) = inner.in_flight.clone().acquire_owned().await else { return };
        let inner = inner.clone();
        tokio::spawn(async move {
            resolve_and_push(&inner, batch).await;
            drop(permit);
        });
    }
}

/// Applies the rules to a batch and hands the notices to the provider.
async fn resolve_and_push(inner: &Inner, batch: Vec<Committed>) {
    let notices = match notices_for(inner, &batch).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, messages = batch.len(), "could not resolve offline pushes; batch skipped");
            return;
        }
    };
    if notices.is_empty() {
        return;
    }
    let count = notices.len();
    let outcomes = inner.provider.push(notices).await;
    let delivered = outcomes.iter().filter(|o| **o == PushOutcome::Delivered).count() as u64;
    let failed = count as u64 - delivered.min(count as u64);
    inner.stats.delivered.fetch_add(delivered, Ordering::Relaxed);
    inner.stats.failed.fetch_add(failed, Ordering::Relaxed);
    if let Some(PushOutcome::Failed(why)) = outcomes.iter().find(|o| matches!(o, PushOutcome::Failed(_))) {
        tracing::warn!(failed, error = why, "offline pushes failed");
    } else {
        tracing::debug!(delivered, "offline pushes sent");
    }
}

/// Who gets a notice for which message: offline (one presence lookup for the batch), then not
/// muted unless named (one mute query for the offline pairs).
async fn notices_for(inner: &Inner, batch: &[Committed]) -> Result<Vec<PushNotice>, tidings_domain::StoreError> {
    let messages: Vec<(&Message, &[UserId])> = batch
        .iter()
        .filter_map(|c| match c.event.as_ref() {
            Event::Message(m) => Some((m, c.recipients.as_slice())),
            _ => None,
        })
        .collect();
    let mut users: Vec<UserId> = messages
        .iter()
        .flat_map(|(m, rs)| rs.iter().filter(move |r| **r != m.sender))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    users.sort();
    let presence = inner.presence.presence(&users, now_ms()).await?;
    let offline: HashSet<&UserId> = users.iter().zip(&presence).filter(|(_, p)| !p.online).map(|(u, _)| u).collect();
    if offline.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<(ConvId, UserId)> = messages
        .iter()
        .flat_map(|(m, rs)| {
            rs.iter().filter(|r| **r != m.sender && offline.contains(r)).map(|r| (m.conv.clone(), r.clone()))
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let muted: HashSet<(ConvId, UserId)> = inner.convs.muted_among(&pairs).await?.into_iter().collect();
    let mut notices = Vec::new();
    let mut seen: HashMap<(&ConvId, u64), HashSet<&UserId>> = HashMap::new();
    for (m, recipients) in messages {
        let body = serde_json::from_str::<Value>(&m.body).unwrap_or(Value::Null);
        let preview = if inner.config.preview { preview(m, &body) } else { None };
        let done = seen.entry((&m.conv, m.seq)).or_default();
        for user in recipients.iter().filter(|r| **r != m.sender && offline.contains(r)) {
            let mention = mention_of(&body, user);
            let is_muted = muted.contains(&(m.conv.clone(), user.clone()));
            if !pushes_through(is_muted, mention) || !done.insert(user) {
                continue;
            }
            notices.push(PushNotice {
                user_id: user.clone(),
                conv: m.conv.clone(),
                seq: m.seq,
                msg_id: m.msg_id.clone(),
                sender: m.sender.clone(),
                kind: m.kind.clone(),
                preview: preview.clone(),
                mentioned: mention.any(),
            });
        }
    }
    Ok(notices)
}

/// How a message body mentions `user`.
fn mention_of(body: &Value, user: &UserId) -> Mention {
    let all = body.get("mention_all").and_then(Value::as_bool) == Some(true);
    let personal = body
        .get("mentions")
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(user.as_str())));
    Mention { personal, all }
}

/// The first [`PREVIEW_CHARS`] characters of a text message.
fn preview(m: &Message, body: &Value) -> Option<String> {
    if m.kind != "text" {
        return None;
    }
    body.get("text").and_then(Value::as_str).map(|t| t.chars().take(PREVIEW_CHARS).collect())
}

/// Offline push is one of the after-commit observers: it takes the messages that may push and
/// queues them, never waiting.
impl CommitObserver for PushService {
    fn name(&self) -> &'static str {
        "push"
    }

    fn observe(&self, deliveries: &[Delivery]) {
        deliveries.iter().for_each(|d| self.committed(d));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mentions_are_read_from_the_body() {
        let me = UserId::generate();
        let other = UserId::generate();
        let named = json!({"text": "hi", "mentions": [me.as_str()]});
        assert_eq!(mention_of(&named, &me), Mention { personal: true, all: false });
        assert_eq!(mention_of(&named, &other), Mention::default());
        let all = json!({"text": "hi", "mention_all": true});
        assert_eq!(mention_of(&all, &other), Mention { personal: false, all: true });
    }
}
