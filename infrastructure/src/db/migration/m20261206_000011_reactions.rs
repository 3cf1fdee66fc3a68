//! Message reactions: the current state of each user's emoji on each message, one row per
//! `(conv_id, seq, emoji, user_id)`. A row is written in the transaction of the `reaction`
//! entry that sets it, and keeps the seq of that entry (`entry_seq`), so the table is always
//! what the log's entries say, applied in seq order. A row turned off stays (`is_on` false) so
//! that a repeated "off" can be answered with the entry that turned it off. The emoji is kept
//! as bytes, so that no database collation ever takes two emoji for one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MessageReactions {
    Table,
    ConvId,
    Seq,
    Emoji,
    UserId,
    IsOn,
    EntrySeq,
    Ts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageReactions::Table)
                    .if_not_exists()
                    .col(string_len(MessageReactions::ConvId, 96))
                    .col(big_integer(MessageReactions::Seq))
                    .col(var_binary(MessageReactions::Emoji, 64))
                    .col(string_len(MessageReactions::UserId, 40))
                    .col(boolean(MessageReactions::IsOn))
                    .col(big_integer(MessageReactions::EntrySeq))
                    .col(big_integer(MessageReactions::Ts))
                    .primary_key(
                        Index::create()
                            .col(MessageReactions::ConvId)
                            .col(MessageReactions::Seq)
                            .col(MessageReactions::Emoji)
                            .col(MessageReactions::UserId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MessageReactions::Table).to_owned()).await
    }
}
