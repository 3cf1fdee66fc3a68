//! `message_edits`: every body an edited message has had, keyed by `(conv_id, target_seq, seq)`
//! where `seq` is the entry that wrote it (the message itself for the original).
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_edits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conv_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_seq: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub edited_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
