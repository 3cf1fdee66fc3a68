//! Edits: a message's `edited_at` (ms, NULL until its first edit; the send path's INSERT does
//! not name it) and `message_edits`, every body an edited message has had, keyed by the log
//! entry that wrote it: the original under the message's own seq, each edit's new body under the
//! edit entry's seq. The version with the highest seq is the row's current body. A recall deletes
//! a message's versions with it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    EditedAt,
}

#[derive(DeriveIden)]
enum MessageEdits {
    Table,
    ConvId,
    TargetSeq,
    Seq,
    Body,
    EditedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Messages::Table).add_column(big_integer_null(Messages::EditedAt)).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageEdits::Table)
                    .if_not_exists()
                    .col(string_len(MessageEdits::ConvId, 96))
                    .col(big_integer(MessageEdits::TargetSeq))
                    .col(big_integer(MessageEdits::Seq))
                    .col(text(MessageEdits::Body))
                    .col(big_integer(MessageEdits::EditedAt))
                    .primary_key(
                        Index::create().col(MessageEdits::ConvId).col(MessageEdits::TargetSeq).col(MessageEdits::Seq),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MessageEdits::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Messages::Table).drop_column(Messages::EditedAt).to_owned()).await
    }
}
