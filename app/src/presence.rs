//! Presence pushes: a user's first device connecting or last device disconnecting becomes a
//! `presence` event for every connection subscribed to that user, on any instance.

use std::sync::Arc;

use tidings_domain::UserId;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{Notifier, PresenceReader};
use tidings_domain::presence::PresenceStatus;

use crate::clock::now_ms;
use crate::error::AppError;

/// Reads and announces presence.
pub struct PresenceService {
    reader: Arc<dyn PresenceReader>,
    notifier: Arc<dyn Notifier>,
}

impl PresenceService {
    /// Reads through `reader`, announces through `notifier`.
    pub fn new(reader: Arc<dyn PresenceReader>, notifier: Arc<dyn Notifier>) -> Self {
        Self { reader, notifier }
    }

    /// The current presence of each user, in order.
    pub async fn current(&self, users: &[UserId]) -> Result<Vec<PresenceStatus>, AppError> {
        Ok(self.reader.presence(users, now_ms()).await?)
    }

    /// Announces that `user` came online or went offline.
    pub async fn changed(&self, user: &UserId, online: bool) {
        let event = Event::Presence { user_id: user.clone(), online, last_active_at: Some(now_ms()) };
        self.notifier.notify(Delivery { recipients: Vec::new(), skip_device: None, event: Arc::new(event) }).await;
    }
}
