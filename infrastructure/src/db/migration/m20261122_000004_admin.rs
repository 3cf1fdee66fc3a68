//! Administration: account roles and the disabled flag, the built-in system account, API keys,
//! webhooks and their delivery log.

use sea_orm_migration::{prelude::*, schema::*};
use tidings_domain::account::NO_PASSWORD;
use tidings_domain::ids::SYSTEM_USER_ID;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    CreatedAt,
    Role,
    DisabledAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    KeyId,
    Name,
    Scopes,
    SecretHash,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Events,
    Secret,
    CreatedBy,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    Event,
    Payload,
    Status,
    Attempts,
    LastStatus,
    LastError,
    NextAttemptAt,
    LeaseUntil,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one ADD COLUMN per ALTER TABLE.
        manager
            .alter_table(
                Table::alter().table(Users::Table).add_column(string_len(Users::Role, 16).default("user")).to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table(Users::Table).add_column(big_integer_null(Users::DisabledAt)).to_owned())
            .await?;
        insert_system_account(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(string_len(ApiKeys::KeyId, 32).primary_key())
                    .col(string_len(ApiKeys::Name, 64))
                    .col(string_len(ApiKeys::Scopes, 255))
                    .col(string_len(ApiKeys::SecretHash, 64))
                    .col(string_len(ApiKeys::CreatedBy, 40))
                    .col(big_integer(ApiKeys::CreatedAt))
                    .col(big_integer_null(ApiKeys::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .if_not_exists()
                    .col(string_len(Webhooks::Id, 40).primary_key())
                    .col(string_len(Webhooks::Url, 2048))
                    .col(string_len(Webhooks::Events, 255))
                    .col(string_len(Webhooks::Secret, 96))
                    .col(string_len(Webhooks::CreatedBy, 40))
                    .col(big_integer(Webhooks::CreatedAt))
                    .col(big_integer_null(Webhooks::DeletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(string_len(WebhookDeliveries::Id, 40).primary_key())
                    .col(string_len(WebhookDeliveries::WebhookId, 40))
                    .col(string_len(WebhookDeliveries::Event, 32))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(string_len_null(WebhookDeliveries::LastError, 512))
                    .col(big_integer(WebhookDeliveries::NextAttemptAt))
                    .col(big_integer(WebhookDeliveries::LeaseUntil))
                    .col(big_integer(WebhookDeliveries::CreatedAt))
                    .col(big_integer(WebhookDeliveries::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_hook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Webhooks::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ApiKeys::Table).to_owned()).await?;
        let delete =
            Query::delete().from_table(Users::Table).and_where(Expr::col(Users::Id).eq(SYSTEM_USER_ID)).to_owned();
        manager.exec_stmt(delete).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::DisabledAt).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::Role).to_owned()).await
    }
}

/// The built-in system account, named `system` (or `tidings-system` if a person already took
/// that name), with a password hash nothing matches.
async fn insert_system_account(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let taken = |name: &str| {
        Query::select().column(Users::Id).from(Users::Table).and_where(Expr::col(Users::Username).eq(name)).to_owned()
    };
    let username = if db.query_one(&taken("system")).await?.is_some() { "tidings-system" } else { "system" };
    let mut insert = Query::insert();
    insert
        .into_table(Users::Table)
        .columns([Users::Id, Users::Username, Users::DisplayName, Users::PasswordHash, Users::CreatedAt, Users::Role])
        .values([
            SYSTEM_USER_ID.into(),
            username.into(),
            "System".into(),
            NO_PASSWORD.into(),
            0i64.into(),
            "system".into(),
        ])
        .map_err(|e| DbErr::Migration(format!("system account row: {e}")))?;
    manager.exec_stmt(insert).await
}
