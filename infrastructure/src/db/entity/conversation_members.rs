//! `conversation_members`: who is in a conversation and how far they have read.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conv_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    pub read_seq: i64,
    pub joined_at: i64,
    pub visible_from: i64,
    pub visible_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
