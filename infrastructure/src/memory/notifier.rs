//! The embedded [`Notifier`]: every device is connected to this process, so a delivery goes
//! straight to the local hub, and the recipients' change counters move.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::event::{Delivery, message_counts};
use tidings_domain::ports::{LocalDelivery, Notifier};

use super::MemoryChangeCounter;

/// Routes deliveries to the local WebSocket hub.
pub struct LocalNotifier {
    hub: Arc<dyn LocalDelivery>,
    changes: Arc<MemoryChangeCounter>,
}

impl LocalNotifier {
    /// Delivers through `hub`, moving `changes`.
    pub fn new(hub: Arc<dyn LocalDelivery>, changes: Arc<MemoryChangeCounter>) -> Self {
        Self { hub, changes }
    }
}

#[async_trait]
impl Notifier for LocalNotifier {
    async fn notify(&self, delivery: Delivery) {
        self.notify_many(vec![delivery]).await;
    }

    async fn notify_many(&self, deliveries: Vec<Delivery>) {
        self.changes.bump(&message_counts(&deliveries));
        deliveries.iter().for_each(|d| self.hub.deliver(d));
    }
}
