//! The commit pipeline: dedupe, seq allocation and group commit.
//!
//! Sends are sharded by conversation onto a few writer tasks. Each writer takes whatever has
//! queued up while its previous transaction ran, and commits it as one batch: concurrent sends
//! share one transaction, and each sender is acked only after that commit. One writer per
//! conversation keeps seq allocation, commit and push in the same order, so pushes within a
//! conversation leave in seq order. A full queue makes the send fail fast with `Busy`.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashSet;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::{Ack, Message, generate_msg_id};
use tidings_domain::ports::{DedupeCache, MessageStore, Notifier, SeqAllocator};
use tidings_domain::{ConvId, DeviceId, StoreError, UserId};
use tokio::sync::{mpsc, oneshot};

use super::lane::WriteLane;
use super::retry::with_retries;
use crate::clock::now_ms;
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

    fn insert_all(&self, convs: &[ConvId]) {
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

type Reply = oneshot::Sender<Result<Ack, AppError>>;

struct Pending {
    draft: Draft,
    reply: Reply,
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

/// What the writers did since start, for `/metrics`: plain atomics, one add per batch.
#[derive(Debug, Default)]
pub struct PipelineStats {
    /// Batches that reached the database.
    pub batches: AtomicU64,
    /// Messages written in them.
    pub messages: AtomicU64,
    /// Time spent in the batch inserts, in microseconds.
    pub append_micros: AtomicU64,
    /// Batch inserts or seq allocations that failed (their sends answered `busy`).
    pub failures: AtomicU64,
    /// Sends refused at once because a writer's queue was full (`busy`).
    pub refused_full: AtomicU64,
}

struct Writer {
    store: Arc<dyn MessageStore>,
    dedupe: Arc<dyn DedupeCache>,
    seqs: Arc<dyn SeqAllocator>,
    pushes: mpsc::Sender<Delivery>,
    max_batch: usize,
    stats: Arc<PipelineStats>,
    lane: WriteLane,
    opened: Arc<OpenedConversations>,
}

impl CommitPipeline {
    /// Spawns the writers (and one pusher per writer) on the current tokio runtime.
    pub fn start(
        store: Arc<dyn MessageStore>,
        dedupe: Arc<dyn DedupeCache>,
        seqs: Arc<dyn SeqAllocator>,
        notifier: Arc<dyn Notifier>,
        config: PipelineConfig,
        lane: WriteLane,
        opened: Arc<OpenedConversations>,
    ) -> Self {
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
                };
                tokio::spawn(writer.run(rx));
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
        notifier.notify_many(batch).await;
        tracing::debug!(size, took_us = started.elapsed().as_micros() as u64, "pushes handed on");
    }
}

/// A send that is first of its `(sender, client_msg_id)` in the batch, with any repeats.
struct Leader {
    draft: Draft,
    replies: Vec<Reply>,
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Pending>) {
        while let Some(batch) = crate::batch::recv_batch(&mut rx, self.max_batch).await {
            self.process(batch).await;
        }
    }

    async fn process(&self, batch: Vec<Pending>) {
        let started = std::time::Instant::now();
        let size = batch.len();
        let leaders = self.answer_cached(collapse_repeats(batch)).await;
        if leaders.is_empty() {
            return;
        }
        let mut messages = Vec::with_capacity(leaders.len());
        let mut next_seq: HashMap<ConvId, u64> = HashMap::new();
        let ts = now_ms();
        let wanted: Vec<(ConvId, u64)> = count_by_conv(&leaders).into_iter().collect();
        match self.seqs.allocate_many(&wanted).await {
            Ok(firsts) => next_seq.extend(wanted.into_iter().map(|(conv, _)| conv).zip(firsts)),
            Err(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "seq allocation failed");
            }
        }
        let mut committed = Vec::with_capacity(leaders.len());
        for leader in leaders {
            let Some(seq) = next_seq.get_mut(&leader.draft.conv) else {
                reply_all(leader.replies, Err(AppError::Busy));
                continue;
            };
            messages.push(build_message(&leader.draft, *seq, ts));
            *seq += 1;
            committed.push(leader);
        }
        let checked = started.elapsed();
        let appended = self.append(&messages, &opened(&committed)).await;
        let append_us = u64::try_from((started.elapsed() - checked).as_micros()).unwrap_or(u64::MAX);
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        self.stats.messages.fetch_add(messages.len() as u64, Ordering::Relaxed);
        self.stats.append_micros.fetch_add(append_us, Ordering::Relaxed);
        tracing::debug!(
            size,
            dedupe_and_seq_us = checked.as_micros() as u64,
            commit_us = (started.elapsed() - checked).as_micros() as u64,
            "batch committed"
        );
        match appended {
            Ok(()) => self.finish_committed(committed, messages).await,
            Err(StoreError::Duplicate(why)) => {
                tracing::debug!(%why, "batch hit a unique key; separating repeats");
                self.recover_duplicates(committed, messages).await;
            }
            Err(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "batch commit failed");
                for leader in committed {
                    reply_all(leader.replies, Err(AppError::Busy));
                }
            }
        }
    }

    /// Appends on this writer's turn at the database. A failure other than a duplicate key (a
    /// deadlock between writers, a dropped connection) rolled everything back, so the batch is
    /// tried again (`retry::with_retries`) before its sends are answered `busy`.
    async fn append(&self, messages: &[Message], opens: &[ConvId]) -> Result<(), StoreError> {
        let appended = with_retries(
            "batch commit",
            |e| !matches!(e, StoreError::Duplicate(_)),
            || self.append_once(messages, opens),
        )
        .await;
        if appended.is_ok() {
            self.opened.insert_all(opens);
        }
        appended
    }

    async fn append_once(&self, messages: &[Message], opens: &[ConvId]) -> Result<(), StoreError> {
        let _turn = self.lane.turn().await;
        self.store.append(messages, opens).await
    }

    /// Answers retries of recent commits from the dedupe cache; returns the other sends. Older
    /// repeats are caught by the database's unique key at commit (see `recover_duplicates`).
    async fn answer_cached(&self, leaders: Vec<Leader>) -> Vec<Leader> {
        let keys: Vec<(UserId, String)> =
            leaders.iter().map(|l| (l.draft.sender.clone(), l.draft.client_msg_id.clone())).collect();
        let cached = self.dedupe.get_many(&keys).await;
        let mut rest = Vec::with_capacity(leaders.len());
        for (leader, hit) in leaders.into_iter().zip(cached) {
            match hit {
                Some(ack) => reply_all(leader.replies, Ok(ack)),
                None => rest.push(leader),
            }
        }
        rest
    }

    /// A batch hit a unique key: answer the sends that were already stored (one lookup), then
    /// commit the others as a batch again, one by one only if that fails too. A stored repeat
    /// leaves its freshly allocated seq unused: a hole, which clients treat as settled.
    async fn recover_duplicates(&self, committed: Vec<Leader>, messages: Vec<Message>) {
        let keys: Vec<(UserId, String)> =
            messages.iter().map(|m| (m.sender.clone(), m.client_msg_id.clone())).collect();
        let stored = match self.store.find_by_client_ids(&keys).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "dedupe lookup failed");
                for leader in committed {
                    reply_all(leader.replies, Err(AppError::Busy));
                }
                return;
            }
        };
        let mut originals: HashMap<(UserId, String), Message> =
            stored.into_iter().map(|m| ((m.sender.clone(), m.client_msg_id.clone()), m)).collect();
        let (mut rest, mut rest_messages) = (Vec::new(), Vec::new());
        for (leader, message) in committed.into_iter().zip(messages) {
            match originals.remove(&(message.sender.clone(), message.client_msg_id.clone())) {
                Some(original) => self.finish(leader, original, true).await,
                None => {
                    rest.push(leader);
                    rest_messages.push(message);
                }
            }
        }
        if rest.is_empty() {
            return;
        }
        if self.append(&rest_messages, &opened(&rest)).await.is_ok() {
            self.finish_committed(rest, rest_messages).await;
            return;
        }
        for (leader, message) in rest.into_iter().zip(rest_messages) {
            let opens = opened(std::slice::from_ref(&leader));
            match self.commit_single(message, &opens).await {
                Ok((message, duplicate)) => {
                    if !duplicate {
                        self.dedupe.put_many(std::slice::from_ref(&message)).await;
                    }
                    self.finish(leader, message, duplicate).await;
                }
                Err(e) => reply_all(leader.replies, Err(e)),
            }
        }
    }

    /// Commits one message alone, telling a repeated client_msg_id from a stale seq counter.
    async fn commit_single(&self, mut message: Message, opens: &[ConvId]) -> Result<(Message, bool), AppError> {
        for _ in 0..3 {
            match self.append(std::slice::from_ref(&message), opens).await {
                Ok(()) => return Ok((message, false)),
                Err(StoreError::Duplicate(_)) => {
                    let key = [(message.sender.clone(), message.client_msg_id.clone())];
                    if let Some(original) = self.store.find_by_client_ids(&key).await?.into_iter().next() {
                        return Ok((original, true));
                    }
                    let floor = self.store.max_seq(&message.conv).await?;
                    tracing::warn!(conv = %message.conv, seq = message.seq, floor, "seq collision; re-seeding counter");
                    self.seqs.reseed(&message.conv, floor).await?;
                    message.seq = self.seqs.allocate(&message.conv, 1).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal("seq collision persisted after re-seeding".into()))
    }

    /// Remembers freshly committed messages for retries, then acks and pushes each.
    async fn finish_committed(&self, leaders: Vec<Leader>, messages: Vec<Message>) {
        self.dedupe.put_many(&messages).await;
        for (leader, message) in leaders.into_iter().zip(messages) {
            self.finish(leader, message, false).await;
        }
    }

    async fn finish(&self, leader: Leader, message: Message, duplicate: bool) {
        let Leader { draft, replies } = leader;
        let mut replies = replies.into_iter();
        if let Some(first) = replies.next() {
            let _ = first.send(Ok(message.ack(duplicate)));
        }
        for repeat in replies {
            let _ = repeat.send(Ok(message.ack(true)));
        }
        if duplicate {
            return;
        }
        let delivery = Delivery {
            recipients: draft.recipients,
            skip_device: draft.device.map(|d| (draft.sender, d)),
            event: Arc::new(Event::Message(message)),
        };
        if self.pushes.send(delivery).await.is_err() {
            tracing::warn!("push loop stopped; delivery dropped (clients will sync)");
        }
    }
}

fn collapse_repeats(batch: Vec<Pending>) -> Vec<Leader> {
    let mut index: HashMap<(UserId, String), usize> = HashMap::new();
    let mut leaders: Vec<Leader> = Vec::with_capacity(batch.len());
    for Pending { draft, reply } in batch {
        let key = (draft.sender.clone(), draft.client_msg_id.clone());
        match index.get(&key) {
            Some(&i) => leaders[i].replies.push(reply),
            None => {
                index.insert(key, leaders.len());
                leaders.push(Leader { draft, replies: vec![reply] });
            }
        }
    }
    leaders
}

/// The direct conversations the sends may be first in (each once).
fn opened(leaders: &[Leader]) -> Vec<ConvId> {
    let mut seen = HashSet::new();
    leaders
        .iter()
        .filter(|l| l.draft.opens_direct && seen.insert(&l.draft.conv))
        .map(|l| l.draft.conv.clone())
        .collect()
}

fn count_by_conv(leaders: &[Leader]) -> HashMap<ConvId, u64> {
    let mut counts: HashMap<ConvId, u64> = HashMap::new();
    for leader in leaders {
        *counts.entry(leader.draft.conv.clone()).or_default() += 1;
    }
    counts
}

fn build_message(draft: &Draft, seq: u64, ts: i64) -> Message {
    Message {
        conv: draft.conv.clone(),
        seq,
        msg_id: generate_msg_id(),
        sender: draft.sender.clone(),
        client_msg_id: draft.client_msg_id.clone(),
        kind: draft.kind.clone(),
        body: draft.body.clone(),
        ts,
    }
}

fn reply_all(replies: Vec<Reply>, result: Result<Ack, AppError>) {
    for r in replies {
        let _ = r.send(result.clone());
    }
}
