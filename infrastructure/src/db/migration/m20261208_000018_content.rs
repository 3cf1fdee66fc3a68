//! Content rules: `filter_lists` (administrators' word lists), `filter_words` (their words,
//! newline-joined in parts of at most ~60 KB, so a list of hundreds of thousands of words loads
//! in a few rows on every engine) and `content_flags` (text a Flag list matched, for review).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FilterLists {
    Table,
    Id,
    Name,
    Action,
    WordCount,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FilterWords {
    Table,
    ListId,
    Part,
    Words,
}

#[derive(DeriveIden)]
enum ContentFlags {
    Table,
    Id,
    At,
    Subject,
    Author,
    ConvId,
    Reference,
    Lists,
    Words,
    Excerpt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FilterLists::Table)
                    .if_not_exists()
                    .col(string_len(FilterLists::Id, 32).primary_key())
                    .col(string_len_uniq(FilterLists::Name, 100))
                    .col(string_len(FilterLists::Action, 8))
                    .col(big_integer(FilterLists::WordCount))
                    .col(big_integer(FilterLists::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FilterWords::Table)
                    .if_not_exists()
                    .col(string_len(FilterWords::ListId, 32))
                    .col(integer(FilterWords::Part))
                    .col(text(FilterWords::Words))
                    .primary_key(Index::create().col(FilterWords::ListId).col(FilterWords::Part))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentFlags::Table)
                    .if_not_exists()
                    .col(big_integer(ContentFlags::Id).auto_increment().primary_key())
                    .col(big_integer(ContentFlags::At))
                    .col(string_len(ContentFlags::Subject, 16))
                    .col(string_len(ContentFlags::Author, 40))
                    .col(string_len_null(ContentFlags::ConvId, 96))
                    .col(string_len_null(ContentFlags::Reference, 128))
                    .col(text(ContentFlags::Lists))
                    .col(text(ContentFlags::Words))
                    .col(text(ContentFlags::Excerpt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [FilterLists::Table.into_iden(), FilterWords::Table.into_iden(), ContentFlags::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
