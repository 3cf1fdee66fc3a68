//! [`BotStore`] on sea-orm: the `bots` configurations (created with their account in one
//! transaction) and the `bot_usage` day counters, added to with one upsert.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};
use tidings_domain::account::User;
use tidings_domain::bots::{ApiKey, BotConfig, Budgets, Usage};
use tidings_domain::ports::BotStore;
use tidings_domain::social::DmPolicy;
use tidings_domain::{StoreError, UserId};

use super::entity::{bot_usage, bots, user_settings, users};
use super::{from_db, store_err, to_db};

/// Bots in `bots` and `bot_usage`.
#[derive(Clone)]
pub struct SqlBotStore {
    db: DatabaseConnection,
}

impl SqlBotStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The `user_id` of a bot's total row in `bot_usage`.
const TOTAL: &str = "";

fn row(c: &BotConfig) -> bots::ActiveModel {
    let opt = |v: Option<u64>| v.map(to_db);
    bots::ActiveModel {
        user_id: Set(c.user_id.to_string()),
        base_url: Set(c.base_url.clone()),
        model: Set(c.model.clone()),
        api_key: Set(c.api_key.expose().to_owned()),
        system_prompt: Set(c.system_prompt.clone()),
        temperature: Set(f64::from(c.temperature)),
        stream: Set(c.stream),
        requests_per_day: Set(opt(c.budgets.requests_per_day)),
        tokens_per_day: Set(opt(c.budgets.tokens_per_day)),
        user_requests_per_day: Set(opt(c.budgets.user_requests_per_day)),
        user_tokens_per_day: Set(opt(c.budgets.user_tokens_per_day)),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
    }
}

fn config(m: bots::Model) -> Result<BotConfig, StoreError> {
    let user_id =
        UserId::parse(&m.user_id).ok_or_else(|| StoreError::Other(format!("bad bot id in storage: {}", m.user_id)))?;
    let opt = |v: Option<i64>| v.map(from_db);
    Ok(BotConfig {
        user_id,
        base_url: m.base_url,
        model: m.model,
        api_key: ApiKey::new(m.api_key),
        system_prompt: m.system_prompt,
        #[allow(clippy::cast_possible_truncation)]
        temperature: m.temperature as f32,
        stream: m.stream,
        budgets: Budgets {
            requests_per_day: opt(m.requests_per_day),
            tokens_per_day: opt(m.tokens_per_day),
            user_requests_per_day: opt(m.user_requests_per_day),
            user_tokens_per_day: opt(m.user_tokens_per_day),
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[async_trait]
impl BotStore for SqlBotStore {
    async fn create(&self, user: &User, c: &BotConfig) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let account = users::ActiveModel {
            id: Set(user.id.to_string()),
            username: Set(user.username.clone()),
            display_name: Set(user.display_name.clone()),
            password_hash: Set(tidings_domain::account::NO_PASSWORD.to_owned()),
            created_at: Set(user.created_at),
            role: Set(user.role.as_str().to_owned()),
            disabled_at: Set(None),
        };
        users::Entity::insert(account).exec_without_returning(&txn).await.map_err(store_err)?;
        // Anyone may write to a bot, whatever the server's default policy.
        let policy = user_settings::ActiveModel {
            user_id: Set(user.id.to_string()),
            dm_policy: Set(DmPolicy::Anyone.as_str().to_owned()),
        };
        user_settings::Entity::insert(policy).exec_without_returning(&txn).await.map_err(store_err)?;
        bots::Entity::insert(row(c)).exec_without_returning(&txn).await.map_err(store_err)?;
        txn.commit().await.map_err(store_err)
    }

    async fn all(&self) -> Result<Vec<BotConfig>, StoreError> {
        let rows = bots::Entity::find().all(&self.db).await.map_err(store_err)?;
        let mut out = rows.into_iter().map(config).collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| a.user_id.as_str().cmp(b.user_id.as_str()));
        Ok(out)
    }

    async fn get(&self, id: &UserId) -> Result<Option<BotConfig>, StoreError> {
        let row = bots::Entity::find_by_id(id.to_string()).one(&self.db).await.map_err(store_err)?;
        row.map(config).transpose()
    }

    async fn update(&self, c: &BotConfig) -> Result<bool, StoreError> {
        match bots::Entity::update(row(c)).exec(&self.db).await {
            Ok(_) => Ok(true),
            Err(sea_orm::DbErr::RecordNotUpdated) => Ok(false),
            Err(e) => Err(store_err(e)),
        }
    }

    async fn delete(&self, id: &UserId) -> Result<bool, StoreError> {
        let done = bots::Entity::delete_by_id(id.to_string()).exec(&self.db).await.map_err(store_err)?;
        Ok(done.rows_affected > 0)
    }

    async fn usage(&self, bot: &UserId, user: Option<&UserId>, day: i64) -> Result<Usage, StoreError> {
        let user = user.map_or_else(|| TOTAL.to_owned(), ToString::to_string);
        let row = bot_usage::Entity::find_by_id((bot.to_string(), user, day)).one(&self.db).await.map_err(store_err)?;
        Ok(row.map_or_else(Usage::default, |r| Usage {
            requests: from_db(r.requests),
            tokens_in: from_db(r.tokens_in),
            tokens_out: from_db(r.tokens_out),
            errors: from_db(r.errors),
        }))
    }

    async fn add_usage(&self, bot: &UserId, user: &UserId, day: i64, d: Usage) -> Result<(), StoreError> {
        use bot_usage::Column as C;
        let new = |user: String| bot_usage::ActiveModel {
            bot_id: Set(bot.to_string()),
            user_id: Set(user),
            day: Set(day),
            requests: Set(to_db(d.requests)),
            tokens_in: Set(to_db(d.tokens_in)),
            tokens_out: Set(to_db(d.tokens_out)),
            errors: Set(to_db(d.errors)),
        };
        let mut upsert = OnConflict::columns([C::BotId, C::UserId, C::Day]);
        for (col, n) in
            [(C::Requests, d.requests), (C::TokensIn, d.tokens_in), (C::TokensOut, d.tokens_out), (C::Errors, d.errors)]
        {
            upsert.value(col, Expr::col((bot_usage::Entity, col)).add(to_db(n)));
        }
        bot_usage::Entity::insert_many([new(TOTAL.to_owned()), new(user.to_string())])
            .on_conflict(upsert.to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
