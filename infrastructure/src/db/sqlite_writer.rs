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
//! Checkpoints (copying the write-ahead log back into the database file) never run inside a
//! commit: SQLite's automatic checkpoint runs in the commit that crosses its threshold, and a
//! batch over a thousand conversations crossed it every time. Every connection of the pool has
//! automatic checkpoints off (`super::connect_options`). The bulk of each copy runs on a thread
//! of its own (`super::sqlite_checkpoint`); this thread copies only what was logged meanwhile,
//! after answering a batch.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::effects::Effects;
use rusqlite::{Connection, TransactionBehavior, params};
use tidings_domain::message::Message;
use tidings_domain::{ConvId, StoreError};
use tokio::sync::oneshot;

use super::append::{Mark, high_water_marks, log_append};
use super::sqlite_checkpoint::Checkpointer;
use super::to_db;

/// When the log is copied back, in log frames (4 KiB pages).
#[derive(Debug, Clone, Copy)]
struct CheckpointPolicy {
    /// Logged pages past which a copy starts.
    start_pages: i64,
    /// Pages left after a background round that the writer copies itself; more, and it asks
    /// for another round.
    inline_rest: i64,
    /// Background rounds of one copy before the writer copies the rest whatever its size, so
    /// the log is sure to start over even when every round leaves much behind.
    max_rounds: u32,
}

/// A copy starts at 64 MiB of log. The same hot pages (each active conversation's and sender's
/// index leaves) are logged again by every batch, and a checkpoint copies each page once, so a
/// longer interval copies far less in all (W2 with 1,000 pairs, checkpoints inline: p99 416 ms
/// windowed and a 17.5 ms mean ack at 10,000 msgs/s, against 672 ms and 42 ms with 4,096
/// pages).
const CHECKPOINTS: CheckpointPolicy = CheckpointPolicy { start_pages: 16_384, inline_rest: 512, max_rounds: 4 };

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
    /// What the batch's entries do besides being stored, applied after the rows.
    effects: Effects,
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
        Self::start_with(path, sync_every_commit, CHECKPOINTS)
    }

    fn start_with(path: PathBuf, sync_every_commit: bool, policy: CheckpointPolicy) -> Result<Self, StoreError> {
        let conn = open(&path, sync_every_commit).map_err(store_err)?;
        let checkpointer = match open(&path, sync_every_commit) {
            Ok(conn) => Checkpointer::start(conn),
            Err(e) => {
                tracing::warn!(error = %e, "no checkpoint thread; the message writer checkpoints inline");
                None
            }
        };
        let (jobs, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("tidings-sqlite-writer".into())
            .spawn(move || run(conn, rx, checkpointer.as_ref(), policy))
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
        let job = Job { rows, open, marks: high_water_marks(batch), effects: Effects::of(batch), reply };
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

fn run(mut conn: Connection, jobs: mpsc::Receiver<Job>, checkpointer: Option<&Checkpointer>, policy: CheckpointPolicy) {
    let mut copy = CopyUnderWay { policy, rounds: 0 };
    loop {
        let job = match jobs.recv_timeout(IDLE_CHECKPOINT) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Other connections' commits (REST writes, read positions) log pages too, and
                // only a checkpoint tells how many: cheap when there is nothing to copy.
                let _ = checkpointer.map(Checkpointer::take_done);
                if !checkpointer.is_some_and(Checkpointer::busy) {
                    copy.rounds = 0;
                    checkpoint(&conn);
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let result = write(&mut conn, &job);
        let _ = job.reply.send(result.map_err(store_err));
        copy.after_batch(&conn, checkpointer);
    }
    checkpoint(&conn);
}

/// The checkpoint policy and the background rounds of the copy under way.
struct CopyUnderWay {
    policy: CheckpointPolicy,
    rounds: u32,
}

impl CopyUnderWay {
    /// Between batches: asks for another background round while a finished round left much
    /// behind (at most `max_rounds` in a row), copies the rest itself once it is small (so the
    /// log starts over at the next commit), or starts a copy once enough is logged (inline
    /// without a checkpoint thread).
    fn after_batch(&mut self, conn: &Connection, checkpointer: Option<&Checkpointer>) {
        let p = self.policy;
        let logged = i64::from(LOGGED_PAGES.with(Cell::get));
        let Some(c) = checkpointer else {
            if logged >= p.start_pages {
                checkpoint(conn);
            }
            return;
        };
        match c.take_done() {
            Some(copied) if logged - copied > p.inline_rest && self.rounds < p.max_rounds => {
                self.ask_round(conn, c, self.rounds + 1);
            }
            Some(_) => {
                self.rounds = 0;
                checkpoint(conn);
            }
            None if logged >= p.start_pages && !c.busy() => self.ask_round(conn, c, 1),
            None => {}
        }
    }

    /// Asks the thread for background round `round`; copies inline if the thread is gone.
    fn ask_round(&mut self, conn: &Connection, c: &Checkpointer, round: u32) {
        self.rounds = round;
        if !c.request() {
            self.rounds = 0;
            checkpoint(conn);
        }
    }
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
        job.effects.apply_sqlite(&txn)?;
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
    match passive_checkpoint(conn) {
        Ok((logged, copied)) => {
            LOGGED_PAGES.with(|p| p.set(i32::try_from(logged - copied).unwrap_or(i32::MAX)));
            tracing::debug!(logged, copied, took_us = started.elapsed().as_micros() as u64, "checkpoint");
        }
        Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)` on `conn`: (pages in the log, pages copied).
pub(super) fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
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

    fn message(conv: &ConvId, seq: u64, sender: &tidings_domain::UserId, n: usize) -> Message {
        Message {
            conv: conv.clone(),
            seq,
            msg_id: format!("m{n:08}"),
            sender: sender.clone(),
            client_msg_id: format!("c{n}"),
            kind: "text".into(),
            body: r#"{"text":"hello"}"#.into(),
            ts: 1,
            edited_at: None,
        }
    }

    /// Under writes that never pause, the background rounds and the writer's small rest keep
    /// the log starting over: without the rest it would only grow (every round leaves the
    /// frames logged meanwhile), here to over 50 MB.
    #[tokio::test]
    async fn background_checkpoints_keep_the_log_short_under_continuous_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let opts = super::super::DbOptions {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
            sqlite_sync_every_commit: true,
        };
        let _db = super::super::connect_and_migrate(&opts).await.unwrap();
        let policy = CheckpointPolicy { start_pages: 64, inline_rest: 16, max_rounds: 4 };
        let writer = SqliteWriter::start_with(path.clone(), true, policy).unwrap();
        let users: Vec<_> = (0..101).map(|i| tidings_domain::UserId::parse(&format!("u_{i:03}")).unwrap()).collect();
        let convs: Vec<_> = (1..101).map(|i| ConvId::direct(&users[0], &users[i]).unwrap()).collect();
        let wal = dir.path().join("t.db-wal");
        let (batches, mut largest_log) = (200u64, 0);
        for b in 0..batches {
            let batch: Vec<_> =
                convs.iter().enumerate().map(|(i, c)| message(c, b + 1, &users[0], (b as usize) * 100 + i)).collect();
            writer.append(&batch, if b == 0 { &convs } else { &[] }).await.unwrap();
            largest_log = largest_log.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        drop(writer);
        assert!(largest_log < 8 << 20, "the log grew to {largest_log} bytes");
        let check = Connection::open(&path).unwrap();
        let rows: i64 = check.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 100 * 200);
        let ok: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
    }
}
