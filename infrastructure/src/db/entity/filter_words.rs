//! `filter_words`: a list's words, newline-joined, in numbered parts.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "filter_words")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub list_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub part: i32,
    #[sea_orm(column_type = "Text")]
    pub words: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
