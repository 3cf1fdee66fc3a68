//! Offline push: after commit, each message's recipients with no connected device who have not
//! muted the conversation and are not in their quiet hours (or are mentioned by name) get a
//! notice through the [`PushProvider`]: a signed webhook, or [`NativePushProvider`] for APNs and
//! FCM.
//!
//! An after-commit observer ([`CommitObserver`], listed in the composition root), so the commit
//! pipeline is untouched and only the instance that committed a message pushes it. When push is
//! off the observer is not in the list at all. When on, a send costs a kind check and a
//! non-blocking hand-off to a bounded queue; a full queue drops the notice (counted and logged),
//! never the send. A worker takes the queue in batches and resolves a batch with one presence
//! lookup (pipelined in cluster mode) and one query each for mutes, preferences, badges and
//! names, whatever its size (`rules.rs`).

mod native;
mod rules;
mod settings;
mod wording;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tidings_domain::UserId;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{
    CommitObserver, ConversationStore, GroupDirectory, PresenceReader, PushStore, UserRepository,
};
use tidings_domain::push::{PushOutcome, PushProvider, kind_pushes};
use tokio::sync::{Semaphore, mpsc};

pub use native::NativePushProvider;
pub use settings::{PushSettingsService, PushSettingsView};
pub use wording::KindLabels;

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
    /// Notices for users with no device registered for native push.
    pub no_device: AtomicU64,
}

/// A committed message and who it went to.
pub(super) struct Committed {
    pub(super) event: Arc<Event>,
    pub(super) recipients: Vec<UserId>,
}

/// What the rules read: presence, mutes, preferences and badges, names.
pub struct PushReaders {
    /// Who is connected.
    pub presence: Arc<dyn PresenceReader>,
    /// Conversation mutes.
    pub convs: Arc<dyn ConversationStore>,
    /// Preferences (quiet hours, privacy) and badges.
    pub store: Arc<dyn PushStore>,
    /// Senders' display names.
    pub users: Arc<dyn UserRepository>,
    /// Group names.
    pub groups: Arc<dyn GroupDirectory>,
}

pub(super) struct Inner {
    provider: Arc<dyn PushProvider>,
    presence: Arc<dyn PresenceReader>,
    convs: Arc<dyn ConversationStore>,
    store: Arc<dyn PushStore>,
    users: Arc<dyn UserRepository>,
    groups: Arc<dyn GroupDirectory>,
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
    pub fn start(provider: Arc<dyn PushProvider>, readers: PushReaders, config: PushConfig) -> Self {
        let (queue, rx) = mpsc::channel(config.queue_capacity.max(1));
        let inner = Arc::new(Inner {
            provider,
            presence: readers.presence,
            convs: readers.convs,
            store: readers.store,
            users: readers.users,
            groups: readers.groups,
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
    let notices = match rules::notices_for(inner, &batch).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, messages = batch.len(), "could not resolve offline pushes; batch skipped");
            return;
        }
    };
    if notices.is_empty() {
        return;
    }
    let outcomes = inner.provider.push(notices).await;
    let count = |want: fn(&PushOutcome) -> bool| outcomes.iter().filter(|o| want(o)).count() as u64;
    let delivered = count(|o| *o == PushOutcome::Delivered);
    let no_device = count(|o| *o == PushOutcome::NoDevice);
    let failed = count(|o| matches!(o, PushOutcome::Failed(_)));
    inner.stats.delivered.fetch_add(delivered, Ordering::Relaxed);
    inner.stats.failed.fetch_add(failed, Ordering::Relaxed);
    inner.stats.no_device.fetch_add(no_device, Ordering::Relaxed);
    if let Some(PushOutcome::Failed(why)) = outcomes.iter().find(|o| matches!(o, PushOutcome::Failed(_))) {
        tracing::warn!(failed, error = why, "offline pushes failed");
    } else {
        tracing::debug!(delivered, no_device, "offline pushes sent");
    }
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
