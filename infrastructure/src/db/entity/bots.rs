//! `bots`: each AI bot's model API, prompt and budgets.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    pub base_url: String,
    pub model: String,
    pub api_key: String,
    pub system_prompt: String,
    pub temperature: f64,
    pub stream: bool,
    pub requests_per_day: Option<i64>,
    pub tokens_per_day: Option<i64>,
    pub user_requests_per_day: Option<i64>,
    pub user_tokens_per_day: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
