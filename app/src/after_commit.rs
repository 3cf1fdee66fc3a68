//! What happens after a commit, in one ordered list: every batch the pipelines hand on goes to
//! each [`CommitObserver`] in turn (offline push, webhooks, and the ones later features add),
//! then to the realtime delivery (the devices online, here or on other instances).
//!
//! The list is built once, in the composition root, and the order is the list's order, not the
//! order decorators happened to be wrapped in. Observers never wait (the port's rule), so the
//! realtime delivery is never held up by them; it goes last because it is the only step that
//! consumes the deliveries (it moves them into the hub and onto the broker).

use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::event::Delivery;
use tidings_domain::ports::{CommitObserver, Notifier};

/// The [`Notifier`] every service is given: the observers in order, then the realtime delivery.
pub struct AfterCommit {
    observers: Vec<Arc<dyn CommitObserver>>,
    realtime: Arc<dyn Notifier>,
}

impl AfterCommit {
    /// Hands each batch to `observers` (in this order), then to `realtime`.
    pub fn new(observers: Vec<Arc<dyn CommitObserver>>, realtime: Arc<dyn Notifier>) -> Self {
        let chain = Self { observers, realtime };
        tracing::debug!(names = ?chain.observer_names(), "after-commit observers");
        chain
    }

    /// The observers' names, in the order they see each batch (for the startup log and tests).
    pub fn observer_names(&self) -> Vec<&'static str> {
        self.observers.iter().map(|o| o.name()).collect()
    }
}

#[async_trait]
impl Notifier for AfterCommit {
    async fn notify(&self, delivery: Delivery) {
        self.notify_many(vec![delivery]).await;
    }

    async fn notify_many(&self, deliveries: Vec<Delivery>) {
        for observer in &self.observers {
            observer.observe(&deliveries);
        }
        self.realtime.notify_many(deliveries).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tidings_domain::event::Event;
    use tidings_domain::ids::UserId;

    use super::*;

    /// Writes `name:count` into a shared log for each batch it sees.
    struct Recorder {
        name: &'static str,
        log: Arc<Mutex<Vec<String>>>,
    }

    impl CommitObserver for Recorder {
        fn name(&self) -> &'static str {
            self.name
        }
        fn observe(&self, deliveries: &[Delivery]) {
            self.log.lock().unwrap().push(format!("{}:{}", self.name, deliveries.len()));
        }
    }

    #[async_trait]
    impl Notifier for Recorder {
        async fn notify(&self, delivery: Delivery) {
            self.observe(std::slice::from_ref(&delivery));
        }
        async fn notify_many(&self, deliveries: Vec<Delivery>) {
            self.observe(&deliveries);
        }
    }

    fn delivery() -> Delivery {
        Delivery {
            recipients: vec![UserId::generate()],
            skip_device: None,
            event: Arc::new(Event::Presence { user_id: UserId::generate(), online: true, last_active_at: None }),
        }
    }

    #[tokio::test]
    async fn observers_see_each_batch_in_list_order_before_the_realtime_delivery() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let rec = |name| Arc::new(Recorder { name, log: log.clone() });
        let chain = AfterCommit::new(vec![rec("push"), rec("webhooks")], rec("realtime"));
        assert_eq!(chain.observer_names(), vec!["push", "webhooks"]);

        chain.notify_many(vec![delivery(), delivery()]).await;
        chain.notify(delivery()).await;

        let seen = log.lock().unwrap().clone();
        assert_eq!(seen, vec!["push:2", "webhooks:2", "realtime:2", "push:1", "webhooks:1", "realtime:1"]);
    }
}
