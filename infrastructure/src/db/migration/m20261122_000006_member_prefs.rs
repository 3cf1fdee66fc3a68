//! Per-member conversation preferences (mute, pin, draft) and the time the member's row last
//! changed, for the incremental conversation list.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum ConversationMembers {
    Table,
    Muted,
    Pinned,
    Draft,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one ADD COLUMN per ALTER TABLE.
        let columns = [
            boolean(ConversationMembers::Muted).default(false).to_owned(),
            boolean(ConversationMembers::Pinned).default(false).to_owned(),
            text_null(ConversationMembers::Draft).to_owned(),
            big_integer(ConversationMembers::ChangedAt).default(0).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(ConversationMembers::Table).add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ConversationMembers::Muted,
            ConversationMembers::Pinned,
            ConversationMembers::Draft,
            ConversationMembers::ChangedAt,
        ] {
            manager
                .alter_table(Table::alter().table(ConversationMembers::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
