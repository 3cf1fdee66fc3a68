//! How indexing catches up: an indexer records how far it has written (`search_progress`), beats
//! while idle, and replays the log from where a dead indexer stopped or where its own queue
//! dropped changes (docs/search-design.md, "Catching up").
//!
//! Every server process is one indexer with a writer name of its own. At start it replays what
//! each earlier process left (in a single-process deployment every other record is a dead one);
//! in a cluster, records whose beat is older than [`STALE`] are dead peers', checked every
//! [`PEER_CHECK`]. A replay rewrites each touched message from its row as it is now, so it is
//! safe to repeat and to run beside live indexing.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tidings_domain::Clock;
use tidings_domain::ports::{IndexerProgress, SearchRecovery};

/// How far back of a recorded time a replay starts: the moments between an entry's timestamp
/// and its commit reaching the indexer, and clocks of cluster instances that disagree a little.
pub const MARGIN_MS: i64 = 10_000;

/// How often an idle indexer says it is alive and caught up.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// A record not beaten for this long belongs to a dead indexer.
pub const STALE: Duration = Duration::from_secs(30);

/// How often a cluster indexer looks for dead peers.
pub const PEER_CHECK: Duration = Duration::from_secs(30);

/// The changes an indexer dropped and has not replayed: shared by the observer, which notes
/// each drop, and the worker, which replays them.
#[derive(Debug)]
pub(super) struct Losses {
    /// The oldest entry time of a dropped change not yet replayed (`i64::MAX`: none).
    since: AtomicI64,
    /// Drops so far, so a replay knows whether more came while it ran.
    count: AtomicU64,
}

impl Losses {
    fn new() -> Self {
        Self { since: AtomicI64::new(i64::MAX), count: AtomicU64::new(0) }
    }

    /// Notes a dropped change of an entry from `ts`.
    pub(super) fn note(&self, ts: i64) {
        self.since.fetch_min(ts, Ordering::AcqRel);
        self.count.fetch_add(1, Ordering::AcqRel);
    }
}

/// One indexer's side of recovery.
pub(super) struct Recovery {
    store: Arc<dyn SearchRecovery>,
    clock: Arc<dyn Clock>,
    writer: String,
    /// Whether other live indexers may share the index (a cluster).
    peers: bool,
    /// What this indexer dropped.
    losses: Arc<Losses>,
}

impl Recovery {
    pub(super) fn new(store: Arc<dyn SearchRecovery>, clock: Arc<dyn Clock>, writer: String, peers: bool) -> Self {
        Self { store, clock, writer, peers, losses: Arc::new(Losses::new()) }
    }

    /// Where the observer and the worker note dropped changes.
    pub(super) fn losses(&self) -> Arc<Losses> {
        self.losses.clone()
    }

    /// Records that everything before `through` is written (held back to the oldest loss not yet
    /// replayed, so a crash before that replay still leaves it to whoever recovers this record).
    pub(super) async fn mark(&self, through: i64) {
        let through = through.min(self.losses.since.load(Ordering::Acquire));
        let progress = IndexerProgress { writer: self.writer.clone(), through, beat: self.clock.now_ms() };
        if let Err(e) = self.store.mark(&progress).await {
            tracing::warn!(error = %e, "search progress not recorded");
        }
    }

    /// The time of now, for an idle indexer's mark.
    pub(super) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Replays this indexer's own dropped changes, once its queue has drained.
    pub(super) async fn replay_losses(&self) {
        let since = self.losses.since.load(Ordering::Acquire);
        if since == i64::MAX {
            return;
        }
        let (started, drops_before) = (self.clock.now_ms(), self.losses.count.load(Ordering::Acquire));
        match self.store.replay_since(since.saturating_sub(MARGIN_MS)).await {
            Ok(n) => {
                // A drop during the replay may be of an entry the replay read its log before:
                // the next round starts from when this one did (less the margin, as always).
                let next = if self.losses.count.load(Ordering::Acquire) == drops_before { i64::MAX } else { started };
                self.losses.since.store(next, Ordering::Release);
                tracing::info!(since, changes = n, "search index caught up with dropped changes");
            }
            Err(e) => tracing::warn!(error = %e, "search replay of dropped changes failed; retrying later"),
        }
    }

    /// Replays what dead indexers left and forgets their records: at start every other record in
    /// a single-process deployment, else those not beaten for [`STALE`].
    pub(super) async fn recover_dead(&self, starting: bool) {
        let records = match self.store.progress().await {
            Ok(r) => r,
            Err(e) => return tracing::warn!(error = %e, "search progress unreadable; no catch-up"),
        };
        let stale_before = self.clock.now_ms() - i64::try_from(STALE.as_millis()).unwrap_or(i64::MAX);
        for record in records {
            let dead = record.writer != self.writer && ((starting && !self.peers) || record.beat < stale_before);
            if !dead {
                continue;
            }
            match self.store.replay_since(record.through.saturating_sub(MARGIN_MS)).await {
                Ok(n) => {
                    tracing::info!(writer = %record.writer, through = record.through, changes = n, "search index caught up");
                    if let Err(e) = self.store.forget(&record.writer).await {
                        tracing::warn!(error = %e, "search progress record not removed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, writer = %record.writer, "search catch-up failed; retrying later"),
            }
        }
    }

    /// Whether this indexer should look for dead peers from time to time.
    pub(super) fn has_peers(&self) -> bool {
        self.peers
    }
}
