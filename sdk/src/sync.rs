//! The sync worker: pulls a conversation from its cursor, page by page, until the server has
//! nothing more. Requests for the same conversation collapse into one while it waits.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tidings_protocol::{ClientFrame, ServerFrame};
use tokio::sync::{mpsc, watch};
use tracing::Instrument as _;

use crate::SdkError;
use crate::client::Inner;
use crate::events::ClientEvent;
use crate::receive::absorb;

/// Conversations waiting to be synced.
#[derive(Default)]
pub(crate) struct SyncQueue {
    tx: Mutex<Option<mpsc::UnboundedSender<String>>>,
    queued: Mutex<HashSet<String>>,
}

impl SyncQueue {
    /// Starts a new queue for a worker; earlier requests are forgotten (a reconnect requeues all).
    pub(crate) fn open(&self) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut t) = self.tx.lock() {
            *t = Some(tx);
        }
        if let Ok(mut q) = self.queued.lock() {
            q.clear();
        }
        rx
    }

    /// Asks for a sync of `conv` unless one is already waiting.
    pub(crate) fn request(&self, conv: &str) {
        let fresh = self.queued.lock().is_ok_and(|mut q| q.insert(conv.to_owned()));
        if fresh
            && let Ok(t) = self.tx.lock()
            && let Some(tx) = t.as_ref()
        {
            let _ = tx.send(conv.to_owned());
        }
    }

    fn taken(&self, conv: &str) {
        if let Ok(mut q) = self.queued.lock() {
            q.remove(conv);
        }
    }
}

/// Runs sync requests one at a time until `stop`.
pub(crate) async fn run(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<String>, mut stop: watch::Receiver<bool>) {
    loop {
        let conv = tokio::select! {
            c = rx.recv() => match c { Some(c) => c, None => return },
            _ = stop.changed() => return,
        };
        inner.sync_queue.taken(&conv);
        let span = tracing::debug_span!("sync", %conv);
        tokio::select! {
            r = sync_conversation(&inner, &conv).instrument(span) => if let Err(e) = r {
                // Offline: the next connection syncs every conversation again.
                tracing::debug!(%conv, error = %e, "sync stopped");
            },
            _ = stop.changed() => return,
        }
    }
}

/// Pulls everything after the cursor of `conv`.
async fn sync_conversation(inner: &Inner, conv: &str) -> Result<(), SdkError> {
    let timeout = Duration::from_millis(inner.config.request_timeout_ms);
    loop {
        let from = inner.store.cursor(conv).await?;
        let id = inner.link.next_id();
        let frame = ClientFrame::Sync {
            id: id.clone(),
            conv: conv.to_owned(),
            after_seq: from,
            limit: Some(inner.config.sync_page),
        };
        match inner.link.request(&id, &frame, timeout).await? {
            ServerFrame::SyncResult { messages, has_more, .. } => {
                for m in &messages {
                    absorb(inner, m, true).await?;
                }
                let last = messages.last().map_or(from, |m| m.seq);
                let to = inner.store.advance_cursor(conv, last).await?;
                let done = !has_more || to <= from;
                inner.events.emit(ClientEvent::SyncProgress {
                    conv: conv.to_owned(),
                    from_seq: from,
                    to_seq: to,
                    done,
                });
                if done {
                    return inner.conversation_changed(conv).await;
                }
            }
            // The server has less than the cursor (e.g. a removed member): nothing to pull.
            ServerFrame::Error { code, .. } if code == "seq_out_of_range" => return Ok(()),
            ServerFrame::Error { code, message, .. } => return Err(SdkError::Server { code, message }),
            other => return Err(SdkError::protocol(format!("unexpected answer to sync: {other:?}"))),
        }
    }
}
