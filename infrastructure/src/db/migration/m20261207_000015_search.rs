//! The search index on MySQL-family databases (docs/search-design.md): one InnoDB table with the
//! terms under a `FULLTEXT` key (InnoDB indexes tokens of three characters and more by default;
//! the terms' one-letter markers make every term at least that long, so no server setting is
//! needed). On SQLite the index keeps its tables in a file of its own (`db/search_file.rs`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const MYSQL_UP: &str = "CREATE TABLE IF NOT EXISTS search_docs (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \
     conv_id VARCHAR(96) NOT NULL, seq BIGINT NOT NULL, terms MEDIUMTEXT NOT NULL, \
     UNIQUE KEY uq_search_docs (conv_id, seq), FULLTEXT KEY ft_search_terms (terms)) \
     ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::on_mysql(manager, MYSQL_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::on_mysql(manager, "DROP TABLE IF EXISTS search_docs").await
    }
}
