//! Message references: which log entries point at which message (a reply at what it quotes; an
//! edit, reaction, pin or recall notice at its target). A row is written in the same transaction
//! as the entry that points, and only for entries that point at something, so a plain message
//! costs nothing here. Recalling a message reads its references to erase every copy of its
//! content (quotes of it, its earlier versions).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MessageRefs {
    Table,
    ConvId,
    TargetSeq,
    Seq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageRefs::Table)
                    .if_not_exists()
                    .col(string_len(MessageRefs::ConvId, 96))
                    .col(big_integer(MessageRefs::TargetSeq))
                    .col(big_integer(MessageRefs::Seq))
                    .primary_key(
                        Index::create().col(MessageRefs::ConvId).col(MessageRefs::TargetSeq).col(MessageRefs::Seq),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MessageRefs::Table).to_owned()).await
    }
}
