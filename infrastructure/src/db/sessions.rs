//! [`SessionRepository`] on sea-orm.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tidings_domain::account::DeviceSession;
use tidings_domain::ports::SessionRepository;
use tidings_domain::{DeviceId, SessionId, StoreError, UserId};

use super::entity::device_sessions as ds;
use super::store_err;

/// Device sessions in the `device_sessions` table.
#[derive(Clone)]
pub struct SqlSessionRepository {
    db: DatabaseConnection,
}

impl SqlSessionRepository {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SessionRepository for SqlSessionRepository {
    async fn insert(&self, s: &DeviceSession) -> Result<(), StoreError> {
        let row = ds::ActiveModel {
            id: Set(s.id.as_str().to_owned()),
            user_id: Set(s.user_id.to_string()),
            device_id: Set(s.device_id.as_str().to_owned()),
            platform: Set(s.platform.clone()),
            refresh_hash: Set(s.refresh_hash.clone()),
            prev_refresh_hash: Set(s.prev_refresh_hash.clone()),
            created_at: Set(s.created_at),
            expires_at: Set(s.expires_at),
            revoked_at: Set(s.revoked_at),
        };
        ds::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, id: &SessionId) -> Result<Option<DeviceSession>, StoreError> {
        let Some(m) = ds::Entity::find_by_id(id.as_str()).one(&self.db).await.map_err(store_err)? else {
            return Ok(None);
        };
        to_session(m).map(Some)
    }

    async fn rotate(&self, id: &SessionId, current: &str, next: &str, expires_at: i64) -> Result<bool, StoreError> {
        let res = ds::Entity::update_many()
            .col_expr(ds::Column::RefreshHash, Expr::value(next.to_owned()))
            .col_expr(ds::Column::PrevRefreshHash, Expr::value(current.to_owned()))
            .col_expr(ds::Column::ExpiresAt, Expr::value(expires_at))
            .filter(ds::Column::Id.eq(id.as_str()))
            .filter(ds::Column::RefreshHash.eq(current))
            .filter(ds::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(res.rows_affected == 1)
    }

    async fn revoke(&self, id: &SessionId, now_ms: i64) -> Result<(), StoreError> {
        ds::Entity::update_many()
            .col_expr(ds::Column::RevokedAt, Expr::value(now_ms))
            .filter(ds::Column::Id.eq(id.as_str()))
            .filter(ds::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn revoke_device(&self, user: &UserId, device: &DeviceId, now_ms: i64) -> Result<Vec<SessionId>, StoreError> {
        let ids: Vec<String> = ds::Entity::find()
            .select_only()
            .column(ds::Column::Id)
            .filter(ds::Column::UserId.eq(user.to_string()))
            .filter(ds::Column::DeviceId.eq(device.as_str()))
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

    async fn active_for_user(&self, user: &UserId, now_ms: i64) -> Result<Vec<DeviceSession>, StoreError> {
        ds::Entity::find()
            .filter(ds::Column::UserId.eq(user.to_string()))
            .filter(ds::Column::RevokedAt.is_null())
            .filter(ds::Column::ExpiresAt.gt(now_ms))
            .order_by_asc(ds::Column::CreatedAt)
            .order_by_asc(ds::Column::Id)
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(to_session)
            .collect()
    }
}

fn to_session(m: ds::Model) -> Result<DeviceSession, StoreError> {
    let user_id = UserId::parse(&m.user_id).ok_or_else(|| StoreError::Other("bad user id in session".into()))?;
    Ok(DeviceSession {
        id: SessionId::new(m.id),
        user_id,
        device_id: DeviceId::new(m.device_id),
        platform: m.platform,
        refresh_hash: m.refresh_hash,
        prev_refresh_hash: m.prev_refresh_hash,
        created_at: m.created_at,
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
    })
}
