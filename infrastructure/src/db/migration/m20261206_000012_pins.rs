//! Pinned messages: one row per pinned message of a conversation, the state the log's `pin`
//! entries leave.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConversationPins {
    Table,
    ConvId,
    Seq,
    PinnedBy,
    PinnedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversationPins::Table)
                    .if_not_exists()
                    .col(string_len(ConversationPins::ConvId, 96))
                    .col(big_integer(ConversationPins::Seq))
                    .col(string_len(ConversationPins::PinnedBy, 40))
                    .col(big_integer(ConversationPins::PinnedAt))
                    .primary_key(Index::create().col(ConversationPins::ConvId).col(ConversationPins::Seq))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConversationPins::Table).to_owned()).await
    }
}
