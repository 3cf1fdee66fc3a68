//! The embedded [`Notifier`]: every device is connected to this process, so a delivery goes
//! straight to the local hub.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::event::Delivery;
use tidings_domain::ports::{LocalDelivery, Notifier};

/// Routes deliveries to the local WebSocket hub.
pub struct LocalNotifier {
    hub: Arc<dyn LocalDelivery>,
}

impl LocalNotifier {
    /// Delivers through `hub`.
    pub fn new(hub: Arc<dyn LocalDelivery>) -> Self {
        Self { hub }
    }
}

#[async_trait]
impl Notifier for LocalNotifier {
    async fn notify(&self, delivery: Delivery) {
        self.hub.deliver(&delivery);
    }
}
