//! Read positions, written in batches.
//!
//! After sends, `read` is the busiest write: clients report a read for nearly every message a
//! user looks at. One transaction per report would compete with the commit pipeline for the
//! database (SQLite has one writer), so reports queue here and a writer task raises everything
//! that queued up while its previous transaction ran, in one transaction. Reports for the same
//! member and conversation in one batch collapse into the highest, and that move is pushed once.
//! The checks a read needs (membership, the seq exists and is visible, it moves forward) are part
//! of the UPDATE, so a report costs no query of its own; the caller looks closer only when a
//! report did not move anything.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use tidings_domain::conversation::{ReadMove, ReadOutcome};
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{ConversationStore, Notifier};
use tidings_domain::{ConvId, DeviceId, UserId};
use tokio::sync::{mpsc, oneshot};

use super::lane::WriteLane;
use super::retry::with_retries;
use crate::error::AppError;

/// The member's read position after the report (it moved there, or was already there or past
/// it), or `None` when it was not applied.
type Reply = oneshot::Sender<Result<Option<u64>, AppError>>;

/// One report waiting for the writer.
struct PendingRead {
    mv: ReadMove,
    /// The device that read, which needs no push about it.
    device: DeviceId,
    reply: Reply,
}

/// Handle to the read-position writer task.
#[derive(Clone)]
pub struct ReadWriter {
    tx: mpsc::Sender<PendingRead>,
}

impl ReadWriter {
    /// Spawns the writer on the current tokio runtime.
    pub fn start(
        convs: Arc<dyn ConversationStore>,
        notifier: Arc<dyn Notifier>,
        queue_capacity: usize,
        max_batch: usize,
        lane: WriteLane,
    ) -> Self {
        let (tx, rx) = mpsc::channel(queue_capacity.max(1));
        tokio::spawn(run(rx, convs, notifier, max_batch.max(1), lane));
        Self { tx }
    }

    /// Queues a raise of `mv.user`'s read position and waits until it is written; returns the
    /// position the member is at afterwards — where the report (or a higher one of the same
    /// member in the batch) moved it, pushed to the reader's other devices and the peer, or
    /// where it already was — or `None` if it was not applied (not a seq the member may read).
    /// A full queue fails fast with `Busy`.
    pub async fn raise(&self, mv: ReadMove, device: DeviceId) -> Result<Option<u64>, AppError> {
        let (reply, rx) = oneshot::channel();
        self.tx.try_send(PendingRead { mv, device, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => AppError::Busy,
            mpsc::error::TrySendError::Closed(_) => AppError::Internal("read writer stopped".into()),
        })?;
        rx.await.unwrap_or_else(|_| Err(AppError::Internal("read writer stopped".into())))
    }
}

/// The reports of one batch for one member and conversation.
struct Collapsed {
    mv: ReadMove,
    /// The device that reported the highest position.
    device: DeviceId,
    replies: Vec<Reply>,
}

async fn run(
    mut rx: mpsc::Receiver<PendingRead>,
    convs: Arc<dyn ConversationStore>,
    notifier: Arc<dyn Notifier>,
    max_batch: usize,
    lane: WriteLane,
) {
    while let Some(batch) = crate::batch::recv_batch(&mut rx, max_batch).await {
        let collapsed = collapse(batch);
        let moves: Vec<ReadMove> = collapsed.iter().map(|c| c.mv.clone()).collect();
        // A failed write (a deadlock with another instance's writer) is tried again.
        let written = with_retries(
            "writing read positions",
            |_| true,
            || async {
                let _turn = lane.turn().await;
                convs.mark_read_many(&moves).await
            },
        )
        .await;
        match written {
            Ok(moved) => {
                let mut pushes = Vec::new();
                for (c, outcome) in collapsed.into_iter().zip(moved) {
                    let now = match outcome {
                        ReadOutcome::Moved => Some(c.mv.seq),
                        ReadOutcome::AlreadyAt(at) => Some(at),
                        ReadOutcome::NotApplied => None,
                    };
                    for reply in c.replies {
                        let _ = reply.send(Ok(now));
                    }
                    if outcome.moved() {
                        pushes.push(read_push(c.mv.conv, c.mv.user, c.device, c.mv.seq));
                    }
                }
                if !pushes.is_empty() {
                    notifier.notify_many(pushes).await;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, moves = moves.len(), "read positions not written");
                // Nothing was written: the client may send the read again.
                let err = AppError::Busy;
                for reply in collapsed.into_iter().flat_map(|c| c.replies) {
                    let _ = reply.send(Err(err.clone()));
                }
            }
        }
    }
}

fn collapse(batch: Vec<PendingRead>) -> Vec<Collapsed> {
    let mut index: HashMap<(ConvId, UserId), usize> = HashMap::with_capacity(batch.len());
    let mut out: Vec<Collapsed> = Vec::with_capacity(batch.len());
    for p in batch {
        match index.entry((p.mv.conv.clone(), p.mv.user.clone())) {
            Entry::Occupied(seen) => {
                let c = &mut out[*seen.get()];
                if p.mv.seq > c.mv.seq {
                    c.mv.seq = p.mv.seq;
                    c.device = p.device;
                }
                c.replies.push(p.reply);
            }
            Entry::Vacant(slot) => {
                slot.insert(out.len());
                out.push(Collapsed { mv: p.mv, device: p.device, replies: vec![p.reply] });
            }
        }
    }
    out
}

/// The push of a moved read position: to the reader's other devices and, in a direct chat, to
/// the peer.
pub(super) fn read_push(conv: ConvId, user: UserId, skip: DeviceId, seq: u64) -> Delivery {
    let mut recipients = vec![user.clone()];
    recipients.extend(conv.peer_of(&user).cloned());
    Delivery {
        recipients,
        skip_device: Some((user.clone(), skip)),
        event: Arc::new(Event::Read { conv, user_id: user, seq }),
    }
}
