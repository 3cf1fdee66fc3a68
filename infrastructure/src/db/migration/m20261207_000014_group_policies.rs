//! `chat_groups.policies`: a group's "who may" rules as one JSON object (empty: every rule at its
//! default), so a new rule needs no migration of its own.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatGroups {
    Table,
    Policies,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChatGroups::Table)
                    .add_column(string_len(ChatGroups::Policies, 1024).default("{}"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(ChatGroups::Table).drop_column(ChatGroups::Policies).to_owned()).await
    }
}
