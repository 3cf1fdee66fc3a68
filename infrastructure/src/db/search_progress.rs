//! [`SearchRecovery`] for [`SqlSearchIndex`]: each indexer's progress in `search_progress`, beside
//! the index (in its file on SQLite, a table on MySQL), and the replay of the log from a time.
//!
//! A replay reads the conversations whose log moved since then (`conversations.updated_at` is
//! the time of each one's newest entry), walks each log back to that time, and writes every
//! touched message's index entry from its row as it is now, so a replay racing live indexing
//! or replaying an edit before its recall still leaves the current text (docs/search-design.md).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use rusqlite::params;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tidings_domain::ports::{IndexChange, IndexerProgress, MessageStore, SearchIndex, SearchRecovery};
use tidings_domain::search::{current_index_change, index_target};
use tidings_domain::{ConvId, StoreError};

use super::messages::SqlMessageStore;
use super::search::SqlSearchIndex;
use super::{int, store_err};

/// Log entries read per page while walking back, and conversations replayed per batch.
const PAGE: u64 = 500;

const UPSERT_SQLITE: &str = "INSERT INTO search_progress (writer, indexed_through, beat) VALUES (?, ?, ?) \
     ON CONFLICT (writer) DO UPDATE SET indexed_through = excluded.indexed_through, beat = excluded.beat";
const UPSERT_MYSQL: &str = "INSERT INTO search_progress (writer, indexed_through, beat) VALUES (?, ?, ?) \
     ON DUPLICATE KEY UPDATE indexed_through = VALUES(indexed_through), beat = VALUES(beat)";
const LIST: &str = "SELECT writer, indexed_through, beat FROM search_progress";
const FORGET: &str = "DELETE FROM search_progress WHERE writer = ?";

#[async_trait]
impl SearchRecovery for SqlSearchIndex {
    async fn mark(&self, p: &IndexerProgress) -> Result<(), StoreError> {
        if let Some(file) = self.file() {
            let (writer, through, beat) = (p.writer.clone(), p.through, p.beat);
            return file.run(move |c| c.execute(UPSERT_SQLITE, params![writer, through, beat]).map(drop)).await;
        }
        let sql = if self.db().get_database_backend() == DbBackend::MySql { UPSERT_MYSQL } else { UPSERT_SQLITE };
        self.pool_exec(sql, vec![p.writer.clone().into(), p.through.into(), p.beat.into()]).await
    }

    async fn progress(&self) -> Result<Vec<IndexerProgress>, StoreError> {
        if let Some(file) = self.file() {
            let reads = file.reads().clone();
            return tokio::task::spawn_blocking(move || {
                reads.query_all(LIST, &[], |r| {
                    Ok(IndexerProgress { writer: r.get(0)?, through: r.get(1)?, beat: r.get(2)? })
                })
            })
            .await
            .map_err(|e| StoreError::Other(format!("search progress task: {e}")))?;
        }
        let db = self.db();
        let rows =
            db.query_all_raw(Statement::from_string(db.get_database_backend(), LIST)).await.map_err(store_err)?;
        rows.iter()
            .map(|r| {
                Ok(IndexerProgress {
                    writer: r.try_get("", "writer").map_err(store_err)?,
                    through: int(r, "indexed_through")?,
                    beat: int(r, "beat")?,
                })
            })
            .collect()
    }

    async fn forget(&self, writer: &str) -> Result<(), StoreError> {
        if let Some(file) = self.file() {
            let writer = writer.to_owned();
            return file.run(move |c| c.execute(FORGET, params![writer]).map(drop)).await;
        }
        self.pool_exec(FORGET, vec![writer.into()]).await
    }

    async fn replay_since(&self, since: i64) -> Result<u64, StoreError> {
        let messages = SqlMessageStore::new(self.db().clone());
        let convs = self.moved_since(since).await?;
        let mut written = 0;
        for chunk in convs.chunks(PAGE as usize) {
            let mut rows = Vec::new();
            for conv in chunk {
                let targets = touched_since(&messages, conv, since).await?;
                let keys: Vec<(ConvId, u64)> = targets.iter().map(|&s| (conv.clone(), s)).collect();
                let mut stored: HashMap<u64, _> =
                    messages.get_many(&keys).await?.into_iter().map(|m| (m.seq, m)).collect();
                for seq in targets {
                    match stored.remove(&seq) {
                        Some(m) => rows.push((m.ts, current_index_change(&m))),
                        // Gone from the log (retention): gone from the index.
                        None => rows.push((i64::MIN, IndexChange::Remove { conv: conv.clone(), seq })),
                    }
                }
            }
            // Written oldest first, so newest-first results keep the log's order.
            rows.sort_by_key(|r| r.0);
            let changes: Vec<IndexChange> = rows.into_iter().map(|r| r.1).collect();
            written += changes.len() as u64;
            self.apply(&changes).await?;
        }
        Ok(written)
    }
}

impl SqlSearchIndex {
    /// The conversations whose newest entry is from `since` or later.
    async fn moved_since(&self, since: i64) -> Result<Vec<ConvId>, StoreError> {
        let db = self.db();
        let stmt = Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT conv_id FROM conversations WHERE updated_at >= ?",
            [since.into()],
        );
        let rows = db.query_all_raw(stmt).await.map_err(store_err)?;
        let mut convs = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("", "conv_id").map_err(store_err)?;
            convs.extend(ConvId::parse(&id));
        }
        Ok(convs)
    }

    /// One statement through the pool.
    async fn pool_exec(&self, sql: &str, values: Vec<sea_orm::Value>) -> Result<(), StoreError> {
        let db = self.db();
        db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
            .await
            .map_err(store_err)?;
        Ok(())
    }
}

/// The messages of `conv` whose index entries its log changed at or after `since`.
async fn touched_since(messages: &SqlMessageStore, conv: &ConvId, since: i64) -> Result<BTreeSet<u64>, StoreError> {
    let mut targets = BTreeSet::new();
    let mut below = u64::MAX;
    loop {
        let page = messages.before(conv, below, PAGE).await?;
        let Some(first) = page.first() else { break };
        below = first.seq;
        for m in page.iter().rev() {
            if m.ts < since {
                return Ok(targets);
            }
            targets.extend(index_target(m));
        }
        if (page.len() as u64) < PAGE {
            break;
        }
    }
    Ok(targets)
}
