//! [`UserAdminStore`] and [`ApiKeyStore`] on sea-orm.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tidings_domain::account::{Role, User};
use tidings_domain::admin::{ApiKey, ApiKeyStore, Scope, UserAdminStore, UserQuery};
use tidings_domain::ids::SYSTEM_USER_ID;
use tidings_domain::{SessionId, StoreError, UserId};

use super::entity::{api_keys, device_sessions as ds, messages, users};
use super::store_err;
use super::users::to_user;

/// Account administration and API keys in the `users`, `device_sessions`, `messages` and
/// `api_keys` tables.
#[derive(Clone)]
pub struct SqlAdminStore {
    db: DatabaseConnection,
}

impl SqlAdminStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let row = users::Entity::find_by_id(id.to_string()).one(&self.db).await.map_err(store_err)?;
        Ok(row.map(to_user).transpose()?.map(|(u, _)| u))
    }

    async fn update(
        &self,
        id: &UserId,
        update: sea_orm::UpdateMany<users::Entity>,
    ) -> Result<Option<User>, StoreError> {
        // Not `rows_affected`: MySQL counts changed rows only, so an update to the same values
        // affects none. Reading the row back answers both "exists?" and "what is it now?".
        update.filter(users::Column::Id.eq(id.to_string())).exec(&self.db).await.map_err(store_err)?;
        self.user(id).await
    }
}

/// `%q%` with LIKE's wildcards in `q` taken literally.
fn contains_pattern(q: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(q.len() + 2);
    escaped.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

#[async_trait]
impl UserAdminStore for SqlAdminStore {
    async fn search(&self, query: &UserQuery<'_>) -> Result<Vec<User>, StoreError> {
        let mut select = users::Entity::find().order_by_asc(users::Column::Id).limit(query.limit);
        if let Some(after) = query.after {
            select = select.filter(users::Column::Id.gt(after.to_string()));
        }
        if let Some(q) = query.q {
            select = select.filter(
                Condition::any()
                    .add(Expr::col(users::Column::Username).like(contains_pattern(q)))
                    .add(Expr::col(users::Column::DisplayName).like(contains_pattern(q))),
            );
        }
        let rows = select.all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(|m| to_user(m).map(|(u, _)| u)).collect()
    }

    async fn set_role(&self, id: &UserId, role: Role) -> Result<Option<User>, StoreError> {
        let update = users::Entity::update_many().col_expr(users::Column::Role, Expr::value(role.as_str()));
        self.update(id, update).await
    }

    async fn set_disabled(&self, id: &UserId, disabled_at: Option<i64>) -> Result<Option<User>, StoreError> {
        let update = users::Entity::update_many().col_expr(users::Column::DisabledAt, Expr::value(disabled_at));
        self.update(id, update).await
    }

    async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<bool, StoreError> {
        let update = users::Entity::update_many().col_expr(users::Column::PasswordHash, Expr::value(hash));
        Ok(self.update(id, update).await?.is_some())
    }

    async fn update_profile(&self, id: &UserId, display_name: &str, role: Role) -> Result<Option<User>, StoreError> {
        let update = users::Entity::update_many()
            .col_expr(users::Column::DisplayName, Expr::value(display_name))
            .col_expr(users::Column::Role, Expr::value(role.as_str()));
        self.update(id, update).await
    }

    async fn count_users(&self) -> Result<u64, StoreError> {
        users::Entity::find().filter(users::Column::Id.ne(SYSTEM_USER_ID)).count(&self.db).await.map_err(store_err)
    }

    async fn count_messages_since(&self, since_ms: i64) -> Result<u64, StoreError> {
        messages::Entity::find().filter(messages::Column::Ts.gte(since_ms)).count(&self.db).await.map_err(store_err)
    }

    async fn revoke_all_sessions(&self, user: &UserId, now_ms: i64) -> Result<Vec<SessionId>, StoreError> {
        let ids: Vec<String> = ds::Entity::find()
            .select_only()
            .column(ds::Column::Id)
            .filter(ds::Column::UserId.eq(user.to_string()))
            .filter(ds::Column::RevokedAt.is_null())
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        ds::Entity::update_many()
            .col_expr(ds::Column::RevokedAt, Expr::value(now_ms))
            .filter(ds::Column::Id.is_in(ids.clone()))
            .filter(ds::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(ids.into_iter().map(SessionId::new).collect())
    }
}

fn to_key(m: api_keys::Model) -> Result<ApiKey, StoreError> {
    let created_by =
        UserId::parse(&m.created_by).ok_or_else(|| StoreError::Other(format!("bad creator of key {}", m.key_id)))?;
    let scopes = m.scopes.split(',').filter(|s| !s.is_empty()).filter_map(Scope::parse).collect();
    Ok(ApiKey {
        key_id: m.key_id,
        name: m.name,
        scopes,
        secret_hash: m.secret_hash,
        created_by,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    })
}

#[async_trait]
impl ApiKeyStore for SqlAdminStore {
    async fn insert(&self, key: &ApiKey) -> Result<(), StoreError> {
        let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
        let row = api_keys::ActiveModel {
            key_id: Set(key.key_id.clone()),
            name: Set(key.name.clone()),
            scopes: Set(scopes.join(",")),
            secret_hash: Set(key.secret_hash.clone()),
            created_by: Set(key.created_by.to_string()),
            created_at: Set(key.created_at),
            revoked_at: Set(key.revoked_at),
        };
        api_keys::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, key_id: &str) -> Result<Option<ApiKey>, StoreError> {
        api_keys::Entity::find_by_id(key_id).one(&self.db).await.map_err(store_err)?.map(to_key).transpose()
    }

    async fn list(&self) -> Result<Vec<ApiKey>, StoreError> {
        let rows =
            api_keys::Entity::find().order_by_desc(api_keys::Column::KeyId).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_key).collect()
    }

    async fn revoke(&self, key_id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let res = api_keys::Entity::update_many()
            .col_expr(api_keys::Column::RevokedAt, Expr::value(now_ms))
            .filter(api_keys::Column::KeyId.eq(key_id))
            .filter(api_keys::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(res.rows_affected == 1)
    }
}
