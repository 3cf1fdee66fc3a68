//! [`ConversationStore`] on sea-orm.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use tidings_domain::conversation::{MemberView, ReadPosition};
use tidings_domain::ports::ConversationStore;
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::{conversation_members as members, conversations};
use super::{from_db, store_err, to_db};

/// Conversations and memberships.
#[derive(Clone)]
pub struct SqlConversationStore {
    db: DatabaseConnection,
}

impl SqlConversationStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ConversationStore for SqlConversationStore {
    async fn ensure_direct(&self, conv: &ConvId, now_ms: i64) -> Result<(), StoreError> {
        let ConvId::Direct { lo, hi } = conv else {
            return Err(StoreError::Other("ensure_direct on a group".into()));
        };
        let txn = self.db.begin().await.map_err(store_err)?;
        let row = conversations::ActiveModel {
            conv_id: Set(conv.to_string()),
            kind: Set("direct".into()),
            max_seq: Set(0),
            created_at: Set(now_ms),
            updated_at: Set(now_ms),
        };
        conversations::Entity::insert(row)
            // `do_nothing_on` names the key, which MySQL needs (`ON DUPLICATE KEY UPDATE k = k`).
            .on_conflict(
                OnConflict::column(conversations::Column::ConvId)
                    .do_nothing_on([conversations::Column::ConvId])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(store_err)?;
        let member = |user: &UserId| members::ActiveModel {
            conv_id: Set(conv.to_string()),
            user_id: Set(user.to_string()),
            read_seq: Set(0),
            joined_at: Set(now_ms),
            visible_from: Set(0),
            visible_until: Set(None),
        };
        members::Entity::insert_many([member(lo), member(hi)])
            .on_conflict(
                OnConflict::columns([members::Column::ConvId, members::Column::UserId])
                    .do_nothing_on([members::Column::ConvId, members::Column::UserId])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(store_err)?;
        txn.commit().await.map_err(store_err)
    }

    async fn member_view(&self, conv: &ConvId, user: &UserId) -> Result<Option<MemberView>, StoreError> {
        let Some(member) =
            members::Entity::find_by_id((conv.to_string(), user.to_string())).one(&self.db).await.map_err(store_err)?
        else {
            return Ok(None);
        };
        let Some(c) = conversations::Entity::find_by_id(conv.to_string()).one(&self.db).await.map_err(store_err)?
        else {
            return Ok(None);
        };
        Ok(Some(MemberView {
            conv: conv.clone(),
            max_seq: from_db(c.max_seq),
            read_seq: from_db(member.read_seq),
            updated_at: c.updated_at,
            visible_from: from_db(member.visible_from),
            visible_until: member.visible_until.map(from_db),
        }))
    }

    async fn mark_read(&self, conv: &ConvId, user: &UserId, seq: u64) -> Result<u64, StoreError> {
        let seq = to_db(seq);
        let raise =
            Expr::case(members::Column::ReadSeq.lt(seq), Expr::val(seq)).finally(Expr::col(members::Column::ReadSeq));
        members::Entity::update_many()
            .col_expr(members::Column::ReadSeq, raise.into())
            .filter(members::Column::ConvId.eq(conv.to_string()))
            .filter(members::Column::UserId.eq(user.to_string()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        let row =
            members::Entity::find_by_id((conv.to_string(), user.to_string())).one(&self.db).await.map_err(store_err)?;
        Ok(row.map_or(0, |m| from_db(m.read_seq)))
    }

    async fn list_for_user(&self, user: &UserId, limit: u64) -> Result<Vec<MemberView>, StoreError> {
        let stmt = Query::select()
            .column((conversations::Entity, conversations::Column::ConvId))
            .column((conversations::Entity, conversations::Column::MaxSeq))
            .column((conversations::Entity, conversations::Column::UpdatedAt))
            .column((members::Entity, members::Column::ReadSeq))
            .column((members::Entity, members::Column::VisibleFrom))
            .column((members::Entity, members::Column::VisibleUntil))
            .from(members::Entity)
            .inner_join(
                conversations::Entity,
                Expr::col((conversations::Entity, conversations::Column::ConvId))
                    .equals((members::Entity, members::Column::ConvId)),
            )
            .and_where(Expr::col((members::Entity, members::Column::UserId)).eq(user.to_string()))
            .order_by((conversations::Entity, conversations::Column::UpdatedAt), Order::Desc)
            .order_by((conversations::Entity, conversations::Column::ConvId), Order::Asc)
            .limit(limit)
            .to_owned();
        let found = self.db.query_all(&stmt).await.map_err(store_err)?;
        let mut out = Vec::with_capacity(found.len());
        for row in found {
            let conv_id: String = row.try_get("", "conv_id").map_err(store_err)?;
            let Some(conv) = ConvId::parse(&conv_id) else {
                tracing::warn!(conv_id, "skipping malformed conversation id in storage");
                continue;
            };
            out.push(MemberView {
                conv,
                max_seq: from_db(row.try_get("", "max_seq").map_err(store_err)?),
                read_seq: from_db(row.try_get("", "read_seq").map_err(store_err)?),
                updated_at: row.try_get("", "updated_at").map_err(store_err)?,
                visible_from: from_db(row.try_get("", "visible_from").map_err(store_err)?),
                visible_until: row.try_get::<Option<i64>>("", "visible_until").map_err(store_err)?.map(from_db),
            });
        }
        Ok(out)
    }

    async fn read_positions(&self, conv: &ConvId) -> Result<Vec<ReadPosition>, StoreError> {
        let found = members::Entity::find()
            .filter(members::Column::ConvId.eq(conv.to_string()))
            .filter(members::Column::VisibleUntil.is_null())
            .all(&self.db)
            .await
            .map_err(store_err)?;
        let mut out = Vec::with_capacity(found.len());
        for m in found {
            let Some(user) = UserId::parse(&m.user_id) else {
                tracing::warn!(user_id = m.user_id, "skipping malformed member id in storage");
                continue;
            };
            out.push(ReadPosition { user, read_seq: from_db(m.read_seq), visible_from: from_db(m.visible_from) });
        }
        Ok(out)
    }
}
