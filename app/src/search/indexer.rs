//! Keeps the search index up with the log: an after-commit observer ([`CommitObserver`]) that
//! turns each committed entry into its index change (`tidings_domain::search::index_change`) and
//! hands it to a worker, never waiting. The worker writes what queued up as one batch, in
//! commit order, off the send path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{CommitObserver, IndexChange, SearchIndex};
use tidings_domain::search::index_change;
use tokio::sync::mpsc;

/// Most changes written in one batch.
const BATCH: usize = 8192;

/// How long the worker lets changes gather after the first one arrives. Each batch is one
/// transaction and, on SQLite, one new FTS5 segment that later merges cost: at 10,000 msgs/s,
/// batches of the few dozen changes that arrive while the previous one is written doubled the
/// message writer's load (docs/benchmarks.md, "Search"). A message is searchable this much
/// later than its ack, at most (plus the write).
const LINGER: Duration = Duration::from_millis(250);

/// Counters of the indexer, for logs and tests.
#[derive(Debug, Default)]
pub struct IndexerStats {
    /// Changes written.
    pub applied: AtomicU64,
    /// Changes dropped because the queue was full or a write failed (`tidings search reindex`
    /// puts them back).
    pub dropped: AtomicU64,
}

/// The observer side: queues index changes.
#[derive(Clone)]
pub struct SearchIndexer {
    queue: mpsc::Sender<IndexChange>,
    stats: Arc<IndexerStats>,
}

impl SearchIndexer {
    /// Starts the worker on the current tokio runtime; at most `capacity` changes wait.
    pub fn start(index: Arc<dyn SearchIndex>, capacity: usize) -> Self {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(IndexerStats::default());
        tokio::spawn(worker(index, rx, stats.clone()));
        Self { queue, stats }
    }

    /// The counters.
    pub fn stats(&self) -> &IndexerStats {
        &self.stats
    }

    fn dropped(&self, n: u64) {
        let before = self.stats.dropped.fetch_add(n, Ordering::Relaxed);
        if before == 0 || (before + n) / 1000 > before / 1000 {
            tracing::warn!(dropped = before + n, "search index changes dropped (run `tidings search reindex`)");
        }
    }
}

impl CommitObserver for SearchIndexer {
    fn name(&self) -> &'static str {
        "search"
    }

    fn observe(&self, deliveries: &[Delivery]) {
        for delivery in deliveries {
            let Event::Message(m) = delivery.event.as_ref() else { continue };
            let Some(change) = index_change(m) else { continue };
            if self.queue.try_send(change).is_err() {
                self.dropped(1);
            }
        }
    }
}

async fn worker(index: Arc<dyn SearchIndex>, mut rx: mpsc::Receiver<IndexChange>, stats: Arc<IndexerStats>) {
    while let Some(mut batch) = crate::batch::recv_batch(&mut rx, BATCH).await {
        if batch.len() < BATCH {
            tokio::time::sleep(LINGER).await;
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(change) => batch.push(change),
                    Err(_) => break,
                }
            }
        }
        let n = batch.len() as u64;
        match index.apply(&batch).await {
            Ok(()) => {
                stats.applied.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                stats.dropped.fetch_add(n, Ordering::Relaxed);
                tracing::warn!(error = %e, changes = n, "search index batch failed (run `tidings search reindex`)");
            }
        }
    }
}
