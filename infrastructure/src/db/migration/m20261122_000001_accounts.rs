//! Users and device sessions.

use sea_orm_migration::{prelude::*, schema::*};

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
}

#[derive(DeriveIden)]
enum DeviceSessions {
    Table,
    Id,
    UserId,
    DeviceId,
    Platform,
    RefreshHash,
    PrevRefreshHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(string_len(Users::Id, 40).primary_key())
                    .col(string_len_uniq(Users::Username, 32))
                    .col(string_len(Users::DisplayName, 64))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(big_integer(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeviceSessions::Table)
                    .if_not_exists()
                    .col(string_len(DeviceSessions::Id, 40).primary_key())
                    .col(string_len(DeviceSessions::UserId, 40))
                    .col(string_len(DeviceSessions::DeviceId, 64))
                    .col(string_len(DeviceSessions::Platform, 16))
                    .col(string_len(DeviceSessions::RefreshHash, 64))
                    .col(string_len_null(DeviceSessions::PrevRefreshHash, 64))
                    .col(big_integer(DeviceSessions::CreatedAt))
                    .col(big_integer(DeviceSessions::ExpiresAt))
                    .col(big_integer_null(DeviceSessions::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_device_sessions_user_device")
                    .table(DeviceSessions::Table)
                    .col(DeviceSessions::UserId)
                    .col(DeviceSessions::DeviceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DeviceSessions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
