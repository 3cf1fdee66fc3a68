//! [`RetentionStore`] on sea-orm: purges each conversation's log from its low end, in bounded
//! batches, and raises the conversation's floor (`min_seq`) in the same transaction.
//!
//! No index on `messages.ts` is needed (it would cost every send): within one conversation seq
//! and time grow together, so the job walks the log by the primary key from the floor and stops
//! at the first message newer than the cutoff.

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use tidings_domain::StoreError;
use tidings_domain::retention::{PurgeReport, RetentionStore};

use super::conversations::MIN_SEQ;
use super::entity::{conversations, message_edits, messages};
use super::store_err;

/// Conversations read per page while looking for old messages.
const CONV_PAGE: u64 = 500;

/// Message retention over the shared schema.
#[derive(Clone)]
pub struct SqlRetentionStore {
    db: DatabaseConnection,
}

impl SqlRetentionStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Conversations created before the cutoff that still keep messages, after `after` by id:
    /// `(conv_id, floor)`.
    async fn candidates(&self, cutoff_ms: i64, after: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let stmt = Query::select()
            .column(conversations::Column::ConvId)
            .column(MIN_SEQ)
            .from(conversations::Entity)
            .and_where(Expr::col(conversations::Column::CreatedAt).lt(cutoff_ms))
            .and_where(Expr::col(conversations::Column::MaxSeq).gt(0))
            .and_where(Expr::col(conversations::Column::MaxSeq).gte(Expr::col(MIN_SEQ)))
            .and_where(Expr::col(conversations::Column::ConvId).gt(after))
            .order_by(conversations::Column::ConvId, Order::Asc)
            .limit(CONV_PAGE)
            .to_owned();
        let rows = self.db.query_all(&stmt).await.map_err(store_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let conv: String = row.try_get("", "conv_id").map_err(store_err)?;
            let floor: i64 = row.try_get("", "min_seq").map_err(store_err)?;
            out.push((conv, Ord::max(floor, 1)));
        }
        Ok(out)
    }

    /// Purges one conversation from `floor` up; returns the rows deleted.
    async fn purge_conversation(
        &self,
        conv: &str,
        mut floor: i64,
        cutoff_ms: i64,
        batch: u64,
    ) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let rows: Vec<(i64, i64)> = messages::Entity::find()
                .select_only()
                .column(messages::Column::Seq)
                .column(messages::Column::Ts)
                .filter(messages::Column::ConvId.eq(conv))
                .filter(messages::Column::Seq.gte(floor))
                .order_by_asc(messages::Column::Seq)
                .limit(batch)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(store_err)?;
            let old = rows.iter().take_while(|(_, ts)| *ts < cutoff_ms).count();
            let Some((last_old, _)) = old.checked_sub(1).and_then(|i| rows.get(i)) else {
                return Ok(deleted);
            };
            let next_floor = last_old + 1;
            let txn = self.db.begin().await.map_err(store_err)?;
            let gone = messages::Entity::delete_many()
                .filter(messages::Column::ConvId.eq(conv))
                .filter(messages::Column::Seq.lt(next_floor))
                .exec(&txn)
                .await
                .map_err(store_err)?;
            // The kept versions of purged messages go with them.
            message_edits::Entity::delete_many()
                .filter(message_edits::Column::ConvId.eq(conv))
                .filter(message_edits::Column::TargetSeq.lt(next_floor))
                .exec(&txn)
                .await
                .map_err(store_err)?;
            // So do the thread index rows of purged replies.
            let purge_replies = Query::delete()
                .from_table(Alias::new("thread_replies"))
                .and_where(Expr::col(Alias::new("conv_id")).eq(conv))
                .and_where(Expr::col(Alias::new("seq")).lt(next_floor))
                .to_owned();
            txn.execute(&purge_replies).await.map_err(store_err)?;
            let raise = Query::update()
                .table(conversations::Entity)
                .value(MIN_SEQ, next_floor)
                .and_where(Expr::col(conversations::Column::ConvId).eq(conv))
                .and_where(Expr::col(MIN_SEQ).lt(next_floor))
                .to_owned();
            txn.execute(&raise).await.map_err(store_err)?;
            txn.commit().await.map_err(store_err)?;
            deleted += gone.rows_affected;
            floor = next_floor;
            // A newer message ended the walk, or the log ran out: this conversation is done.
            if old < rows.len() || (rows.len() as u64) < batch {
                return Ok(deleted);
            }
        }
    }
}

#[async_trait]
impl RetentionStore for SqlRetentionStore {
    async fn purge_messages_before(&self, cutoff_ms: i64, batch: u64) -> Result<PurgeReport, StoreError> {
        let batch = Ord::max(batch, 1);
        let mut report = PurgeReport::default();
        let mut after = String::new();
        loop {
            let page = self.candidates(cutoff_ms, &after).await?;
            for (conv, floor) in &page {
                let n = self.purge_conversation(conv, *floor, cutoff_ms, batch).await?;
                if n > 0 {
                    report.deleted += n;
                    report.conversations += 1;
                }
            }
            match page.last() {
                Some((last, _)) if page.len() as u64 == CONV_PAGE => after.clone_from(last),
                _ => break,
            }
        }
        tracing::debug!(deleted = report.deleted, conversations = report.conversations, "purge pass");
        Ok(report)
    }
}
