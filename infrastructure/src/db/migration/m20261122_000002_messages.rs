//! Conversations, members and the message log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    ConvId,
    Kind,
    MaxSeq,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    ConvId,
    UserId,
    ReadSeq,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ConvId,
    Seq,
    MsgId,
    SenderId,
    ClientMsgId,
    Kind,
    Body,
    Ts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .if_not_exists()
                    .col(string_len(Conversations::ConvId, 96).primary_key())
                    .col(string_len(Conversations::Kind, 8))
                    .col(big_integer(Conversations::MaxSeq))
                    .col(big_integer(Conversations::CreatedAt))
                    .col(big_integer(Conversations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversationMembers::Table)
                    .if_not_exists()
                    .col(string_len(ConversationMembers::ConvId, 96))
                    .col(string_len(ConversationMembers::UserId, 40))
                    .col(big_integer(ConversationMembers::ReadSeq))
                    .col(big_integer(ConversationMembers::JoinedAt))
                    .primary_key(Index::create().col(ConversationMembers::ConvId).col(ConversationMembers::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_conversation_members_user")
                    .table(ConversationMembers::Table)
                    .col(ConversationMembers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(string_len(Messages::ConvId, 96))
                    .col(big_integer(Messages::Seq))
                    .col(string_len(Messages::MsgId, 40))
                    .col(string_len(Messages::SenderId, 40))
                    .col(string_len(Messages::ClientMsgId, 64))
                    .col(string_len(Messages::Kind, 32))
                    .col(text(Messages::Body))
                    .col(big_integer(Messages::Ts))
                    .primary_key(Index::create().col(Messages::ConvId).col(Messages::Seq))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_sender_client_msg")
                    .table(Messages::Table)
                    .col(Messages::SenderId)
                    .col(Messages::ClientMsgId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Messages::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ConversationMembers::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Conversations::Table).to_owned()).await
    }
}
