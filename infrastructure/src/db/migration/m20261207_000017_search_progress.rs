//! `search_progress` on MySQL-family databases: each indexer's progress, for catching up after
//! a restart or a crash (`db/search_progress.rs`). On SQLite it lives in the index file.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const MYSQL_UP: &str = "CREATE TABLE IF NOT EXISTS search_progress (writer VARCHAR(64) NOT NULL PRIMARY KEY, \
     indexed_through BIGINT NOT NULL, beat BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::on_mysql(manager, MYSQL_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::on_mysql(manager, "DROP TABLE IF EXISTS search_progress").await
    }
}
