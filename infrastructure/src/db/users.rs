//! [`UserRepository`] on sea-orm.

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tidings_domain::account::{Role, User};
use tidings_domain::ports::UserRepository;
use tidings_domain::{StoreError, UserId};

use super::entity::users;
use super::store_err;

/// Accounts in the `users` table.
#[derive(Clone)]
pub struct SqlUserRepository {
    db: DatabaseConnection,
}

impl SqlUserRepository {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// A stored row as a domain user and its password hash.
pub(crate) fn to_user(m: users::Model) -> Result<(User, String), StoreError> {
    let id = UserId::parse(&m.id).ok_or_else(|| StoreError::Other(format!("bad user id in storage: {}", m.id)))?;
    let role = Role::parse(&m.role).ok_or_else(|| StoreError::Other(format!("bad role in storage: {}", m.role)))?;
    let user = User {
        id,
        username: m.username,
        display_name: m.display_name,
        created_at: m.created_at,
        role,
        disabled_at: m.disabled_at,
    };
    Ok((user, m.password_hash))
}

#[async_trait]
impl UserRepository for SqlUserRepository {
    async fn insert(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        let row = users::ActiveModel {
            id: Set(user.id.to_string()),
            username: Set(user.username.clone()),
            display_name: Set(user.display_name.clone()),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(user.created_at),
            role: Set(user.role.as_str().to_owned()),
            disabled_at: Set(user.disabled_at),
        };
        users::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err)?;
        Ok(())
    }

    async fn by_username(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(store_err)?;
        row.map(to_user).transpose()
    }

    async fn by_id(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let row = users::Entity::find_by_id(id.to_string()).one(&self.db).await.map_err(store_err)?;
        Ok(row.map(to_user).transpose()?.map(|(u, _)| u))
    }

    async fn by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(ids.iter().map(ToString::to_string)))
            .all(&self.db)
            .await
            .map_err(store_err)?;
        rows.into_iter().map(|r| to_user(r).map(|(u, _)| u)).collect()
    }

    async fn set_display_name(&self, id: &UserId, name: &str) -> Result<Option<User>, StoreError> {
        let changed = users::Entity::update_many()
            .col_expr(users::Column::DisplayName, sea_orm::sea_query::Expr::value(name.to_owned()))
            .filter(users::Column::Id.eq(id.to_string()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        if changed.rows_affected == 0 {
            return Ok(None);
        }
        self.by_id(id).await
    }

    async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<bool, StoreError> {
        let changed = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash.to_owned()))
            .filter(users::Column::Id.eq(id.to_string()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(changed.rows_affected > 0)
    }
}
