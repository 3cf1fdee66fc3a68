//! Point reads on a SQLite file, run on the calling thread through a read-only connection of
//! that thread's own.
//!
//! Through the async driver every statement is two hand-offs between the caller's task and the
//! pool connection's worker thread. For the reads every message action makes first (the
//! member's view with the target message; a reaction's standing), the hand-offs cost far more
//! than SQLite's work, a lookup by primary key in pages the OS already holds: with 10 % of
//! messages edited and 20 % reacted, the pool's eight connections queued actions for seconds
//! (`acquire … exceeded slow threshold`) while a core sat partly idle (docs/benchmarks.md).
//! Here such a read is a few microseconds of the caller's own thread, like the writer thread's
//! statements (`sqlite_writer.rs`). Only indexed point reads belong here: the caller's runtime
//! thread waits for them.
//!
//! Each thread keeps one connection per database it reads (a few at most: tests run several
//! servers in one process), opened on first use. A write-ahead log lets them read beside the
//! writer without locks; each statement sees the last committed state.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params_from_iter};
use sea_orm::sea_query::{Value, Values};
use tidings_domain::StoreError;

/// Connections one thread keeps; past it the oldest is closed.
const CONNECTIONS_PER_THREAD: usize = 4;

/// Memory-mapped bytes of the database file per connection: reads of pages the OS holds copy
/// nothing into SQLite's own cache.
const MMAP_BYTES: i64 = 1 << 30;

/// Distinguishes databases opened by one process (a server restarted on the same file in a
/// test is a new database: its connections must not be an old one's).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's connections, by [`SqliteReads`] id, most recently opened last.
    static OPEN: RefCell<Vec<(u64, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// Reads of one SQLite database file from the calling thread; cheap to clone.
#[derive(Clone, Debug)]
pub struct SqliteReads {
    inner: Arc<Target>,
}

#[derive(Debug)]
struct Target {
    id: u64,
    path: PathBuf,
}

impl SqliteReads {
    /// Reads of the file a `sqlite://` URL names; `None` for an in-memory database (a second
    /// connection would open another, empty one) and for other databases.
    pub fn for_url(url: &str) -> Option<Self> {
        Some(Self::for_path(super::sqlite_writer::file_of(url)?))
    }

    /// Reads of the SQLite file at `path`.
    pub(crate) fn for_path(path: PathBuf) -> Self {
        Self { inner: Arc::new(Target { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), path }) }
    }

    /// Runs `read` on this thread's connection to the database, opening it if needed.
    pub(crate) fn with<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            let at = match open.iter().position(|(id, _)| *id == self.inner.id) {
                Some(at) => at,
                None => {
                    if open.len() >= CONNECTIONS_PER_THREAD {
                        open.remove(0);
                    }
                    open.push((self.inner.id, self.open().map_err(read_err)?));
                    open.len() - 1
                }
            };
            let started = std::time::Instant::now();
            let out = read(&open[at].1).map_err(read_err);
            let took = started.elapsed();
            if took > Duration::from_millis(1) {
                tracing::debug!(took_us = took.as_micros() as u64, "slow direct read");
            }
            out
        })
    }

    /// The first row of `sql` with `values` bound, through `decode`; statements are prepared
    /// once per connection.
    pub(crate) fn query_one<T>(
        &self,
        sql: &str,
        values: &Values,
        decode: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        let params = bound(values)?;
        self.with(|conn| conn.prepare_cached(sql)?.query_row(params_from_iter(params), decode).optional())
    }

    /// Every row of `sql` with `values` bound, through `decode`.
    pub(crate) fn query_all<T>(
        &self,
        sql: &str,
        values: &[SqlValue],
        mut decode: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params_from_iter(values.iter()), |row| decode(row))?;
            rows.collect()
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.inner.path, flags)?;
        // A reader waits only while the log is being reset, which takes microseconds.
        conn.busy_timeout(Duration::from_secs(2))?;
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        Ok(conn)
    }
}

/// `values` (built by sea-query for SQLite) as SQLite values: the statements read here bind
/// text and integers only.
pub(crate) fn bound(values: &Values) -> Result<Vec<SqlValue>, StoreError> {
    values
        .0
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone().map_or(SqlValue::Null, SqlValue::Text)),
            Value::BigInt(i) => Ok(i.map_or(SqlValue::Null, SqlValue::Integer)),
            Value::Int(i) => Ok(i.map_or(SqlValue::Null, |i| SqlValue::Integer(i.into()))),
            Value::Bool(b) => Ok(b.map_or(SqlValue::Null, |b| SqlValue::Integer(b.into()))),
            other => Err(StoreError::Other(format!("no direct SQLite binding for {other:?}"))),
        })
        .collect()
}

fn read_err(e: rusqlite::Error) -> StoreError {
    StoreError::Other(format!("sqlite read: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one');").unwrap();
        (dir, format!("sqlite://{}?mode=rwc", path.display()))
    }

    #[test]
    fn reads_what_another_connection_committed_and_sees_later_commits() {
        let (dir, url) = database();
        let reads = SqliteReads::for_url(&url).unwrap();
        let v: String = reads.with(|c| c.query_row("SELECT v FROM t WHERE k = 1", [], |r| r.get(0))).unwrap();
        assert_eq!(v, "one");
        let writer = Connection::open(dir.path().join("t.db")).unwrap();
        writer.execute("UPDATE t SET v = 'uno' WHERE k = 1", []).unwrap();
        let v: String = reads.with(|c| c.query_row("SELECT v FROM t WHERE k = 1", [], |r| r.get(0))).unwrap();
        assert_eq!(v, "uno");
    }

    #[test]
    fn cannot_write_and_says_why() {
        let (_dir, url) = database();
        let reads = SqliteReads::for_url(&url).unwrap();
        let err = reads.with(|c| c.execute("DELETE FROM t", [])).unwrap_err();
        assert!(err.to_string().contains("readonly") || err.to_string().contains("read-only"), "{err}");
    }

    #[test]
    fn a_thread_keeps_a_few_databases_open_and_each_reads_its_own() {
        let dbs: Vec<_> = (0..CONNECTIONS_PER_THREAD + 2).map(|_| database()).collect();
        let readers: Vec<_> = dbs.iter().map(|(_, url)| SqliteReads::for_url(url).unwrap()).collect();
        for (i, reads) in readers.iter().enumerate() {
            reads.with(|c| c.execute_batch("SELECT 1")).unwrap();
            assert!(OPEN.with(|o| o.borrow().len()) <= CONNECTIONS_PER_THREAD, "after {i}");
        }
        // The first was closed to make room; reading it again reopens it.
        let n: i64 = readers[0].with(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))).unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn no_reads_for_memory_databases() {
        assert!(SqliteReads::for_url("sqlite::memory:").is_none());
        assert!(SqliteReads::for_url("sqlite://x.db?mode=memory").is_none());
        assert!(SqliteReads::for_url("mysql://root@127.0.0.1/test").is_none());
    }
}
