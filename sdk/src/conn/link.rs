//! The live connection as the rest of the SDK sees it: a queue of outgoing frames and a table
//! of requests waiting for the answer with their `id`. When the connection ends every waiter is
//! woken with `NotConnected`, so nothing waits for an answer that cannot come.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tidings_protocol::{ClientFrame, ServerFrame};
use tokio::sync::{mpsc, oneshot};

use crate::SdkError;

type Waiters = HashMap<String, oneshot::Sender<ServerFrame>>;

/// Outgoing queue and answer table of the current connection.
#[derive(Default)]
pub(crate) struct Link {
    out: Mutex<Option<mpsc::UnboundedSender<String>>>,
    waiting: Mutex<Waiters>,
    next: AtomicU64,
}

impl Link {
    /// A new connection is up: frames go to `tx` from now on.
    pub(crate) fn attach(&self, tx: mpsc::UnboundedSender<String>) {
        if let Ok(mut out) = self.out.lock() {
            *out = Some(tx);
        }
    }

    /// The connection is gone: drop the queue and wake every waiter.
    pub(crate) fn detach(&self) {
        if let Ok(mut out) = self.out.lock() {
            *out = None;
        }
        let dropped: Waiters = self.waiting.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default();
        drop(dropped);
    }

    /// A connection is up.
    pub(crate) fn is_up(&self) -> bool {
        self.out.lock().is_ok_and(|o| o.is_some())
    }

    /// A fresh request id.
    pub(crate) fn next_id(&self) -> String {
        format!("r{}", self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// Queues a frame that has no answer (`read`, `ping`).
    pub(crate) fn post(&self, frame: &ClientFrame) -> Result<(), SdkError> {
        let text = serde_json::to_string(frame)?;
        let out = self.out.lock().map_err(|_| SdkError::NotConnected)?;
        match out.as_ref() {
            Some(tx) => tx.send(text).map_err(|_| SdkError::NotConnected),
            None => Err(SdkError::NotConnected),
        }
    }

    /// Sends a frame carrying `id` and waits up to `timeout` for the frame answering it.
    pub(crate) async fn request(
        &self,
        id: &str,
        frame: &ClientFrame,
        timeout: Duration,
    ) -> Result<ServerFrame, SdkError> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(id.to_owned(), tx);
        }
        if let Err(e) = self.post(frame) {
            self.forget(id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(SdkError::NotConnected),
            Err(_) => {
                self.forget(id);
                Err(SdkError::Timeout)
            }
        }
    }

    /// Hands an answer to its waiter; gives it back if nobody waits (it came too late).
    pub(crate) fn resolve(&self, id: &str, frame: ServerFrame) -> Option<ServerFrame> {
        let waiter = self.waiting.lock().ok().and_then(|mut w| w.remove(id));
        match waiter {
            Some(tx) => tx.send(frame).err(),
            None => Some(frame),
        }
    }

    fn forget(&self, id: &str) {
        if let Ok(mut w) = self.waiting.lock() {
            w.remove(id);
        }
    }
}
