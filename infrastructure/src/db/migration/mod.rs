//! Versioned schema migrations. The same migrations run on SQLite and on MySQL-compatible
//! servers: only backend-neutral column types and indexes, no engine-specific SQL.

use sea_orm_migration::prelude::*;

mod m20261122_000001_accounts;
mod m20261122_000002_messages;
mod m20261122_000003_social;
mod m20261122_000004_admin;
mod m20261122_000006_member_prefs;
mod m20261123_000007_media;
mod m20261123_000008_retention;
mod m20261206_000009_message_refs;
mod m20261206_000010_message_edits;
mod m20261206_000011_reactions;
mod m20261206_000012_pins;
mod m20261207_000013_threads;
mod m20261207_000014_group_policies;
mod m20261207_000015_search;
mod m20261207_000016_audit;
mod m20261207_000017_search_progress;
mod m20261208_000018_content;
mod m20261209_000019_bots;
mod m20261210_000020_native_push;

/// Runs `sql` on MySQL-family databases only: tables that exist only there (SQLite keeps the
/// search index in a file of its own).
async fn on_mysql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend};
    let db = manager.get_connection();
    if db.get_database_backend() == DbBackend::MySql {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_accounts::Migration),
            Box::new(m20261122_000002_messages::Migration),
            Box::new(m20261122_000003_social::Migration),
            Box::new(m20261122_000004_admin::Migration),
            Box::new(m20261122_000006_member_prefs::Migration),
            Box::new(m20261123_000007_media::Migration),
            Box::new(m20261123_000008_retention::Migration),
            Box::new(m20261206_000009_message_refs::Migration),
            Box::new(m20261206_000012_pins::Migration),
            Box::new(m20261206_000010_message_edits::Migration),
            Box::new(m20261206_000011_reactions::Migration),
            Box::new(m20261207_000013_threads::Migration),
            Box::new(m20261207_000014_group_policies::Migration),
            Box::new(m20261207_000015_search::Migration),
            Box::new(m20261207_000016_audit::Migration),
            Box::new(m20261207_000017_search_progress::Migration),
            Box::new(m20261208_000018_content::Migration),
            Box::new(m20261209_000019_bots::Migration),
            Box::new(m20261210_000020_native_push::Migration),
        ]
    }
}
