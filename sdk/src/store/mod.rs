//! The local SQLite store: conversations with cursors and read positions, messages, the outbox,
//! the saved session and a full-text index of the messages. It lets the app show history and
//! unread counts and search offline and at start-up, and keeps unsent messages across restarts.

mod catch_up;
mod conversations;
#[cfg(test)]
mod edit_tests;
mod edits;
mod messages;
mod muted;
mod outbox;
mod reactions;
mod schema;
mod search;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod thread_tests;
mod threads;

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::SdkError;

pub(crate) use conversations::ConvFacts;
pub(crate) use messages::Stored;
pub(crate) use muted::Mute;
pub(crate) use outbox::OutboxItem;
pub(crate) use reactions::ReactionChange;
pub(crate) use search::Position;
pub(crate) use threads::thread_root_of;

/// File name of the store inside the data dir.
const FILE: &str = "tidings-sdk.sqlite3";

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub(crate) struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and brings its schema up to date.
    pub(crate) async fn open(data_dir: &Path) -> Result<Self, SdkError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| SdkError::Store { message: format!("cannot create data dir {}: {e}", data_dir.display()) })?;
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        // One connection: the SDK's writes are small and serialising them avoids SQLITE_BUSY.
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        schema::migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes the database (waits for running queries).
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// A saved value (the session).
    pub(crate) async fn get_kv(&self, key: &str) -> Result<Option<String>, SdkError> {
        Ok(sqlx::query_scalar::<_, String>("SELECT value FROM kv WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Saves or, with `None`, deletes a value.
    pub(crate) async fn set_kv(&self, key: &str, value: Option<&str>) -> Result<(), SdkError> {
        match value {
            Some(v) => {
                sqlx::query(
                    "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(v)
                .execute(&self.pool)
                .await?
            }
            None => sqlx::query("DELETE FROM kv WHERE key = ?").bind(key).execute(&self.pool).await?,
        };
        Ok(())
    }

    /// Forgets every conversation, message, pin and outbox entry (another user logged in here).
    pub(crate) async fn wipe(&self) -> Result<(), SdkError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM messages").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM conversations").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM outbox").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM pins").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM reactions").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// SQLite stores integers as i64; seqs and counts are u64 on the wire.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The other way.
pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
