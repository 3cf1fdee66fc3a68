//! [`PinStore`] on sea-orm: the `conversation_pins` table.

use async_trait::async_trait;
use sea_orm::{ActiveValue, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tidings_domain::ports::{Pin, PinStore};
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::conversation_pins as pins;
use super::{from_db, store_err, to_db};

/// Pins in the `conversation_pins` table.
#[derive(Clone)]
pub struct SqlPinStore {
    db: DatabaseConnection,
}

impl SqlPinStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PinStore for SqlPinStore {
    async fn pin(&self, conv: &ConvId, pin: &Pin) -> Result<bool, StoreError> {
        let row = pins::ActiveModel {
            conv_id: ActiveValue::Set(conv.to_string()),
            seq: ActiveValue::Set(to_db(pin.seq)),
            pinned_by: ActiveValue::Set(pin.by.to_string()),
            pinned_at: ActiveValue::Set(pin.at),
        };
        // A pin that exists already breaks the key: nothing changed (the same on every backend,
        // unlike an upsert's affected-row count).
        match pins::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err) {
            Ok(_) => Ok(true),
            Err(StoreError::Duplicate(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn unpin(&self, conv: &ConvId, seq: u64) -> Result<bool, StoreError> {
        let done = pins::Entity::delete_many()
            .filter(pins::Column::ConvId.eq(conv.to_string()))
            .filter(pins::Column::Seq.eq(to_db(seq)))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(done.rows_affected == 1)
    }

    async fn pins(&self, conv: &ConvId) -> Result<Vec<Pin>, StoreError> {
        let rows = pins::Entity::find()
            .filter(pins::Column::ConvId.eq(conv.to_string()))
            .order_by_desc(pins::Column::PinnedAt)
            .order_by_desc(pins::Column::Seq)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        rows.into_iter()
            .map(|r| {
                let by = UserId::parse(&r.pinned_by).ok_or_else(|| StoreError::Other("bad user id in pins".into()))?;
                Ok(Pin { seq: from_db(r.seq), by, at: r.pinned_at })
            })
            .collect()
    }
}
