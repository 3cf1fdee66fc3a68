//! The SQLite message writer: one thread that owns the connection batches are appended through.
//!
//! Through the async driver every statement of a batch is a round trip between the commit
//! pipeline's task and the driver's worker thread, and on a busy machine each hand-off can wait
//! milliseconds for a core: a batch of five statements waited for ten of them while the
//! database itself did a few milliseconds of work. Here a whole batch is one hand-off: the
//! pipeline converts the messages into plain rows on its own thread, sends them over, and this
//! thread runs `BEGIN`, the inserts, the high-water marks and `COMMIT` with statements prepared
//! once, then answers. Only SQLite's own work runs here.
//!
//! Checkpoints (copying the write-ahead log back into the database file) also run here, but
//! after the batch is answered, never inside a commit: SQLite's automatic checkpoint runs in
//! the commit that crosses its threshold, and a batch over a thousand conversations crossed it
//! every time. Every connection of the pool has automatic checkpoints off
//! (`super::connect_options`).

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior, params};
use tidings_domain::message::Message;
use tidings_domain::{ConvId, StoreError};
use tokio::sync::oneshot;

use super::append::{Mark, high_water_marks, log_append};
use super::to_db;

/// Logged pages (4 KiB) past which the writer checkpoints after answering a batch: 64 MiB. The
/// same hot pages (each active conversation's and sender's index leaves) are logged again by
/// every batch, and a checkpoint copies each page once, so a longer interval copies far less
/// in all (W2 with 1,000 pairs: p99 416 ms windowed and a 17.5 ms mean ack at 10,000 msgs/s,
/// against 672 ms and 42 ms with 4,096 pages).
const CHECKPOINT_PAGES: i32 = 16_384;

/// An idle writer checkpoints whatever is logged (by any connection) after this long without a
/// batch.
const IDLE_CHECKPOINT: Duration = Duration::from_secs(1);

/// Page cache of the writer's connection (KiB): the index pages of every active conversation
/// and sender stay in memory between batches.
const CACHE_KIB: i64 = 64 * 1024;

/// A message as the thread writes it: every column already in its stored form.
struct Row {
    conv: String,
    seq: i64,
    msg_id: String,
    sender: String,
    client_msg_id: String,
    kind: String,
    body: String,
    ts: i64,
}

/// One batch for the thread.
struct Job {
    rows: Vec<Row>,
    /// Direct conversations to create if missing: (conv, lo user, hi user).
    open: Vec<(String, String, String)>,
    marks: Vec<Mark>,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    jobs: mpsc::Sender<Job>,
}

impl SqliteWriter {
    /// Opens the database file at `path` (already migrated) and starts the thread.
    pub(crate) fn start(path: PathBuf, sync_every_commit: bool) -> Result<Self, StoreError> {
        let conn = open(&path, sync_every_commit).map_err(store_err)?;
        let (jobs, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("tidings-sqlite-writer".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError::Other(format!("starting the SQLite writer: {e}")))?;
        Ok(Self { jobs })
    }

    /// Appends `batch` (opening the direct conversations in `open` first) in one transaction.
    pub(crate) async fn append(&self, batch: &[Message], open: &[ConvId]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows = batch
            .iter()
            .map(|m| Row {
                conv: m.conv.to_string(),
                seq: to_db(m.seq),
                msg_id: m.msg_id.clone(),
                sender: m.sender.to_string(),
                client_msg_id: m.client_msg_id.clone(),
                kind: m.kind.clone(),
                body: m.body.clone(),
                ts: m.ts,
            })
            .collect();
        let mut open: Vec<(String, String, String)> = open
            .iter()
            .filter_map(|c| match c {
                ConvId::Direct { lo, hi } => Some((c.to_string(), lo.to_string(), hi.to_string())),
                ConvId::Group(_) => None,
            })
            .collect();
        open.sort_unstable();
        let (reply, answer) = oneshot::channel();
        let job = Job { rows, open, marks: high_water_marks(batch), reply };
        self.jobs.send(job).map_err(|_| StoreError::Unavailable("the SQLite writer stopped".into()))?;
        answer.await.unwrap_or_else(|_| Err(StoreError::Unavailable("the SQLite writer stopped".into())))
    }
}

/// The database file of a `sqlite://` URL, or `None` for an in-memory database (which exists
/// once per connection, so a second connection would see another, empty one).
pub(crate) fn file_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.split('&').any(|q| q == "mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

fn open(path: &PathBuf, sync_every_commit: bool) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", if sync_every_commit { "FULL" } else { "NORMAL" })?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    // The hook replaces SQLite's automatic checkpoint on this connection (see the module doc).
    conn.wal_hook(Some(remember_logged_pages));
    Ok(conn)
}

thread_local! {
    /// Pages in the write-ahead log after this thread's last commit.
    static LOGGED_PAGES: Cell<i32> = const { Cell::new(0) };
}

fn remember_logged_pages(_: &rusqlite::hooks::Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    LOGGED_PAGES.with(|p| p.set(pages));
    Ok(())
}

fn run(mut conn: Connection, jobs: mpsc::Receiver<Job>) {
    loop {
        let job = match jobs.recv_timeout(IDLE_CHECKPOINT) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Other connections' commits (REST writes, read positions) log pages too, and
                // only a checkpoint tells how many: cheap when there is nothing to copy.
                checkpoint(&conn);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let result = write(&mut conn, &job);
        let _ = job.reply.send(result.map_err(store_err));
        if LOGGED_PAGES.with(Cell::get) >= CHECKPOINT_PAGES {
            checkpoint(&conn);
        }
    }
    checkpoint(&conn);
}

fn write(conn: &mut Connection, job: &Job) -> rusqlite::Result<()> {
    let t0 = Instant::now();
    let txn = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let t_begin = t0.elapsed();
    if !job.open.is_empty() {
        let ts = job.rows.first().map_or(0, |r| r.ts);
        let mut conv = txn.prepare_cached(
            "INSERT INTO conversations (conv_id, kind, max_seq, created_at, updated_at) \
             VALUES (?1, 'direct', 0, ?2, ?2) ON CONFLICT (conv_id) DO NOTHING",
        )?;
        let mut member = txn.prepare_cached(
            "INSERT INTO conversation_members (conv_id, user_id, read_seq, joined_at, visible_from) \
             VALUES (?1, ?2, 0, ?3, 0) ON CONFLICT (conv_id, user_id) DO NOTHING",
        )?;
        for (id, lo, hi) in &job.open {
            conv.execute(params![id, ts])?;
            member.execute(params![id, lo, ts])?;
            member.execute(params![id, hi, ts])?;
        }
    }
    let t_open = t0.elapsed();
    {
        let mut insert = txn.prepare_cached(
            "INSERT INTO messages (conv_id, seq, msg_id, sender_id, client_msg_id, kind, body, ts) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for r in &job.rows {
            insert.execute(params![r.conv, r.seq, r.msg_id, r.sender, r.client_msg_id, r.kind, r.body, r.ts])?;
        }
    }
    let t_insert = t0.elapsed();
    {
        let mut raise = txn.prepare_cached(
            "UPDATE conversations SET max_seq = max(max_seq, ?2), updated_at = ?3 WHERE conv_id = ?1",
        )?;
        for m in &job.marks {
            raise.execute(params![m.conv, m.max_seq, m.ts])?;
        }
    }
    let t_update = t0.elapsed();
    txn.commit()?;
    log_append(job.rows.len(), job.marks.len(), job.open.len(), [t_begin, t_open, t_insert, t_update, t0.elapsed()]);
    Ok(())
}

/// Copies the log back without waiting for readers (`PASSIVE`); the log starts over at the next
/// write once all of it is copied.
fn checkpoint(conn: &Connection) {
    let started = Instant::now();
    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))) {
        Ok((logged, copied)) => {
            LOGGED_PAGES.with(|p| p.set(i32::try_from(logged - copied).unwrap_or(i32::MAX)));
            tracing::debug!(logged, copied, took_us = started.elapsed().as_micros() as u64, "checkpoint");
        }
        Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
    }
}

/// The driver's errors in the domain's terms: a unique key is a duplicate, a locked database or
/// an I/O failure is unavailable, anything else is other.
fn store_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Duplicate(e.to_string())
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::SystemIoFailure) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_of_a_url() {
        assert_eq!(file_of("sqlite://./data/tidings.db?mode=rwc"), Some(PathBuf::from("./data/tidings.db")));
        assert_eq!(file_of("sqlite:/tmp/x.db"), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(file_of("sqlite::memory:"), None);
        assert_eq!(file_of("sqlite://x.db?mode=memory&cache=shared"), None);
        assert_eq!(file_of("mysql://root@127.0.0.1/test"), None);
    }
}
