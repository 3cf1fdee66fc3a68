//! [`SearchIndex`] in the database the deployment already has (docs/search-design.md).
//!
//! SQLite: `search_docs` maps each indexed message to a row id, which is also its row in the
//! contentless FTS5 table `search_terms` (terms only, no copy of the text), in a file of their
//! own beside the database with a writer thread of their own (`search_file.rs`); an in-memory
//! database keeps them in itself. MySQL family: one InnoDB table, `search_docs` with the terms
//! and a `FULLTEXT` key, written through the pool. Both keep positions in insertion order, so
//! newest first is a descending walk of the key.

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use sea_orm::sea_query::Values;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use tidings_domain::ports::{IndexChange, IndexHit, SearchIndex, SearchScope};
use tidings_domain::search::SearchQuery;
use tidings_domain::{ConvId, StoreError};

use super::search_file::{SQLITE_TABLES, SearchFile};
use super::sqlite_reads::bound;
use super::{from_db, int, store_err, to_db};

/// Conversations named per search statement.
const CONV_CHUNK: usize = 500;

/// The search index of a SQLite file or a MySQL-family database.
#[derive(Clone)]
pub struct SqlSearchIndex {
    db: DatabaseConnection,
    /// For a SQLite file, the index's own file.
    file: Option<SearchFile>,
}

impl SqlSearchIndex {
    /// The index of the database `db` at `url`: a file beside a SQLite file, tables in an
    /// in-memory SQLite database, the migrated `search_docs` table on MySQL.
    pub async fn open(db: DatabaseConnection, url: &str) -> Result<Self, StoreError> {
        if let Some(path) = super::sqlite_writer::file_of(url) {
            return Ok(Self { db, file: Some(SearchFile::open(&path)?) });
        }
        if db.get_database_backend() != DbBackend::MySql {
            for sql in SQLITE_TABLES {
                db.execute_unprepared(sql).await.map_err(store_err)?;
            }
        }
        Ok(Self { db, file: None })
    }

    /// The index file, for a SQLite file.
    pub(super) fn file(&self) -> Option<&SearchFile> {
        self.file.as_ref()
    }

    /// The pool it reads through.
    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

#[async_trait]
impl SearchIndex for SqlSearchIndex {
    async fn apply(&self, changes: &[IndexChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        if let Some(file) = &self.file {
            let changes = changes.to_vec();
            return file.run(move |conn| apply_sqlite(conn, &changes)).await;
        }
        match self.db.get_database_backend() {
            DbBackend::MySql => apply_mysql_retrying(&self.db, changes).await,
            // An in-memory SQLite database (tests): the same statements through the pool.
            _ => apply_pool_sqlite(&self.db, changes).await,
        }
    }

    async fn search(
        &self,
        query: &SearchQuery,
        scope: SearchScope<'_>,
        before: Option<u64>,
        limit: u64,
    ) -> Result<Vec<IndexHit>, StoreError> {
        let backend = self.db.get_database_backend();
        let mysql = backend == DbBackend::MySql;
        let chunks: Vec<Option<&[ConvId]>> = match scope {
            SearchScope::Conversations(convs) => convs.chunks(CONV_CHUNK).map(Some).collect(),
            SearchScope::Everywhere => vec![None],
        };
        let mut hits = Vec::new();
        for chunk in chunks {
            let (sql, values) = if mysql {
                mysql_statement(query, chunk, before, limit)
            } else {
                sqlite_statement(query, chunk, before, limit)
            };
            if let Some(file) = &self.file {
                hits.extend(search_file(file, sql, values).await?);
                continue;
            }
            let rows = self.db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await;
            for row in rows.map_err(store_err)? {
                let conv_id: String = row.try_get("", "conv_id").map_err(store_err)?;
                let Some(conv) = ConvId::parse(&conv_id) else { continue };
                hits.push(IndexHit { position: from_db(int(&row, "id")?), conv, seq: from_db(int(&row, "seq")?) });
            }
        }
        // Each chunk gave its newest; together, the newest `limit` of all.
        hits.sort_by_key(|h| std::cmp::Reverse(h.position));
        hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(hits)
    }
}

/// The SQLite statement: the FTS5 table drives (CROSS JOIN keeps it outside) and walks its
/// matches newest first by its own rowid, below the cursor, so the walk stops at `limit` matches
/// in the caller's conversations. Ordered by the joined id instead, SQLite collected and sorted
/// every match first: 1.4-3 s for a common word in 200,000 messages.
fn sqlite_statement(
    query: &SearchQuery,
    chunk: Option<&[ConvId]>,
    before: Option<u64>,
    limit: u64,
) -> (String, Vec<sea_orm::Value>) {
    let below = if before.is_some() { " AND t.rowid < ?" } else { "" };
    let sql = format!(
        "SELECT d.id, d.conv_id, d.seq FROM search_terms t CROSS JOIN search_docs d ON d.id = t.rowid \
         WHERE search_terms MATCH ?{below}{} ORDER BY t.rowid DESC LIMIT ?",
        within(chunk)
    );
    let mut values: Vec<sea_orm::Value> = vec![query.fts5().into()];
    values.extend(before.map(|b| sea_orm::Value::from(to_db(b))));
    values.extend(chunk.unwrap_or_default().iter().map(|c| c.to_string().into()));
    values.push(to_db(limit).into());
    (sql, values)
}

/// The MySQL statement. Over every conversation (compliance search) the `FULLTEXT` key answers.
/// Over a user's conversations the rows of those conversations are read through their
/// `(conv_id, seq)` key and their terms matched with `LIKE`: InnoDB's `MATCH … AGAINST` reads a
/// common word's whole posting list and every matching row before the conversation test, 2-17 s
/// per page at 1,000,000 messages (docs/search-design.md, "MySQL at size"), where this reads only
/// what the user's conversations hold.
fn mysql_statement(
    query: &SearchQuery,
    chunk: Option<&[ConvId]>,
    before: Option<u64>,
    limit: u64,
) -> (String, Vec<sea_orm::Value>) {
    let below = if before.is_some() { " AND d.id < ?" } else { "" };
    let convs = chunk.unwrap_or_default().iter().map(|c| sea_orm::Value::from(c.to_string()));
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let sql = if chunk.is_some() {
        let patterns = query.like_patterns();
        let like = vec![" AND CONCAT(' ', d.terms, ' ') LIKE ?"; patterns.len()].concat();
        values.extend(convs);
        values.extend(before.map(|b| sea_orm::Value::from(to_db(b))));
        values.extend(patterns.into_iter().map(sea_orm::Value::from));
        format!(
            "SELECT d.id, d.conv_id, d.seq FROM search_docs d FORCE INDEX (uq_search_docs) \
             WHERE TRUE{}{below}{like} ORDER BY d.id DESC LIMIT ?",
            within(chunk)
        )
    } else {
        values.push(query.boolean_mode().into());
        values.extend(before.map(|b| sea_orm::Value::from(to_db(b))));
        format!(
            "SELECT d.id, d.conv_id, d.seq FROM search_docs d \
             WHERE MATCH(d.terms) AGAINST (? IN BOOLEAN MODE){below} ORDER BY d.id DESC LIMIT ?"
        )
    };
    values.push(to_db(limit).into());
    (sql, values)
}

/// ` AND d.conv_id IN (?, …)` for a chunk of conversations; nothing for every conversation.
fn within(chunk: Option<&[ConvId]>) -> String {
    chunk.map_or(String::new(), |c| format!(" AND d.conv_id IN ({})", vec!["?"; c.len()].join(", ")))
}

/// One search statement on the index file, on a blocking thread (a match walks posting lists:
/// milliseconds, too long for a runtime thread).
async fn search_file(file: &SearchFile, sql: String, values: Vec<sea_orm::Value>) -> Result<Vec<IndexHit>, StoreError> {
    let reads = file.reads().clone();
    let params = bound(&Values(values))?;
    let rows = tokio::task::spawn_blocking(move || {
        reads.query_all(&sql, &params, |row| {
            Ok((row.get::<_, i64>("id")?, row.get::<_, String>("conv_id")?, row.get::<_, i64>("seq")?))
        })
    })
    .await
    .map_err(|e| StoreError::Other(format!("search task: {e}")))??;
    Ok(rows
        .into_iter()
        .filter_map(|(id, conv, seq)| {
            Some(IndexHit { position: from_db(id), conv: ConvId::parse(&conv)?, seq: from_db(seq) })
        })
        .collect())
}

/// The statements of a change on SQLite, shared by the file's writer and the pool.
const FIND_DOC: &str = "SELECT id FROM search_docs WHERE conv_id = ? AND seq = ?";
const FORGET_TERMS: &str = "DELETE FROM search_terms WHERE rowid = ?";
const FORGET_DOC: &str = "DELETE FROM search_docs WHERE id = ?";
const ADD_DOC: &str = "INSERT INTO search_docs (conv_id, seq) VALUES (?, ?)";
const ADD_TERMS: &str = "INSERT INTO search_terms (rowid, terms) VALUES (?, ?)";

/// The changes on the index writer's connection, in one transaction.
fn apply_sqlite(conn: &mut rusqlite::Connection, changes: &[IndexChange]) -> rusqlite::Result<()> {
    let txn = conn.transaction()?;
    {
        let mut find = txn.prepare_cached(FIND_DOC)?;
        let mut forget_terms = txn.prepare_cached(FORGET_TERMS)?;
        let mut forget_doc = txn.prepare_cached(FORGET_DOC)?;
        let mut add_doc = txn.prepare_cached(ADD_DOC)?;
        let mut add_terms = txn.prepare_cached(ADD_TERMS)?;
        for change in changes {
            let (conv, seq) = change.target();
            let (conv, seq) = (conv.to_string(), to_db(seq));
            // A put replaces what was there: an edited message matches its current text only,
            // and moves to the top as the newest change.
            if let Some(id) = find.query_row(params![conv, seq], |r| r.get::<_, i64>(0)).optional()? {
                forget_terms.execute(params![id])?;
                forget_doc.execute(params![id])?;
            }
            if let IndexChange::Put { terms, .. } = change {
                add_doc.execute(params![conv, seq])?;
                add_terms.execute(params![txn.last_insert_rowid(), terms])?;
            }
        }
    }
    txn.commit()
}

/// [`apply_sqlite`] through the pool, for a database with no writer thread.
async fn apply_pool_sqlite(db: &DatabaseConnection, changes: &[IndexChange]) -> Result<(), StoreError> {
    let txn = db.begin().await.map_err(store_err)?;
    let run = |sql: &str, values: Vec<sea_orm::Value>| {
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
    };
    for change in changes {
        let (conv, seq) = change.target();
        let (conv, seq) = (conv.to_string(), to_db(seq));
        let find = Statement::from_sql_and_values(DbBackend::Sqlite, FIND_DOC, [conv.clone().into(), seq.into()]);
        if let Some(row) = txn.query_one_raw(find).await.map_err(store_err)? {
            let id = int(&row, "id")?;
            run(FORGET_TERMS, vec![id.into()]).await.map_err(store_err)?;
            run(FORGET_DOC, vec![id.into()]).await.map_err(store_err)?;
        }
        if let IndexChange::Put { terms, .. } = change {
            let added = run(ADD_DOC, vec![conv.into(), seq.into()]).await.map_err(store_err)?;
            let id = i64::try_from(added.last_insert_id()).unwrap_or(0);
            run(ADD_TERMS, vec![id.into(), terms.clone().into()]).await.map_err(store_err)?;
        }
    }
    txn.commit().await.map_err(store_err)
}

/// Attempts at one batch on a MySQL-family database.
const MYSQL_TRIES: u64 = 4;

/// [`apply_mysql`], tried again after a failure up to [`MYSQL_TRIES`] times in all: two
/// instances' batches (live or replayed) over neighbouring keys can deadlock, and a batch given
/// up is a loss the indexer must replay from the log.
async fn apply_mysql_retrying(db: &DatabaseConnection, changes: &[IndexChange]) -> Result<(), StoreError> {
    let mut tries = 1;
    loop {
        match apply_mysql(db, changes).await {
            Err(e) if tries < MYSQL_TRIES => {
                tracing::debug!(error = %e, tries, "search index batch failed; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(50 * tries)).await;
                tries += 1;
            }
            done => return done,
        }
    }
}

/// Keys per statement on a MySQL-family database.
const MYSQL_CHUNK: usize = 256;

/// The changes on a MySQL-family database, in one transaction and a few statements whatever
/// their number: every key the batch touches is deleted, then each one's last put is inserted
/// (a put deletes and re-inserts, so the row takes a new, highest position). Statements come in
/// few lengths (`shape.rs`).
async fn apply_mysql(db: &DatabaseConnection, changes: &[IndexChange]) -> Result<(), StoreError> {
    // The last change of each key decides (a put then a removal in one batch ends removed), and
    // puts are inserted in the order of their last change, so positions follow the log.
    let mut last: HashMap<(String, i64), (usize, Option<&str>)> = HashMap::with_capacity(changes.len());
    for (at, change) in changes.iter().enumerate() {
        let (conv, seq) = change.target();
        let terms = match change {
            IndexChange::Put { terms, .. } => Some(terms.as_str()),
            IndexChange::Remove { .. } => None,
        };
        last.insert((conv.to_string(), to_db(seq)), (at, terms));
    }
    let keys: Vec<(String, i64)> = last.keys().cloned().collect();
    let mut puts: Vec<(usize, String, i64, String)> =
        last.iter().filter_map(|((c, s), (at, t))| t.map(|t| (*at, c.clone(), *s, t.to_owned()))).collect();
    puts.sort_unstable_by_key(|p| p.0);
    let puts: Vec<(String, i64, String)> = puts.into_iter().map(|(_, c, s, t)| (c, s, t)).collect();
    let txn = db.begin().await.map_err(store_err)?;
    for chunk in keys.chunks(MYSQL_CHUNK) {
        let chunk = super::shape::padded(chunk.to_vec());
        let sql =
            format!("DELETE FROM search_docs WHERE (conv_id, seq) IN ({})", vec!["(?, ?)"; chunk.len()].join(", "));
        let values: Vec<sea_orm::Value> = chunk.into_iter().flat_map(|(c, s)| [c.into(), s.into()]).collect();
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::MySql, sql, values)).await.map_err(store_err)?;
    }
    for chunk in puts.chunks(MYSQL_CHUNK) {
        for run in super::shape::power_of_two_runs(chunk) {
            let sql = format!(
                "INSERT INTO search_docs (conv_id, seq, terms) VALUES {}",
                vec!["(?, ?, ?)"; run.len()].join(", ")
            );
            let values: Vec<sea_orm::Value> =
                run.iter().flat_map(|(c, s, t)| [c.clone().into(), (*s).into(), t.clone().into()]).collect();
            txn.execute_raw(Statement::from_sql_and_values(DbBackend::MySql, sql, values)).await.map_err(store_err)?;
        }
    }
    txn.commit().await.map_err(store_err)
}
