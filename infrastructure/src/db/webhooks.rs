//! [`WebhookStore`] on sea-orm: webhooks (soft-deleted) and their delivery log. Attempts are
//! claimed and recorded with compare-and-swap updates, so several instances can share the log.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tidings_domain::StoreError;
use tidings_domain::webhook::{AttemptOutcome, DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent, WebhookStore};

use super::entity::{webhook_deliveries as wd, webhooks as wh};
use super::store_err;

/// Longest `last_error` kept (the column is 512 characters).
const MAX_ERROR_CHARS: usize = 500;

/// Rows per multi-row insert.
const INSERT_CHUNK: usize = 200;

/// Webhooks and deliveries in the `webhooks` and `webhook_deliveries` tables.
#[derive(Clone)]
pub struct SqlWebhookStore {
    db: DatabaseConnection,
}

impl SqlWebhookStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_hook(m: wh::Model) -> Webhook {
    Webhook {
        id: m.id,
        url: m.url,
        events: m.events.split(',').filter_map(WebhookEvent::parse).collect(),
        secret: m.secret,
        created_by: m.created_by,
        created_at: m.created_at,
    }
}

fn to_delivery(m: wd::Model) -> Result<WebhookDelivery, StoreError> {
    let bad = |what: &str| StoreError::Other(format!("bad {what} in webhook delivery {}", m.id));
    Ok(WebhookDelivery {
        event: WebhookEvent::parse(&m.event).ok_or_else(|| bad("event"))?,
        status: DeliveryStatus::parse(&m.status).ok_or_else(|| bad("status"))?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        last_status: m.last_status.and_then(|s| u16::try_from(s).ok()),
        id: m.id,
        webhook_id: m.webhook_id,
        payload: m.payload,
        last_error: m.last_error,
        next_attempt_at: m.next_attempt_at,
        lease_until: m.lease_until,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn attempts_db(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[async_trait]
impl WebhookStore for SqlWebhookStore {
    async fn insert_webhook(&self, hook: &Webhook) -> Result<(), StoreError> {
        let events: Vec<&str> = hook.events.iter().map(|e| e.as_str()).collect();
        let row = wh::ActiveModel {
            id: Set(hook.id.clone()),
            url: Set(hook.url.clone()),
            events: Set(events.join(",")),
            secret: Set(hook.secret.clone()),
            created_by: Set(hook.created_by.clone()),
            created_at: Set(hook.created_at),
            deleted_at: Set(None),
        };
        wh::Entity::insert(row).exec_without_returning(&self.db).await.map_err(store_err)?;
        Ok(())
    }

    async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows = wh::Entity::find()
            .filter(wh::Column::DeletedAt.is_null())
            .order_by_asc(wh::Column::Id)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        Ok(rows.into_iter().map(to_hook).collect())
    }

    async fn get_webhook(&self, id: &str) -> Result<Option<Webhook>, StoreError> {
        let row = wh::Entity::find_by_id(id)
            .filter(wh::Column::DeletedAt.is_null())
            .one(&self.db)
            .await
            .map_err(store_err)?;
        Ok(row.map(to_hook))
    }

    async fn delete_webhook(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let res = wh::Entity::update_many()
            .col_expr(wh::Column::DeletedAt, Expr::value(now_ms))
            .filter(wh::Column::Id.eq(id))
            .filter(wh::Column::DeletedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Ok(false);
        }
        wd::Entity::update_many()
            .col_expr(wd::Column::Status, Expr::value(DeliveryStatus::Failed.as_str()))
            .col_expr(wd::Column::LastError, Expr::value("webhook deleted"))
            .col_expr(wd::Column::UpdatedAt, Expr::value(now_ms))
            .filter(wd::Column::WebhookId.eq(id))
            .filter(wd::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(true)
    }

    async fn insert_deliveries(&self, deliveries: &[WebhookDelivery]) -> Result<(), StoreError> {
        for chunk in deliveries.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|d| wd::ActiveModel {
                id: Set(d.id.clone()),
                webhook_id: Set(d.webhook_id.clone()),
                event: Set(d.event.as_str().to_owned()),
                payload: Set(d.payload.clone()),
                status: Set(d.status.as_str().to_owned()),
                attempts: Set(attempts_db(d.attempts)),
                last_status: Set(d.last_status.map(i32::from)),
                last_error: Set(d.last_error.clone()),
                next_attempt_at: Set(d.next_attempt_at),
                lease_until: Set(d.lease_until),
                created_at: Set(d.created_at),
                updated_at: Set(d.updated_at),
            });
            wd::Entity::insert_many(rows).exec_without_returning(&self.db).await.map_err(store_err)?;
        }
        Ok(())
    }

    async fn due(&self, now_ms: i64, limit: u64) -> Result<Vec<WebhookDelivery>, StoreError> {
        let rows = wd::Entity::find()
            .filter(wd::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(wd::Column::NextAttemptAt.lte(now_ms))
            .filter(wd::Column::LeaseUntil.lte(now_ms))
            .order_by_asc(wd::Column::NextAttemptAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        rows.into_iter().map(to_delivery).collect()
    }

    async fn claim(&self, id: &str, attempts: u32, now_ms: i64, lease_until: i64) -> Result<bool, StoreError> {
        let res = wd::Entity::update_many()
            .col_expr(wd::Column::LeaseUntil, Expr::value(lease_until))
            .filter(wd::Column::Id.eq(id))
            .filter(wd::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(wd::Column::Attempts.eq(attempts_db(attempts)))
            .filter(wd::Column::LeaseUntil.lte(now_ms))
            .filter(wd::Column::NextAttemptAt.lte(now_ms))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(res.rows_affected == 1)
    }

    async fn record_attempt(
        &self,
        id: &str,
        attempt: u32,
        outcome: &AttemptOutcome,
        status: DeliveryStatus,
        next_attempt_at: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let error = outcome.error.as_ref().map(|e| e.chars().take(MAX_ERROR_CHARS).collect::<String>());
        wd::Entity::update_many()
            .col_expr(wd::Column::Attempts, Expr::value(attempts_db(attempt)))
            .col_expr(wd::Column::Status, Expr::value(status.as_str()))
            .col_expr(wd::Column::LastStatus, Expr::value(outcome.status.map(i32::from)))
            .col_expr(wd::Column::LastError, Expr::value(error))
            .col_expr(wd::Column::NextAttemptAt, Expr::value(next_attempt_at))
            .col_expr(wd::Column::LeaseUntil, Expr::value(0i64))
            .col_expr(wd::Column::UpdatedAt, Expr::value(now_ms))
            .filter(wd::Column::Id.eq(id))
            // Only the holder of attempt `attempt` records it; a delivery given up meanwhile
            // (webhook deleted) is no longer pending and stays as it is.
            .filter(wd::Column::Attempts.eq(attempts_db(attempt.saturating_sub(1))))
            .filter(wd::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn deliveries(
        &self,
        webhook_id: &str,
        before: Option<&str>,
        limit: u64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let mut select = wd::Entity::find().filter(wd::Column::WebhookId.eq(webhook_id));
        if let Some(before) = before {
            select = select.filter(wd::Column::Id.lt(before));
        }
        let rows = select.order_by_desc(wd::Column::Id).limit(limit).all(&self.db).await.map_err(store_err)?;
        rows.into_iter().map(to_delivery).collect()
    }

    async fn prune(&self, before_ms: i64) -> Result<u64, StoreError> {
        let res = wd::Entity::delete_many()
            .filter(wd::Column::Status.ne(DeliveryStatus::Pending.as_str()))
            .filter(wd::Column::UpdatedAt.lt(before_ms))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(res.rows_affected)
    }
}
