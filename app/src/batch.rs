//! Taking work off a queue in batches: the background writers and workers all wait for one item,
//! then take whatever else has queued up meanwhile, so a busy queue is drained in few rounds.

use tokio::sync::mpsc;

/// Waits for the next item, then takes up to `max - 1` more that are already queued. `None`
/// once the queue is closed and empty.
pub async fn recv_batch<T>(rx: &mut mpsc::Receiver<T>, max: usize) -> Option<Vec<T>> {
    let mut batch = Vec::new();
    (rx.recv_many(&mut batch, max.max(1)).await > 0).then_some(batch)
}
