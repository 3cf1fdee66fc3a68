//! Native push: `push_tokens` (one token per logged-in device, found again by its hash, which
//! fits an index on every engine), `push_prefs` (privacy and quiet hours per user) and the timed
//! mute of a conversation (`conversation_members.muted_until`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushTokens {
    Table,
    UserId,
    DeviceId,
    Platform,
    Token,
    TokenHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PushPrefs {
    Table,
    UserId,
    Privacy,
    QuietStart,
    QuietEnd,
    QuietTz,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    MutedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PushTokens::Table)
                    .if_not_exists()
                    .col(string_len(PushTokens::UserId, 40))
                    .col(string_len(PushTokens::DeviceId, 128))
                    .col(string_len(PushTokens::Platform, 8))
                    .col(text(PushTokens::Token))
                    .col(string_len(PushTokens::TokenHash, 64))
                    .col(big_integer(PushTokens::UpdatedAt))
                    .primary_key(Index::create().col(PushTokens::UserId).col(PushTokens::DeviceId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("push_tokens_by_hash")
                    .table(PushTokens::Table)
                    .col(PushTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PushPrefs::Table)
                    .if_not_exists()
                    .col(string_len(PushPrefs::UserId, 40).primary_key())
                    .col(string_len(PushPrefs::Privacy, 8))
                    .col(small_integer_null(PushPrefs::QuietStart))
                    .col(small_integer_null(PushPrefs::QuietEnd))
                    .col(string_len_null(PushPrefs::QuietTz, 64))
                    .col(big_integer(PushPrefs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .add_column(big_integer_null(ConversationMembers::MutedUntil).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .drop_column(ConversationMembers::MutedUntil)
                    .to_owned(),
            )
            .await?;
        for table in [PushTokens::Table.into_iden(), PushPrefs::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
