//! `content_flags`: text a Flag list matched, for administrators' review.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "content_flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: i64,
    pub subject: String,
    pub author: String,
    pub conv_id: Option<String>,
    pub reference: Option<String>,
    /// JSON array of list names.
    #[sea_orm(column_type = "Text")]
    pub lists: String,
    /// JSON array of words.
    #[sea_orm(column_type = "Text")]
    pub words: String,
    #[sea_orm(column_type = "Text")]
    pub excerpt: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
