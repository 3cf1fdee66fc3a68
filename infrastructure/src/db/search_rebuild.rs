//! `tidings search reindex`: the search index rebuilt from the log, for existing data, after a
//! restart lost queued changes, or after the index was wiped. Every conversation's entries are
//! read in seq order and turned into index changes by the same rule the indexer follows
//! (`tidings_domain::search::index_change`), so the rebuilt index is the one live indexing
//! would have written.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tidings_domain::ports::{IndexChange, MessageStore, SearchIndex};
use tidings_domain::search::index_change;
use tidings_domain::{ConvId, StoreError};

use super::messages::SqlMessageStore;
use super::search::SqlSearchIndex;
use super::store_err;

/// Conversations read per page, and entries per page of one conversation.
const PAGE: u64 = 500;

/// Empties the SQLite tables; a contentless FTS5 table is emptied by its own command. The
/// indexers' progress goes too: a rebuilt index holds everything, nothing is left to replay.
const SQLITE_CLEAR: [&str; 3] = [
    "INSERT INTO search_terms (search_terms) VALUES ('delete-all')",
    "DELETE FROM search_docs",
    "DELETE FROM search_progress",
];

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Conversations read.
    pub conversations: u64,
    /// Log entries read.
    pub entries: u64,
    /// Index changes written (puts and removals, in log order).
    pub changes: u64,
}

impl SqlSearchIndex {
    /// Empties the index and fills it again from every conversation's log in `messages`.
    pub async fn rebuild(&self, messages: &SqlMessageStore) -> Result<Rebuilt, StoreError> {
        self.clear().await?;
        let mut done = Rebuilt::default();
        let mut after = String::new();
        loop {
            let convs = self.conversation_page(&after).await?;
            let Some(last) = convs.last() else { break };
            after = last.to_string();
            for conv in &convs {
                done.conversations += 1;
                let mut seq = 0;
                loop {
                    let page = messages.after(conv, seq, PAGE).await?;
                    let Some(last) = page.last() else { break };
                    seq = last.seq;
                    done.entries += page.len() as u64;
                    let changes: Vec<IndexChange> = page.iter().filter_map(index_change).collect();
                    done.changes += changes.len() as u64;
                    self.apply(&changes).await?;
                    if (page.len() as u64) < PAGE {
                        break;
                    }
                }
            }
        }
        Ok(done)
    }

    /// Conversation ids above `after`, in order, a page at a time.
    async fn conversation_page(&self, after: &str) -> Result<Vec<ConvId>, StoreError> {
        let db = self.db();
        let sql = format!("SELECT conv_id FROM conversations WHERE conv_id > ? ORDER BY conv_id LIMIT {PAGE}");
        let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, [after.into()]);
        let rows = db.query_all_raw(stmt).await.map_err(store_err)?;
        let mut convs = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("", "conv_id").map_err(store_err)?;
            convs.extend(ConvId::parse(&id));
        }
        Ok(convs)
    }

    /// Removes every entry of the index.
    pub async fn clear(&self) -> Result<(), StoreError> {
        if let Some(file) = self.file() {
            return file.run(|conn| conn.execute_batch(&SQLITE_CLEAR.join(";"))).await;
        }
        let db = self.db();
        let statements: &[&str] = if db.get_database_backend() == DbBackend::MySql {
            &["DELETE FROM search_docs", "DELETE FROM search_progress"]
        } else {
            &SQLITE_CLEAR
        };
        for sql in statements {
            db.execute_unprepared(sql).await.map_err(store_err)?;
        }
        Ok(())
    }
}
