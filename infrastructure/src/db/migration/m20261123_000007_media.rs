//! Media uploads (one row per upload; the bytes are content-addressed in the media store) and
//! the conversations each upload was sent in (for the download access check).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
    OwnerId,
    Kind,
    ContentType,
    Size,
    Sha256,
    Name,
    Width,
    Height,
    ThumbKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MediaSends {
    Table,
    MediaId,
    ConvId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .if_not_exists()
                    .col(string_len(Media::Id, 40).primary_key())
                    .col(string_len(Media::OwnerId, 40))
                    .col(string_len(Media::Kind, 8))
                    .col(string_len(Media::ContentType, 128))
                    .col(big_integer(Media::Size))
                    .col(string_len(Media::Sha256, 64))
                    .col(string_len_null(Media::Name, 1024))
                    .col(integer_null(Media::Width))
                    .col(integer_null(Media::Height))
                    .col(string_len_null(Media::ThumbKey, 80))
                    .col(big_integer(Media::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [("ix_media_sha256", Media::Sha256), ("ix_media_created_at", Media::CreatedAt)] {
            manager.create_index(Index::create().name(name).table(Media::Table).col(col).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(MediaSends::Table)
                    .if_not_exists()
                    .col(string_len(MediaSends::MediaId, 40))
                    .col(string_len(MediaSends::ConvId, 96))
                    .col(big_integer(MediaSends::CreatedAt))
                    .primary_key(Index::create().col(MediaSends::MediaId).col(MediaSends::ConvId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MediaSends::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Media::Table).to_owned()).await
    }
}
