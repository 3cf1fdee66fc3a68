//! Events to the app: [`EventListener`] (a trait the app implements in Kotlin, Swift or Python,
//! receiving the SDK's own `ClientEvent`) and [`Subscription`] (the handle that removes a
//! listener again). The SDK calls listeners from one dispatcher task, in order, with
//! no lock held, so a listener may call back into the client.

use std::sync::{Arc, Mutex, Weak};

use tidings_sdk::{self as sdk, ClientEvent};

/// Implemented by the app (in its own language) to receive every [`ClientEvent`].
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    /// Called for every event, in order, on the SDK's dispatcher thread; keep it short.
    fn on_event(&self, event: ClientEvent);
}

/// Hands the SDK's events to a foreign listener.
pub(crate) struct Forward(pub(crate) Arc<dyn EventListener>);

impl sdk::ClientListener for Forward {
    fn on_event(&self, event: ClientEvent) {
        self.0.on_event(event);
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
