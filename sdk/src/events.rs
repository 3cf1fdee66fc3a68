//! Events to the app. One listener trait (a foreign trait in the bindings) receives every
//! event from one dispatcher task, in order, with no SDK lock held while it runs.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::types::{ConnectionState, Conversation, Message, MessageStatus};

/// Something the app may want to show.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ClientEvent {
    /// The connection state changed.
    Connection {
        /// The new state.
        state: ConnectionState,
    },
    /// A message that was not in the local store arrived (push or sync).
    NewMessage {
        /// The message.
        message: Message,
    },
    /// An outgoing message changed status (`sent` with its seq, or `failed`).
    MessageStatusChanged {
        /// Conversation.
        conv: String,
        /// The message's client id.
        client_msg_id: String,
        /// New status.
        status: MessageStatus,
        /// The seq, once sent.
        seq: Option<u64>,
        /// Why it failed (an error code), for `failed`.
        reason: Option<String>,
    },
    /// Someone else read up to `seq`.
    ReadReceipt {
        /// Conversation.
        conv: String,
        /// Who read.
        user_id: String,
        /// Up to where.
        seq: u64,
    },
    /// Message `seq` was recalled by `by`; its content is gone.
    Recalled {
        /// Conversation.
        conv: String,
        /// The recalled message.
        seq: u64,
        /// Who recalled it.
        by: String,
    },
    /// Message `seq` was pinned (`on`) or unpinned by `by`.
    Pinned {
        /// Conversation.
        conv: String,
        /// The pinned or unpinned message.
        seq: u64,
        /// Who did it.
        by: String,
        /// Pinned (true) or unpinned (false).
        on: bool,
    },
    /// Message `seq` was edited by its sender: the store holds its new body now (read it with
    /// `history`); `body` and `edited_at` are the edit's.
    Edited {
        /// Conversation.
        conv: String,
        /// The edited message.
        seq: u64,
        /// The new body as JSON text, e.g. `{"text":"hi"}`.
        body: String,
        /// When it was edited (ms).
        edited_at: i64,
    },
    /// `by` turned `emoji` on or off on message `seq` (a `reaction` entry was stored). The
    /// message's totals, read from the store, already count it.
    Reacted {
        /// Conversation.
        conv: String,
        /// The message reacted to.
        seq: u64,
        /// The emoji.
        emoji: String,
        /// Who reacted.
        by: String,
        /// Turned on (true) or off.
        on: bool,
    },
    /// A new message from someone else mentions this user, by id or with `mention_all` (it also
    /// counts in the conversation's `mention_count` until read).
    Mentioned {
        /// Conversation.
        conv: String,
        /// The message.
        seq: u64,
        /// Its sender.
        by: String,
    },
    /// A reply in the thread of message `root` was stored: the root's summary (read it again)
    /// counts it.
    ThreadUpdated {
        /// Conversation.
        conv: String,
        /// The thread's root.
        root: u64,
        /// The new reply.
        seq: u64,
    },
    /// A conversation row changed (new message, read position, title).
    ConversationChanged {
        /// The row as it is now.
        conversation: Conversation,
    },
    /// The sum of unread counts changed.
    TotalUnreadChanged {
        /// New total.
        total: u64,
    },
    /// A sync page was stored: the conversation's cursor moved from `from_seq` to `to_seq`.
    SyncProgress {
        /// Conversation.
        conv: String,
        /// Cursor before the page.
        from_seq: u64,
        /// Cursor after the page.
        to_seq: u64,
        /// No more pages for now.
        done: bool,
    },
}

/// Implemented by the app to receive [`ClientEvent`]s.
pub trait ClientListener: Send + Sync {
    /// Called for every event, in order, on the SDK's dispatcher task; keep it short.
    fn on_event(&self, event: ClientEvent);
}

type Listeners = Arc<Mutex<Vec<(u64, Arc<dyn ClientListener>)>>>;

/// Queue of events and the registered listeners.
pub(crate) struct Events {
    tx: mpsc::UnboundedSender<ClientEvent>,
    listeners: Listeners,
    next_id: std::sync::atomic::AtomicU64,
}

impl Events {
    /// Creates the queue and spawns its dispatcher on the current runtime.
    pub(crate) fn start() -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<ClientEvent>();
        let listeners: Listeners = Arc::default();
        let shared = listeners.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                // Copy the list, then call without the lock: a listener may add or remove listeners.
                let current: Vec<Arc<dyn ClientListener>> = match shared.lock() {
                    Ok(list) => list.iter().map(|(_, l)| l.clone()).collect(),
                    Err(_) => return,
                };
                for listener in current {
                    listener.on_event(event.clone());
                }
            }
        });
        Self { tx, listeners, next_id: std::sync::atomic::AtomicU64::new(1) }
    }

    /// Queues an event for the listeners.
    pub(crate) fn emit(&self, event: ClientEvent) {
        tracing::trace!(?event, "event");
        let _ = self.tx.send(event);
    }

    /// Registers a listener; the id removes it.
    pub(crate) fn add(&self, listener: Arc<dyn ClientListener>) -> u64 {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut list) = self.listeners.lock() {
            list.push((id, listener));
        }
        id
    }

    /// Removes a listener; true if it was registered.
    pub(crate) fn remove(&self, id: u64) -> bool {
        self.listeners.lock().is_ok_and(|mut list| {
            let before = list.len();
            list.retain(|(i, _)| *i != id);
            list.len() != before
        })
    }
}
