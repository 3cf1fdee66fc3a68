//! [`MediaRepository`] on sea-orm: the `media` and `media_sends` tables.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use tidings_domain::media::{Media, MediaKind, MediaRepository};
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::{media, media_sends};
use super::{from_db, store_err, to_db};

/// Uploads in the `media` table, where they were sent in `media_sends`.
#[derive(Clone)]
pub struct SqlMediaRepository {
    db: DatabaseConnection,
}

impl SqlMediaRepository {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_media(m: media::Model) -> Result<Media, StoreError> {
    let bad = |what: &str| StoreError::Other(format!("bad {what} in media row {}", m.id));
    let owner = UserId::parse(&m.owner_id).ok_or_else(|| bad("owner"))?;
    let kind = MediaKind::parse(&m.kind).ok_or_else(|| bad("kind"))?;
    Ok(Media {
        owner,
        kind,
        content_type: m.content_type,
        size: from_db(m.size),
        sha256: m.sha256,
        name: m.name,
        width: m.width.and_then(|w| u32::try_from(w).ok()),
        height: m.height.and_then(|h| u32::try_from(h).ok()),
        thumb_key: m.thumb_key,
        created_at: m.created_at,
        id: m.id,
    })
}

fn side(n: Option<u32>) -> Option<i32> {
    n.map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

#[async_trait]
impl MediaRepository for SqlMediaRepository {
    async fn insert(&self, m: &Media) -> Result<(), StoreError> {
        let row = media::ActiveModel {
            id: Set(m.id.clone()),
            owner_id: Set(m.owner.to_string()),
            kind: Set(m.kind.as_str().to_owned()),
            content_type: Set(m.content_type.clone()),
            size: Set(to_db(m.size)),
            sha256: Set(m.sha256.clone()),
            name: Set(m.name.clone()),
            width: Set(side(m.width)),
            height: Set(side(m.height)),
            thumb_key: Set(m.thumb_key.clone()),
            created_at: Set(m.created_at),
        };
        media::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Media>, StoreError> {
        let row = media::Entity::find_by_id(id.to_owned()).one(&self.db).await.map_err(store_err)?;
        row.map(to_media).transpose()
    }

    async fn record_sent(&self, media_id: &str, conv: &ConvId, now_ms: i64) -> Result<(), StoreError> {
        let row = media_sends::ActiveModel {
            media_id: Set(media_id.to_owned()),
            conv_id: Set(conv.to_string()),
            created_at: Set(now_ms),
        };
        media_sends::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([media_sends::Column::MediaId, media_sends::Column::ConvId])
                    .do_nothing_on([media_sends::Column::MediaId, media_sends::Column::ConvId])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn sent_in(&self, media_id: &str) -> Result<Vec<ConvId>, StoreError> {
        let rows = media_sends::Entity::find()
            .filter(media_sends::Column::MediaId.eq(media_id))
            .all(&self.db)
            .await
            .map_err(store_err)?;
        Ok(rows.iter().filter_map(|r| ConvId::parse(&r.conv_id)).collect())
    }

    async fn delete_before(&self, cutoff_ms: i64, limit: u64) -> Result<Vec<Media>, StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let rows = media::Entity::find()
            .filter(media::Column::CreatedAt.lt(cutoff_ms))
            .order_by_asc(media::Column::CreatedAt)
            .limit(limit)
            .all(&txn)
            .await
            .map_err(store_err)?;
        if rows.is_empty() {
            txn.commit().await.map_err(store_err)?;
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        media_sends::Entity::delete_many()
            .filter(media_sends::Column::MediaId.is_in(ids.clone()))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        media::Entity::delete_many().filter(media::Column::Id.is_in(ids)).exec(&txn).await.map_err(store_err)?;
        txn.commit().await.map_err(store_err)?;
        rows.into_iter().map(to_media).collect()
    }

    async fn sha_in_use(&self, sha256: &str) -> Result<bool, StoreError> {
        let n =
            media::Entity::find().filter(media::Column::Sha256.eq(sha256)).count(&self.db).await.map_err(store_err)?;
        Ok(n > 0)
    }
}
