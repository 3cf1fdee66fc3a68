//! One writer of the commit pipeline, as three stages that overlap.
//!
//! - **prepare** takes whatever sends have queued, collapses repeats, answers retries of recent
//!   commits from the dedupe cache, allocates seqs and builds the messages;
//! - **commit** takes every prepared batch waiting (so batches grow with the load, and the
//!   database's cost is shared by more messages) and appends them in one transaction;
//! - **finish** remembers the commit in the dedupe cache, acks the senders and queues the pushes.
//!
//! While one batch commits, the next is prepared and the previous one finished: the database's
//! turn holds only the append. Each stage handles its batches in order, so seqs are allocated,
//! committed and pushed in one order per conversation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::{Ack, Message, generate_msg_id};
use tidings_domain::ports::{DedupeCache, MessageStore, SeqAllocator};
use tidings_domain::{Clock, ConvId, StoreError, UserId};
use tokio::sync::{mpsc, oneshot};

use super::lane::WriteLane;
use super::pipeline::{Draft, OpenedConversations, Pending, PipelineStats};
use super::retry::with_retries;
use crate::error::AppError;

/// Prepared batches that may wait for the commit stage; it takes all of them at once.
const PREPARED_AHEAD: usize = 4;

/// Committed batches that may wait for the finish stage before the commit stage waits too.
const FINISH_AHEAD: usize = 4;

type Reply = oneshot::Sender<Result<Ack, AppError>>;

/// The stages' shared parts.
pub(super) struct Writer {
    pub(super) store: Arc<dyn MessageStore>,
    pub(super) dedupe: Arc<dyn DedupeCache>,
    pub(super) seqs: Arc<dyn SeqAllocator>,
    pub(super) pushes: mpsc::Sender<Delivery>,
    pub(super) max_batch: usize,
    pub(super) stats: Arc<PipelineStats>,
    pub(super) lane: WriteLane,
    pub(super) opened: Arc<OpenedConversations>,
    /// Stamps each message's `ts`.
    pub(super) clock: Arc<dyn Clock>,
}

/// A send that is first of its `(sender, client_msg_id)` in the batch, with any repeats.
struct Leader {
    draft: Draft,
    replies: Vec<Reply>,
}

/// Messages with their seqs, waiting for the database.
struct Prepared {
    leaders: Vec<Leader>,
    messages: Vec<Message>,
    /// When the first of its sends was taken off the queue.
    taken: Instant,
}

/// Sends answered by a commit (or found already stored), for the finish stage.
struct Finished {
    leaders: Vec<Leader>,
    messages: Vec<Message>,
    /// Already stored before: acked as duplicates, not remembered again, not pushed.
    duplicate: bool,
}

impl Writer {
    /// Starts the three stages on the current runtime, fed by `rx`.
    pub(super) fn spawn(self, rx: mpsc::Receiver<Pending>) {
        let writer = Arc::new(self);
        let (commit_tx, commit_rx) = mpsc::channel(PREPARED_AHEAD);
        let (finish_tx, finish_rx) = mpsc::channel(FINISH_AHEAD);
        tokio::spawn(writer.clone().prepare_stage(rx, commit_tx));
        tokio::spawn(writer.clone().commit_stage(commit_rx, finish_tx));
        tokio::spawn(writer.finish_stage(finish_rx));
    }

    async fn prepare_stage(self: Arc<Self>, mut rx: mpsc::Receiver<Pending>, commit: mpsc::Sender<Prepared>) {
        while let Some(batch) = crate::batch::recv_batch(&mut rx, self.max_batch).await {
            let Some(prepared) = crate::stall::watched("prepare stage", self.prepare(batch)).await else { continue };
            if commit.send(prepared).await.is_err() {
                return;
            }
        }
    }

    async fn commit_stage(self: Arc<Self>, mut rx: mpsc::Receiver<Prepared>, finish: mpsc::Sender<Finished>) {
        let mut waiting = Vec::with_capacity(PREPARED_AHEAD);
        while rx.recv_many(&mut waiting, PREPARED_AHEAD).await > 0 {
            let Some(merged) = merge(waiting.drain(..)) else { continue };
            crate::stall::watched("commit stage", self.commit(merged, &finish)).await;
        }
    }

    async fn finish_stage(self: Arc<Self>, mut rx: mpsc::Receiver<Finished>) {
        while let Some(Finished { leaders, messages, duplicate }) = rx.recv().await {
            let finish = async {
                if !duplicate {
                    self.dedupe.put_many(&messages).await;
                }
                for (leader, message) in leaders.into_iter().zip(messages) {
                    self.finish(leader, message, duplicate).await;
                }
            };
            crate::stall::watched("finish stage", finish).await;
        }
    }

    /// Collapses repeats, answers cached retries and gives the rest their seqs. `None` when
    /// nothing is left to commit.
    async fn prepare(&self, batch: Vec<Pending>) -> Option<Prepared> {
        let taken = Instant::now();
        let leaders = self.answer_cached(collapse_repeats(batch)).await;
        if leaders.is_empty() {
            return None;
        }
        let wanted: Vec<(ConvId, u64)> = count_by_conv(&leaders).into_iter().collect();
        let mut next_seq: HashMap<ConvId, u64> = HashMap::with_capacity(wanted.len());
        match self.seqs.allocate_many(&wanted).await {
            Ok(firsts) => next_seq.extend(wanted.into_iter().map(|(conv, _)| conv).zip(firsts)),
            Err(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "seq allocation failed");
            }
        }
        let ts = self.clock.now_ms();
        let (mut kept, mut messages) = (Vec::with_capacity(leaders.len()), Vec::with_capacity(leaders.len()));
        for mut leader in leaders {
            let Some(seq) = next_seq.get_mut(&leader.draft.conv) else {
                reply_all(leader.replies, Err(AppError::Busy));
                continue;
            };
            messages.push(build_message(&mut leader.draft, *seq, ts));
            *seq += 1;
            kept.push(leader);
        }
        tracing::debug!(size = kept.len(), prepare_us = taken.elapsed().as_micros() as u64, "batch prepared");
        (!kept.is_empty()).then_some(Prepared { leaders: kept, messages, taken })
    }

    /// Appends one (merged) batch and hands the outcome to the finish stage.
    async fn commit(&self, batch: Prepared, finish: &mpsc::Sender<Finished>) {
        let Prepared { leaders, messages, taken } = batch;
        let started = Instant::now();
        let appended = self.append(&messages, &opened(&leaders)).await;
        let append_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        self.stats.messages.fetch_add(messages.len() as u64, Ordering::Relaxed);
        self.stats.record_append(append_us);
        tracing::debug!(
            size = messages.len(),
            waited_us = (started - taken).as_micros() as u64,
            commit_us = append_us,
            "batch committed"
        );
        match appended {
            Ok(()) => handoff(finish, Finished { leaders, messages, duplicate: false }).await,
            Err(StoreError::Duplicate(why)) => {
                tracing::debug!(%why, "batch hit a unique key; separating repeats");
                self.recover_duplicates(leaders, messages, finish).await;
            }
            Err(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "batch commit failed");
                for leader in leaders {
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
    async fn recover_duplicates(&self, leaders: Vec<Leader>, messages: Vec<Message>, finish: &mpsc::Sender<Finished>) {
        let keys: Vec<(UserId, String)> =
            messages.iter().map(|m| (m.sender.clone(), m.client_msg_id.clone())).collect();
        let stored = match self.store.find_by_client_ids(&keys).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "dedupe lookup failed");
                for leader in leaders {
                    reply_all(leader.replies, Err(AppError::Busy));
                }
                return;
            }
        };
        let mut originals: HashMap<(UserId, String), Message> =
            stored.into_iter().map(|m| ((m.sender.clone(), m.client_msg_id.clone()), m)).collect();
        let repeats = Finished { leaders: Vec::new(), messages: Vec::new(), duplicate: true };
        let (mut repeats, mut rest, mut rest_messages) = (repeats, Vec::new(), Vec::new());
        for (leader, message) in leaders.into_iter().zip(messages) {
            match originals.remove(&(message.sender.clone(), message.client_msg_id.clone())) {
                Some(original) => {
                    repeats.leaders.push(leader);
                    repeats.messages.push(original);
                }
                None => {
                    rest.push(leader);
                    rest_messages.push(message);
                }
            }
        }
        handoff(finish, repeats).await;
        if rest.is_empty() {
            return;
        }
        if self.append(&rest_messages, &opened(&rest)).await.is_ok() {
            handoff(finish, Finished { leaders: rest, messages: rest_messages, duplicate: false }).await;
            return;
        }
        for (leader, message) in rest.into_iter().zip(rest_messages) {
            let opens = opened(std::slice::from_ref(&leader));
            match self.commit_single(message, &opens).await {
                Ok((message, duplicate)) => {
                    handoff(finish, Finished { leaders: vec![leader], messages: vec![message], duplicate }).await;
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

    /// Acks every send of one message and, unless it was stored before, queues its push.
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

/// Passes answered sends on to the finish stage (in order); empty ones are skipped.
async fn handoff(finish: &mpsc::Sender<Finished>, done: Finished) {
    if done.leaders.is_empty() {
        return;
    }
    if let Err(mpsc::error::SendError(lost)) = finish.send(done).await {
        tracing::error!("finish stage stopped; answering its sends busy");
        for leader in lost.leaders {
            reply_all(leader.replies, Err(AppError::Busy));
        }
    }
}

/// Prepared batches as one, in order. A send repeated across them (a retry that arrived while
/// the first was being prepared) joins the first as a repeat: its own seq is left unused, a hole
/// like the one a stored repeat leaves.
fn merge(batches: impl Iterator<Item = Prepared>) -> Option<Prepared> {
    let mut batches = batches.peekable();
    let taken = batches.peek()?.taken;
    let (leaders, messages) = join_repeats(batches.flat_map(|b| b.leaders.into_iter().zip(b.messages)));
    Some(Prepared { leaders, messages, taken })
}

/// The queued sends, each `(sender, client_msg_id)` once (a repeat's reply joins the first).
fn collapse_repeats(batch: Vec<Pending>) -> Vec<Leader> {
    join_repeats(batch.into_iter().map(|Pending { draft, reply }| (Leader { draft, replies: vec![reply] }, ()))).0
}

/// `items` in order with each `(sender, client_msg_id)` kept once: a later item's replies join
/// the first one's, and its own `T` is dropped.
fn join_repeats<T>(items: impl Iterator<Item = (Leader, T)>) -> (Vec<Leader>, Vec<T>) {
    let mut index: HashMap<(UserId, String), usize> = HashMap::with_capacity(items.size_hint().0);
    let (mut leaders, mut rest): (Vec<Leader>, Vec<T>) = (Vec::new(), Vec::new());
    for (leader, item) in items {
        let key = (leader.draft.sender.clone(), leader.draft.client_msg_id.clone());
        match index.get(&key) {
            Some(&first) => leaders[first].replies.extend(leader.replies),
            None => {
                index.insert(key, leaders.len());
                leaders.push(leader);
                rest.push(item);
            }
        }
    }
    (leaders, rest)
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

/// The message of `draft` at `seq`; its body moves into the message (the draft keeps only what
/// the push needs).
fn build_message(draft: &mut Draft, seq: u64, ts: i64) -> Message {
    Message {
        conv: draft.conv.clone(),
        seq,
        msg_id: generate_msg_id(),
        sender: draft.sender.clone(),
        client_msg_id: draft.client_msg_id.clone(),
        kind: draft.kind.clone(),
        body: std::mem::take(&mut draft.body),
        ts,
        // A new entry; an edit entry changes its target's `edited_at` in the store.
        edited_at: None,
    }
}

fn reply_all(replies: Vec<Reply>, result: Result<Ack, AppError>) {
    for r in replies {
        let _ = r.send(result.clone());
    }
}
