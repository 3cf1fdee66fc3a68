//! Checkpoints of the message writer's log, copied on a thread of their own.
//!
//! A checkpoint copies the write-ahead log back into the database file and syncs it: at 10,000
//! messages a second over 1,000 chats that is 16,000 pages a second, and on the writer's thread
//! each checkpoint stopped every commit for 30–120 ms, once a second: the open-loop tail. Here
//! the bulk of the copy runs on this thread, on a connection of its own, while the writer goes
//! on committing (SQLite lets one checkpointer and one writer work at once). What the writer
//! logged meanwhile is left over; the writer copies that small rest itself, between batches,
//! so that the log is wholly copied at its next commit and starts over from the beginning
//! instead of growing (a log that only a concurrent checkpointer ever copies is never wholly
//! copied under continuous writes, and reads through a long log slow every insert).
//!
//! Hand-off: the writer [`Checkpointer::request`]s a copy when enough is logged; this thread
//! copies and sets `done`; the writer, seeing `done` after its next batch
//! ([`Checkpointer::take_done`]), asks for another round while the rest is large (each round
//! copies what was logged during the one before, so the rounds shrink fast) and copies the
//! rest itself once it is small: its cost is then a few hundred pages and the syncs.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use rusqlite::Connection;

/// No copy asked for, or the last one's rest already copied by the writer.
const IDLE: u8 = 0;
/// This thread is copying.
const RUNNING: u8 = 1;
/// This thread has copied; the writer copies the rest.
const DONE: u8 = 2;

/// The writer's handle on the checkpoint thread.
pub(super) struct Checkpointer {
    state: Arc<AtomicU8>,
    /// Log frames copied by the last round (the log's length when it started).
    copied: Arc<AtomicI64>,
    wake: mpsc::SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread on `conn` (the writer's file, opened with the writer's settings).
    /// `None` when the thread cannot start: the writer then copies everything itself.
    pub(super) fn start(conn: Connection) -> Option<Self> {
        let state = Arc::new(AtomicU8::new(IDLE));
        let copied = Arc::new(AtomicI64::new(0));
        let (wake, requests) = mpsc::sync_channel(1);
        let (thread_state, thread_copied) = (state.clone(), copied.clone());
        std::thread::Builder::new()
            .name("tidings-sqlite-checkpoint".into())
            .spawn(move || serve(&conn, &requests, &thread_state, &thread_copied))
            .map_err(|e| tracing::warn!(error = %e, "no checkpoint thread; the message writer checkpoints inline"))
            .ok()?;
        Some(Self { state, copied, wake })
    }

    /// Asks for a copy unless one is under way or its rest is still to copy. Returns at once;
    /// `false` when the thread is gone, and the writer must copy inline.
    pub(super) fn request(&self) -> bool {
        if self.state.compare_exchange(IDLE, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return true;
        }
        // The channel is empty whenever the state is idle, so this fails only without a thread.
        let sent = self.wake.try_send(()).is_ok();
        if !sent {
            self.state.store(IDLE, Ordering::Release);
        }
        sent
    }

    /// Whether a copy has finished since the last call, and if so how many log frames it
    /// copied: the rest is what the writer logged meanwhile.
    pub(super) fn take_done(&self) -> Option<i64> {
        self.state
            .compare_exchange(DONE, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            .then(|| self.copied.load(Ordering::Acquire))
    }

    /// Whether the thread is copying now (the writer then does not copy inline).
    pub(super) fn busy(&self) -> bool {
        self.state.load(Ordering::Acquire) != IDLE
    }
}

fn serve(conn: &Connection, requests: &mpsc::Receiver<()>, state: &AtomicU8, copied_frames: &AtomicI64) {
    while requests.recv().is_ok() {
        let started = Instant::now();
        match super::sqlite_writer::passive_checkpoint(conn) {
            Ok((logged, copied)) => {
                copied_frames.store(copied, Ordering::Release);
                tracing::debug!(
                    logged,
                    copied,
                    took_us = started.elapsed().as_micros() as u64,
                    "background checkpoint"
                );
            }
            Err(e) => tracing::warn!(error = %e, "background checkpoint failed"),
        }
        state.store(DONE, Ordering::Release);
    }
}
