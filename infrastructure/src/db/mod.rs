//! Storage through sea-orm. One schema and one set of repositories serve SQLite (embedded mode)
//! and MySQL-compatible servers (cluster mode); the URL picks the engine.

pub mod admin;
mod append;
mod audit;
mod bots;
mod content;
pub mod conversations;
mod edits;
mod effects;
pub mod entity;
mod erase;
pub mod groups;
pub mod media;
mod member_message;
pub mod messages;
pub mod migration;
pub mod pins;
mod push;
pub mod reactions;
pub mod retention;
pub mod search;
mod search_file;
mod search_progress;
mod search_rebuild;
pub mod sessions;
mod shape;
pub mod social;
mod sqlite_checkpoint;
mod sqlite_reads;
mod sqlite_writer;
pub mod threads;
pub mod users;
pub mod webhooks;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    IsolationLevel, QueryResult, RuntimeErr, SqlErr, Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tidings_domain::StoreError;

pub use admin::SqlAdminStore;
pub use audit::SqlAuditLog;
pub use bots::SqlBotStore;
pub use content::SqlContentStore;
pub use conversations::SqlConversationStore;
pub use groups::SqlGroupStore;
pub use media::SqlMediaRepository;
pub use messages::SqlMessageStore;
pub use pins::SqlPinStore;
pub use push::SqlPushStore;
pub use reactions::SqlReactionStore;
pub use retention::SqlRetentionStore;
pub use search::SqlSearchIndex;
pub use search_rebuild::Rebuilt;
pub use sessions::SqlSessionRepository;
pub use social::SqlSocialStore;
pub use sqlite_reads::SqliteReads;
pub use threads::SqlThreadStore;
pub use users::SqlUserRepository;
pub use webhooks::SqlWebhookStore;

/// Pool settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connection URL: `sqlite://path?mode=rwc` or `mysql://user:pass@host/db`.
    pub url: String,
    /// Most pooled connections.
    pub max_connections: u32,
    /// How long to wait for a pooled connection before failing.
    pub acquire_timeout: Duration,
    /// SQLite: sync the write-ahead log on every commit (power-loss safe) rather than only at
    /// checkpoints (process-crash safe).
    pub sqlite_sync_every_commit: bool,
}

/// Opens the pool (tuning SQLite for a write-ahead log) and applies pending migrations.
pub async fn connect_and_migrate(opts: &DbOptions) -> Result<DatabaseConnection, DbErr> {
    // The migration lock holds one connection while the migrations use another.
    let db = Database::connect(connect_options(opts, opts.max_connections.max(2))).await?;
    if db.get_database_backend() == DbBackend::MySql {
        migrate_under_lock(&db).await?;
    } else {
        migration::Migrator::up(&db, None).await?;
    }
    Ok(db)
}

/// The connection the background batch writers (read positions; messages too, except on a
/// SQLite file, where they have a thread of their own: `sqlite_writer.rs`) commit through.
///
/// On SQLite it is a pool of its own holding exactly one connection, opened after
/// [`connect_and_migrate`]. SQLite has one writer at a time anyway, and a connection keeps its
/// page cache only while no *other* connection writes: with the batches spread over the shared
/// pool, each one landed on a connection whose cache the previous batch (on another connection)
/// had invalidated, and re-read every index page it touched. One writing connection keeps the
/// tails of the message indexes in memory (docs/benchmarks.md, "What the profiles showed",
/// item 8). MySQL-family databases share the main pool: their server keeps one buffer pool.
pub async fn connect_batch_writer(opts: &DbOptions, main: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    // An in-memory SQLite database exists once per connection: a second pool would open an
    // empty one, so such a database keeps everything on its one pool.
    if main.get_database_backend() != DbBackend::Sqlite || sqlite_writer::file_of(&opts.url).is_none() {
        return Ok(main.clone());
    }
    let mut options = connect_options(opts, 1);
    // Kept open while the server runs, so its cache stays warm between bursts; no ping before
    // each batch (the batch's first statement finds a broken connection just as well).
    options.idle_timeout(None).max_lifetime(None).test_before_acquire(false);
    Database::connect(options).await
}

/// Connection options shared by the main pool and the batch writer.
fn connect_options(opts: &DbOptions, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(opts.url.clone());
    let sync_every_commit = opts.sqlite_sync_every_commit;
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(opts.acquire_timeout)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                // FULL: an acked message survives power loss; group commit amortises the fsync.
                .synchronous(if sync_every_commit { SqliteSynchronous::Full } else { SqliteSynchronous::Normal })
                .busy_timeout(Duration::from_secs(10))
                // A multi-row INSERT that may hit a unique key keeps a statement journal: in
                // memory, not in a temporary file written on every batch.
                .pragma("temp_store", "MEMORY")
                // 16 MiB of page cache per connection (SQLite's default is 2 MiB), so the
                // indexes a batch touches stay in memory instead of being re-read.
                .pragma("cache_size", "-16384")
                // Checkpoints run on the message writer's thread between batches, never inside
                // a commit (`sqlite_writer.rs`).
                .pragma("wal_autocheckpoint", "0")
                .create_if_missing(true)
        });
    options
}

/// Instances of a cluster may start together: a named lock (MySQL, MariaDB and TiDB all have
/// `GET_LOCK`) lets one migrate while the others wait, then find nothing left to do.
async fn migrate_under_lock(db: &DatabaseConnection) -> Result<(), DbErr> {
    let lock = db.begin().await?;
    let got = lock
        .query_one_raw(Statement::from_string(DbBackend::MySql, "SELECT GET_LOCK('tidings_migrations', 120) AS got"))
        .await?
        .and_then(|row| row.try_get::<Option<i64>>("", "got").ok().flatten());
    if got != Some(1) {
        return Err(DbErr::Migration("timed out waiting for another instance's migrations".into()));
    }
    let result = migration::Migrator::up(db, None).await;
    let _ = lock.execute_unprepared("DO RELEASE_LOCK('tidings_migrations')").await;
    lock.commit().await?;
    result
}

/// Translates a sea-orm error into the domain's terms, once, for every repository.
pub(crate) fn store_err(e: DbErr) -> StoreError {
    if let Some(SqlErr::UniqueConstraintViolation(what)) = e.sql_err() {
        return StoreError::Duplicate(what);
    }
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(RuntimeErr::SqlxError(_)) => StoreError::Unavailable(e.to_string()),
        other => StoreError::Other(other.to_string()),
    }
}

/// Seq and counters are `u64` in the domain and `BIGINT` in storage.
pub(crate) fn to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The reverse of [`to_db`]; negative values cannot occur and read as 0.
pub(crate) fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// An integer column, whatever width the backend gave an aggregate or a boolean.
pub(crate) fn int(row: &QueryResult, col: &str) -> Result<i64, StoreError> {
    if let Ok(n) = row.try_get::<i64>("", col) {
        return Ok(n);
    }
    if let Ok(n) = row.try_get::<i32>("", col) {
        return Ok(i64::from(n));
    }
    row.try_get::<bool>("", col).map(i64::from).map_err(store_err)
}

/// Begins a background writer's batch transaction (messages, read positions). On MySQL-family
/// databases it runs READ COMMITTED: rows a statement only reads or passes over are not locked,
/// just the rows it changes. Under REPEATABLE READ a scan of the small, young `conversations`
/// table locked every row it passed, and two instances' writers deadlocked on each other's new
/// rows. SQLite has one writer at a time and no isolation levels to choose.
pub(crate) async fn begin_batch(db: &DatabaseConnection) -> Result<DatabaseTransaction, StoreError> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin().await
    } else {
        db.begin_with_config(Some(IsolationLevel::ReadCommitted), None).await
    }
    .map_err(store_err)
}

/// Whether the database answers, for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), StoreError> {
    db.ping().await.map_err(store_err)
}
