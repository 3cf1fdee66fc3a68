//! Keeps the search index up with the log: an after-commit observer ([`CommitObserver`]) that
//! turns each committed entry into its index change (`tidings_domain::search::index_change`) and
//! hands it to a worker, never waiting. The worker writes what queued up as one batch, in
//! commit order, off the send path, and records how far it got, so that what a full queue, a
//! failed write or a crash loses is replayed from the log (`recovery.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tidings_domain::Clock;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{CommitObserver, IndexChange, SearchIndex, SearchRecovery};
use tidings_domain::search::index_change;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::recovery::{HEARTBEAT, Losses, PEER_CHECK, Recovery};

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
    /// Changes dropped because the queue was full or a write failed (replayed from the log
    /// once the queue drains).
    pub dropped: AtomicU64,
}

/// What an indexer works with.
pub struct IndexerParts {
    /// The index it writes.
    pub index: Arc<dyn SearchIndex>,
    /// Where it records progress and replays from.
    pub recovery: Arc<dyn SearchRecovery>,
    /// Its time.
    pub clock: Arc<dyn Clock>,
    /// Its name among the indexers sharing the index (unique per process).
    pub writer: String,
    /// Whether other live processes index into the same index (a cluster).
    pub peers: bool,
}

/// The observer side: queues index changes.
#[derive(Clone)]
pub struct SearchIndexer {
    /// Each change with the time of the log entry that made it.
    queue: mpsc::Sender<(i64, IndexChange)>,
    stats: Arc<IndexerStats>,
    /// What it dropped, for the worker to replay.
    losses: Arc<Losses>,
}

impl SearchIndexer {
    /// Starts the worker on the current tokio runtime (it first replays what earlier
    /// processes left unindexed); at most `capacity` changes wait.
    pub fn start(parts: IndexerParts, capacity: usize) -> Self {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(IndexerStats::default());
        let recovery = Recovery::new(parts.recovery, parts.clock, parts.writer, parts.peers);
        let losses = recovery.losses();
        tokio::spawn(worker(parts.index, recovery, rx, stats.clone()));
        Self { queue, stats, losses }
    }

    /// The counters.
    pub fn stats(&self) -> &IndexerStats {
        &self.stats
    }

    fn dropped(&self, ts: i64) {
        self.losses.note(ts);
        let before = self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        if before == 0 || (before + 1) / 1000 > before / 1000 {
            tracing::warn!(dropped = before + 1, "search index changes dropped; replayed once the queue drains");
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
            if self.queue.try_send((m.ts, change)).is_err() {
                self.dropped(m.ts);
            }
        }
    }
}

async fn worker(
    index: Arc<dyn SearchIndex>,
    recovery: Recovery,
    mut rx: mpsc::Receiver<(i64, IndexChange)>,
    stats: Arc<IndexerStats>,
) {
    recovery.mark(recovery.now()).await;
    recovery.recover_dead(true).await;
    let mut next_peer_check = Instant::now() + PEER_CHECK;
    loop {
        let batch = match tokio::time::timeout(HEARTBEAT, crate::batch::recv_batch(&mut rx, BATCH)).await {
            Ok(None) => break,
            Ok(Some(batch)) => Some(batch),
            Err(_) => None,
        };
        match batch {
            Some(batch) => write(&*index, &recovery, &mut rx, batch, &stats).await,
            // Idle: everything observed is written.
            None => recovery.mark(recovery.now()).await,
        }
        if rx.is_empty() {
            recovery.replay_losses().await;
        }
        if recovery.has_peers() && Instant::now() >= next_peer_check {
            recovery.recover_dead(false).await;
            next_peer_check = Instant::now() + PEER_CHECK;
        }
    }
}

/// Lets `batch` gather for [`LINGER`], writes it and records how far it reached.
async fn write(
    index: &dyn SearchIndex,
    recovery: &Recovery,
    rx: &mut mpsc::Receiver<(i64, IndexChange)>,
    mut batch: Vec<(i64, IndexChange)>,
    stats: &IndexerStats,
) {
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
    let newest = batch.iter().map(|c| c.0).max().unwrap_or(i64::MIN);
    let oldest = batch.iter().map(|c| c.0).min().unwrap_or(i64::MAX);
    let changes: Vec<IndexChange> = batch.into_iter().map(|c| c.1).collect();
    match index.apply(&changes).await {
        Ok(()) => {
            stats.applied.fetch_add(n, Ordering::Relaxed);
            recovery.mark(newest).await;
        }
        Err(e) => {
            stats.dropped.fetch_add(n, Ordering::Relaxed);
            recovery.losses().note(oldest);
            tracing::warn!(error = %e, changes = n, "search index batch failed; replayed from the log later");
        }
    }
}
