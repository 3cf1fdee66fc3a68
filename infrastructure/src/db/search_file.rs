//! The search index of an embedded server, in a SQLite file of its own beside the database
//! (`tidings.db` → `tidings.search.db`), written by a thread of its own.
//!
//! In the database file, index writes took SQLite's one write lock from the message commits:
//! on the message writer's thread they nearly doubled its load and raised the send path's p50
//! fivefold at 10,000 msgs/s (docs/benchmarks.md, "Search"). The index is derived from the log
//! and rebuilt from it (`tidings search reindex`), so it needs no transaction with the messages
//! and no sync on every commit: its own file, lock and thread cost the send path only CPU.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use tidings_domain::StoreError;
use tokio::sync::oneshot;

use super::sqlite_reads::SqliteReads;

/// The index's tables: `search_docs` gives each indexed message a row id, which is also its row
/// in the contentless FTS5 table `search_terms` (terms only, no copy of the text).
/// `search_progress` holds each indexer's progress (`search_progress.rs`).
pub(crate) const SQLITE_TABLES: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS search_docs (id INTEGER PRIMARY KEY AUTOINCREMENT, \
     conv_id VARCHAR(96) NOT NULL, seq BIGINT NOT NULL, UNIQUE (conv_id, seq))",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_terms USING fts5(terms, content='', contentless_delete=1, \
     tokenize='unicode61 remove_diacritics 0')",
    "CREATE TABLE IF NOT EXISTS search_progress (writer VARCHAR(64) PRIMARY KEY, \
     indexed_through BIGINT NOT NULL, beat BIGINT NOT NULL)",
];

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The index file: its writer thread and reads of it from the calling thread.
#[derive(Clone)]
pub(crate) struct SearchFile {
    jobs: mpsc::Sender<Job>,
    reads: SqliteReads,
}

impl SearchFile {
    /// Opens (creating) the index file beside the database file `db_path` and starts its writer.
    pub(crate) fn open(db_path: &Path) -> Result<Self, StoreError> {
        let path = index_path(db_path);
        let conn = open(&path).map_err(|e| StoreError::Other(format!("opening {}: {e}", path.display())))?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tidings-search-writer".into())
            .spawn(move || {
                let mut conn = conn;
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Other(format!("starting the search writer: {e}")))?;
        Ok(Self { jobs, reads: SqliteReads::for_path(path) })
    }

    /// Runs `write` on the writer thread; its result once it has run.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(write(conn));
        });
        let stopped = || StoreError::Unavailable("the search writer stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?.map_err(|e| StoreError::Other(format!("search index: {e}")))
    }

    /// Reads of the file, on whichever thread calls them.
    pub(crate) fn reads(&self) -> &SqliteReads {
        &self.reads
    }
}

/// `dir/tidings.db` → `dir/tidings.search.db`.
fn index_path(db_path: &Path) -> PathBuf {
    let stem = db_path.file_stem().and_then(|s| s.to_str()).unwrap_or("tidings");
    db_path.with_file_name(format!("{stem}.search.db"))
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Rebuilt from the log when lost: a crash may lose the last writes, never the messages.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -16_384)?;
    for sql in SQLITE_TABLES {
        conn.execute_batch(sql)?;
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_sits_beside_the_database() {
        assert_eq!(index_path(Path::new("/d/tidings.db")), PathBuf::from("/d/tidings.search.db"));
        assert_eq!(index_path(Path::new("data/x")), PathBuf::from("data/x.search.db"));
    }
}
