//! `chat_groups`: groups and their settings.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: String,
    pub name: String,
    pub avatar: Option<String>,
    pub introduction: Option<String>,
    pub announcement: Option<String>,
    pub owner_id: String,
    pub join_policy: String,
    pub mute_all: bool,
    pub history_visible: bool,
    /// The group's "who may" rules as a JSON object (`tidings_domain::group_policy`).
    pub policies: String,
    pub member_count: i32,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub dissolved_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
