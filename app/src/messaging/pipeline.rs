//! The commit pipeline: dedupe, seq allocation and group commit.
//!
//! Sends are sharded by conversation onto a few writers. Each writer takes whatever has queued
//! up while its previous transaction ran, and commits it as one batch: concurrent sends share
//! one transaction, and each sender is acked only after that commit. A writer runs as three
//! overlapping stages (`writer.rs`: prepare, commit, finish), each in order, so seq allocation,
//! commit and push keep one order per conversation. A full queue makes the send fail fast with
//! `Busy`.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashSet;
use tidings_domain::event::Delivery;
use tidings_domain::message::Ack;
use tidings_domain::ports::{DedupeCache, MessageStore, Notifier, SeqAllocator};
use tidings_domain::{Clock, ConvId, DeviceId, UserId};
use tokio::sync::{mpsc, oneshot};

use super::lane::WriteLane;
use super::writer::Writer;
use crate::error::AppError;

/// Sizing of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct PipelineConfig {
    /// Writer tasks; conversations are spread over them by hash. SQLite wants 1.
    pub shards: usize,
    /// Sends that may wait per writer before new ones are refused with `Busy`.
    pub queue_capacity: usize,
    /// Most messages committed in one transaction.
    pub max_batch: usize,
    /// The database takes one writing transaction at a time (SQLite): the writers, and the
    /// read-position writer, take turns on one [`WriteLane`] instead of racing for its lock.
    pub one_writer_at_a_time: bool,
}

/// Direct conversations that exist: a message in them committed since this server started.
/// Bounded: past `cap` ids it starts over (a forgotten one is merely opened again, which is
/// idempotent).
pub struct OpenedConversations {
    ids: DashSet<ConvId>,
    cap: usize,
}

impl OpenedConversations {
    /// An empty set that holds up to `cap` ids.
    pub fn new(cap: usize) -> Self {
        Self { ids: DashSet::new(), cap }
    }

    /// Whether a message in `conv` committed since start.
    pub fn contains(&self, conv: &ConvId) -> bool {
        self.ids.contains(conv)
    }

    pub(super) fn insert_all(&self, convs: &[ConvId]) {
        for conv in convs {
            if self.ids.len() >= self.cap {
                self.ids.clear();
            }
            self.ids.insert(conv.clone());
        }
    }
}

/// A validated message waiting for its seq.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Conversation.
    pub conv: ConvId,
    /// Author.
    pub sender: UserId,
    /// The author's device, which learns of the message through its ack, not a push (`None`
    /// for messages the server writes, such as group notices).
    pub device: Option<DeviceId>,
    /// Dedupe key.
    pub client_msg_id: String,
    /// Kind.
    pub kind: String,
    /// Body as compact JSON.
    pub body: String,
    /// Users to push the message to once committed.
    pub recipients: Vec<UserId>,
    /// A direct conversation this server has not seen a message in since it started: the
    /// commit creates it (and its two members) if it does not exist yet.
    pub opens_direct: bool,
}

/// A queued send and where its ack goes.
pub(super) struct Pending {
    pub(super) draft: Draft,
    pub(super) reply: oneshot::Sender<Result<Ack, AppError>>,
}

/// The ack of a queued send, to be awaited without holding up the caller's next frame.
pub struct PendingAck(oneshot::Receiver<Result<Ack, AppError>>);

impl PendingAck {
    /// Waits until the message is durable (or has failed).
    pub async fn wait(self) -> Result<Ack, AppError> {
        self.0.await.unwrap_or_else(|_| Err(AppError::Internal("commit pipeline stopped".into())))
    }
}

/// Handle to the writer tasks.
#[derive(Clone)]
pub struct CommitPipeline {
    shards: Arc<Vec<mpsc::Sender<Pending>>>,
    stats: Arc<PipelineStats>,
}

/// Upper bounds (µs) of the batch commit time buckets `/metrics` shows as a histogram, so a
/// dashboard can draw the p99 commit time.
pub const COMMIT_BUCKETS_US: [u64; 12] =
    [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000];

impl PipelineStats {
    /// Counts one batch insert that took `micros`.
    pub fn record_append(&self, micros: u64) {
        self.append_micros.fetch_add(micros, Ordering::Relaxed);
        let bucket = COMMIT_BUCKETS_US.iter().position(|&bound| micros <= bound).unwrap_or(COMMIT_BUCKETS_US.len());
        self.append_buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

/// What the writers did since start, for `/metrics`: plain atomics, one add per batch.
#[derive(Debug, Default)]
pub struct PipelineStats {
    /// Batches that reached the database.
    pub batches: AtomicU64,
    /// Messages written in them.
    pub messages: AtomicU64,
    /// Time spent in the batch inserts, in microseconds.
    pub append_micros: AtomicU64,
    /// Batches by how long their insert took: `[i]` counts those at most
    /// `COMMIT_BUCKETS_US[i]` (and over the one before); the last, those over every bound.
    pub append_buckets: [AtomicU64; COMMIT_BUCKETS_US.len() + 1],
    /// Batch inserts or seq allocations that failed (their sends answered `busy`).
    pub failures: AtomicU64,
    /// Sends refused at once because a writer's queue was full (`busy`).
    pub refused_full: AtomicU64,
}

/// What the commit pipeline's writers write through.
pub struct PipelinePorts {
    /// The message logs.
    pub store: Arc<dyn MessageStore>,
    /// Recent acks, for retries.
    pub dedupe: Arc<dyn DedupeCache>,
    /// Seq counters.
    pub seqs: Arc<dyn SeqAllocator>,
    /// Where committed messages go next.
    pub notifier: Arc<dyn Notifier>,
    /// Stamps each message's `ts`.
    pub clock: Arc<dyn Clock>,
}

impl CommitPipeline {
    /// Spawns the writers (and one pusher per writer) on the current tokio runtime.
    pub fn start(
        ports: PipelinePorts,
        config: PipelineConfig,
        lane: WriteLane,
        opened: Arc<OpenedConversations>,
    ) -> Self {
        let PipelinePorts { store, dedupe, seqs, notifier, clock } = ports;
        let stats = Arc::new(PipelineStats::default());
        let shards = (0..config.shards.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
                let (push_tx, push_rx) = mpsc::channel(config.queue_capacity.max(1));
                let writer = Writer {
                    store: store.clone(),
                    dedupe: dedupe.clone(),
                    seqs: seqs.clone(),
                    pushes: push_tx,
                    max_batch: config.max_batch.max(1),
                    stats: stats.clone(),
                    lane: lane.clone(),
                    opened: opened.clone(),
                    clock: clock.clone(),
                };
                writer.spawn(rx);
                tokio::spawn(push_loop(push_rx, notifier.clone()));
                tx
            })
            .collect();
        Self { shards: Arc::new(shards), stats }
    }

    /// The writers' counters.
    pub fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// Queues a send. Queueing order is commit order within a conversation.
    pub fn enqueue(&self, draft: Draft) -> Result<PendingAck, AppError> {
        let mut h = DefaultHasher::new();
        draft.conv.hash(&mut h);
        let idx = usize::try_from(h.finish() % self.shards.len() as u64).unwrap_or(0);
        let (reply, rx) = oneshot::channel();
        self.shards[idx].try_send(Pending { draft, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                self.stats.refused_full.fetch_add(1, Ordering::Relaxed);
                AppError::Busy
            }
            mpsc::error::TrySendError::Closed(_) => AppError::Internal("commit pipeline stopped".into()),
        })?;
        Ok(PendingAck(rx))
    }
}

/// Most deliveries handed to the notifier at once.
const PUSH_BATCH: usize = 512;

async fn push_loop(mut rx: mpsc::Receiver<Delivery>, notifier: Arc<dyn Notifier>) {
    while let Some(batch) = crate::batch::recv_batch(&mut rx, PUSH_BATCH).await {
        let (started, size) = (std::time::Instant::now(), batch.len());
        crate::stall::watched("push loop: notifier", notifier.notify_many(batch)).await;
        tracing::debug!(size, took_us = started.elapsed().as_micros() as u64, "pushes handed on");
    }
}
