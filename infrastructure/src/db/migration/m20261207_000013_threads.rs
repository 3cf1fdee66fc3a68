//! Threads: `thread_replies` indexes the replies of each root (one row per reply, written in the
//! reply's own commit, deleted by its recall), so a thread pages and a root's summary sums without
//! scanning the log; `thread_follows` keeps, per follower (the root's author and everyone who
//! replied), the read position in that thread.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ThreadReplies {
    Table,
    ConvId,
    RootSeq,
    Seq,
    SenderId,
    Ts,
}

#[derive(DeriveIden)]
enum ThreadFollows {
    Table,
    UserId,
    ConvId,
    RootSeq,
    ReadSeq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ThreadReplies::Table)
                    .if_not_exists()
                    .col(string_len(ThreadReplies::ConvId, 96))
                    .col(big_integer(ThreadReplies::RootSeq))
                    .col(big_integer(ThreadReplies::Seq))
                    .col(string_len(ThreadReplies::SenderId, 40))
                    .col(big_integer(ThreadReplies::Ts))
                    .primary_key(
                        Index::create().col(ThreadReplies::ConvId).col(ThreadReplies::RootSeq).col(ThreadReplies::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        // A recall finds the reply it erases by its own seq.
        manager
            .create_index(
                Index::create()
                    .name("idx_thread_replies_seq")
                    .table(ThreadReplies::Table)
                    .col(ThreadReplies::ConvId)
                    .col(ThreadReplies::Seq)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreadFollows::Table)
                    .if_not_exists()
                    .col(string_len(ThreadFollows::UserId, 40))
                    .col(string_len(ThreadFollows::ConvId, 96))
                    .col(big_integer(ThreadFollows::RootSeq))
                    .col(big_integer(ThreadFollows::ReadSeq))
                    .primary_key(
                        Index::create()
                            .col(ThreadFollows::UserId)
                            .col(ThreadFollows::ConvId)
                            .col(ThreadFollows::RootSeq),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ThreadFollows::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ThreadReplies::Table).to_owned()).await
    }
}
