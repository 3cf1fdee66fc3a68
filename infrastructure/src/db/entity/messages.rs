//! `messages`: every conversation's log, keyed by `(conv_id, seq)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conv_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub msg_id: String,
    pub sender_id: String,
    pub client_msg_id: String,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub ts: i64,
    pub edited_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
