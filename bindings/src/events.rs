//! Events to the app: [`ClientEvent`] (the SDK's events as a plain enum), [`EventListener`] (a
//! trait the app implements in Kotlin, Swift or Python) and [`Subscription`] (the handle that
//! removes a listener again). The SDK calls listeners from one dispatcher task, in order, with
//! no lock held, so a listener may call back into the client.

use std::sync::{Arc, Mutex, Weak};

use tidings_sdk as sdk;

use crate::records::{ConnectionState, Conversation, Message, MessageStatus};

/// Something the app may want to show (see docs/sdk.md, "Events").
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
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
    /// An own message changed status (`Sent` with its seq, or `Failed` with a reason).
    MessageStatusChanged {
        /// Conversation.
        conv: String,
        /// The message's client id.
        client_msg_id: String,
        /// New status.
        status: MessageStatus,
        /// The seq, once sent.
        seq: Option<u64>,
        /// Why it failed (an error code), for `Failed`.
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

impl From<sdk::ClientEvent> for ClientEvent {
    fn from(e: sdk::ClientEvent) -> Self {
        use sdk::ClientEvent as E;
        match e {
            E::Connection { state } => Self::Connection { state: state.into() },
            E::NewMessage { message } => Self::NewMessage { message: message.into() },
            E::MessageStatusChanged { conv, client_msg_id, status, seq, reason } => {
                Self::MessageStatusChanged { conv, client_msg_id, status: status.into(), seq, reason }
            }
            E::ReadReceipt { conv, user_id, seq } => Self::ReadReceipt { conv, user_id, seq },
            E::Recalled { conv, seq, by } => Self::Recalled { conv, seq, by },
            E::ConversationChanged { conversation } => Self::ConversationChanged { conversation: conversation.into() },
            E::TotalUnreadChanged { total } => Self::TotalUnreadChanged { total },
            E::SyncProgress { conv, from_seq, to_seq, done } => Self::SyncProgress { conv, from_seq, to_seq, done },
        }
    }
}

/// Implemented by the app (in its own language) to receive every [`ClientEvent`].
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    /// Called for every event, in order, on the SDK's dispatcher thread; keep it short.
    fn on_event(&self, event: ClientEvent);
}

/// Hands the SDK's events to a foreign listener.
pub(crate) struct Forward(pub(crate) Arc<dyn EventListener>);

impl sdk::ClientListener for Forward {
    fn on_event(&self, event: sdk::ClientEvent) {
        self.0.on_event(event.into());
    }
}

/// A registered listener. `cancel()` removes it; dropping the handle does not, so an app may
/// keep a listener for the client's whole life without holding on to the handle.
#[derive(uniffi::Object)]
pub struct Subscription {
    client: Weak<sdk::Client>,
    /// The SDK's listener id; taken by the first `cancel`.
    id: Mutex<Option<u64>>,
}

impl Subscription {
    pub(crate) fn new(client: &Arc<sdk::Client>, id: u64) -> Self {
        Self { client: Arc::downgrade(client), id: Mutex::new(Some(id)) }
    }
}

#[uniffi::export]
impl Subscription {
    /// Stops the listener's events (those already queued may still arrive). True the first
    /// time, false if it was already cancelled or the client is gone.
    pub fn cancel(&self) -> bool {
        let id = self.id.lock().ok().and_then(|mut id| id.take());
        match (id, self.client.upgrade()) {
            (Some(id), Some(client)) => client.remove_listener(id),
            _ => false,
        }
    }
}
