//! Storage: the database (migrated on open), the batch writer's own connection, and the stores
//! every other context is built on.

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tidings_domain::Clock;
use tidings_domain::ports::ConversationStore;
use tidings_infrastructure::db::{
    self, DbOptions, SqlConversationStore, SqlMessageStore, SqlUserRepository, SqliteReads,
};

use crate::settings::Settings;

/// The opened database and the stores shared across contexts.
pub(super) struct Storage {
    /// The pool.
    pub(super) db: DatabaseConnection,
    /// Accounts.
    pub(super) users: Arc<SqlUserRepository>,
    /// The message logs, written in batches.
    pub(super) messages: Arc<SqlMessageStore>,
    /// Conversations and read positions (read moves go through the batch writer too).
    pub(super) convs: Arc<dyn ConversationStore>,
    /// Point reads on the calling thread, for a SQLite file (`None` otherwise).
    pub(super) direct_reads: Option<SqliteReads>,
}

/// The pool settings of `settings.db` and the effective URL.
pub(super) fn db_options(settings: &Settings) -> DbOptions {
    DbOptions {
        url: settings.effective_database_url(),
        max_connections: settings.db.max_connections,
        acquire_timeout: settings.db.acquire_timeout,
        sqlite_sync_every_commit: settings.db.sqlite_sync_every_commit,
    }
}

/// Opens and migrates the database the settings name.
pub(super) async fn open_db(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    db::connect_and_migrate(&db_options(settings)).await.context("opening the database")
}

/// Opens the database, the batch writer's connection and the shared stores.
pub(super) async fn open(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Storage> {
    let db = open_db(settings).await?;
    let options = db_options(settings);
    let batch_writer =
        db::connect_batch_writer(&options, &db).await.context("opening the batch writer's database connection")?;
    let messages = Arc::new(
        SqlMessageStore::for_batches(&options, db.clone(), batch_writer.clone())
            .context("starting the message writer")?,
    );
    let direct_reads = SqliteReads::for_url(&options.url);
    let convs = Arc::new(
        SqlConversationStore::with_batch_writer(db.clone(), batch_writer)
            .with_clock(clock)
            .with_direct_reads(direct_reads.clone()),
    );
    Ok(Storage { users: Arc::new(SqlUserRepository::new(db.clone())), messages, convs, db, direct_reads })
}

/// `tidings search reindex`: on the database the settings name (migrated first), empties the
/// search index and rebuilds it from every conversation's log. Run with the servers stopped
/// (what they commit meanwhile would be indexed twice or not at all).
pub async fn search_reindex(settings: &Settings) -> anyhow::Result<db::Rebuilt> {
    let db = open_db(settings).await?;
    let messages = SqlMessageStore::new(db.clone());
    let index = db::SqlSearchIndex::open(db, &db_options(settings).url).await?;
    index.rebuild(&messages).await.context("rebuilding the search index")
}
