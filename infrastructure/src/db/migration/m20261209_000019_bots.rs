//! AI bots: `bots` (one row per bot account: its model API, prompt and budgets) and
//! `bot_usage` (requests and tokens per bot and UTC day, in total under an empty `user_id` and
//! per user who caused them), which the budgets read on every instance.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Bots {
    Table,
    UserId,
    BaseUrl,
    Model,
    ApiKey,
    SystemPrompt,
    Temperature,
    Stream,
    RequestsPerDay,
    TokensPerDay,
    UserRequestsPerDay,
    UserTokensPerDay,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BotUsage {
    Table,
    BotId,
    UserId,
    Day,
    Requests,
    TokensIn,
    TokensOut,
    Errors,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Bots::Table)
                    .if_not_exists()
                    .col(string_len(Bots::UserId, 40).primary_key())
                    .col(string_len(Bots::BaseUrl, 512))
                    .col(string_len(Bots::Model, 128))
                    .col(text(Bots::ApiKey))
                    .col(text(Bots::SystemPrompt))
                    .col(double(Bots::Temperature))
                    .col(boolean(Bots::Stream))
                    .col(big_integer_null(Bots::RequestsPerDay))
                    .col(big_integer_null(Bots::TokensPerDay))
                    .col(big_integer_null(Bots::UserRequestsPerDay))
                    .col(big_integer_null(Bots::UserTokensPerDay))
                    .col(big_integer(Bots::CreatedAt))
                    .col(big_integer(Bots::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BotUsage::Table)
                    .if_not_exists()
                    .col(string_len(BotUsage::BotId, 40))
                    .col(string_len(BotUsage::UserId, 40))
                    .col(big_integer(BotUsage::Day))
                    .col(big_integer(BotUsage::Requests))
                    .col(big_integer(BotUsage::TokensIn))
                    .col(big_integer(BotUsage::TokensOut))
                    .col(big_integer(BotUsage::Errors))
                    .primary_key(Index::create().col(BotUsage::BotId).col(BotUsage::UserId).col(BotUsage::Day))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Bots::Table.into_iden(), BotUsage::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
