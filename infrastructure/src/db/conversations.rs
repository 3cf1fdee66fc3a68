//! [`ConversationStore`] on sea-orm.

use std::collections::HashSet;

use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryResult,
    TransactionTrait,
};
use tidings_domain::conversation::{MemberPrefs, MemberView, PrefsPatch, ReadPosition};
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
        let stmt = select_views(user)
            .and_where(Expr::col((members::Entity, members::Column::ConvId)).eq(conv.to_string()))
            .to_owned();
        let row = self.db.query_one(&stmt).await.map_err(store_err)?;
        row.map(|r| to_view(&r)).transpose().map(Option::flatten)
    }

    async fn mark_read(&self, conv: &ConvId, user: &UserId, seq: u64) -> Result<u64, StoreError> {
        let seq = to_db(seq);
        let raise =
            Expr::case(members::Column::ReadSeq.lt(seq), Expr::val(seq)).finally(Expr::col(members::Column::ReadSeq));
        let touch = Expr::case(members::Column::ReadSeq.lt(seq), Expr::val(now_ms())).finally(Expr::col(CHANGED_AT));
        members::Entity::update_many()
            // MySQL applies assignments left to right, each seeing the ones before: touch first.
            .col_expr(CHANGED_AT, touch.into())
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

    async fn list_for_user(
        &self,
        user: &UserId,
        since: Option<i64>,
        limit: u64,
    ) -> Result<Vec<MemberView>, StoreError> {
        let mut stmt = select_views(user);
        if let Some(since) = since {
            stmt.cond_where(
                Condition::any()
                    .add(Expr::col((conversations::Entity, conversations::Column::UpdatedAt)).gt(since))
                    .add(Expr::col((members::Entity, CHANGED_AT)).gt(since)),
            );
        }
        let stmt = stmt
            .order_by((members::Entity, PINNED), Order::Desc)
            .order_by((conversations::Entity, conversations::Column::UpdatedAt), Order::Desc)
            .order_by((conversations::Entity, conversations::Column::ConvId), Order::Asc)
            .limit(limit)
            .to_owned();
        let found = self.db.query_all(&stmt).await.map_err(store_err)?;
        let mut out = Vec::with_capacity(found.len());
        for row in found {
            out.extend(to_view(&row)?);
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
    async fn set_prefs(
        &self,
        conv: &ConvId,
        user: &UserId,
        patch: &PrefsPatch,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut update = Query::update();
        update.table(members::Entity).value(CHANGED_AT, now_ms);
        if let Some(muted) = patch.muted {
            update.value(MUTED, muted);
        }
        if let Some(pinned) = patch.pinned {
            update.value(PINNED, pinned);
        }
        if let Some(draft) = &patch.draft {
            update.value(DRAFT, draft.clone());
        }
        update
            .and_where(Expr::col(members::Column::ConvId).eq(conv.to_string()))
            .and_where(Expr::col(members::Column::UserId).eq(user.to_string()));
        let done = self.db.execute(&update).await.map_err(store_err)?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        // MySQL counts only rows whose values changed; a same-millisecond repeat is still a hit.
        Ok(members::Entity::find_by_id((conv.to_string(), user.to_string()))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .is_some())
    }

    async fn muted_among(&self, pairs: &[(ConvId, UserId)]) -> Result<Vec<(ConvId, UserId)>, StoreError> {
        let mut out = Vec::new();
        for chunk in pairs.chunks(MUTED_CHUNK) {
            let convs: HashSet<String> = chunk.iter().map(|(c, _)| c.to_string()).collect();
            let users: HashSet<String> = chunk.iter().map(|(_, u)| u.to_string()).collect();
            let wanted: HashSet<(String, String)> = chunk.iter().map(|(c, u)| (c.to_string(), u.to_string())).collect();
            // Conversations x users covers the pairs; the few extra rows are dropped below.
            let stmt = Query::select()
                .column(members::Column::ConvId)
                .column(members::Column::UserId)
                .from(members::Entity)
                .and_where(Expr::col(members::Column::ConvId).is_in(convs))
                .and_where(Expr::col(members::Column::UserId).is_in(users))
                .and_where(Expr::col(MUTED).eq(true))
                .to_owned();
            for row in self.db.query_all(&stmt).await.map_err(store_err)? {
                let conv_id: String = row.try_get("", "conv_id").map_err(store_err)?;
                let user_id: String = row.try_get("", "user_id").map_err(store_err)?;
                if !wanted.contains(&(conv_id.clone(), user_id.clone())) {
                    continue;
                }
                if let (Some(conv), Some(user)) = (ConvId::parse(&conv_id), UserId::parse(&user_id)) {
                    out.push((conv, user));
                }
            }
        }
        Ok(out)
    }
}

/// Columns added by the member-preferences migration (not in the entity, so older code that
/// writes member rows keeps working with the columns' defaults).
#[derive(Clone, Copy, sea_orm::DeriveIden)]
enum Prefs {
    Muted,
    Pinned,
    Draft,
    ChangedAt,
}
const MUTED: Prefs = Prefs::Muted;
const PINNED: Prefs = Prefs::Pinned;
const DRAFT: Prefs = Prefs::Draft;
const CHANGED_AT: Prefs = Prefs::ChangedAt;

/// The retention floor, added by the retention migration (not in the entity, like [`Prefs`]).
#[derive(Clone, Copy, sea_orm::DeriveIden)]
pub(crate) enum Floor {
    MinSeq,
}
pub(crate) const MIN_SEQ: Floor = Floor::MinSeq;

/// Pairs per muted-members query.
const MUTED_CHUNK: usize = 500;

/// The member rows of `user` joined with their conversations.
fn select_views(user: &UserId) -> SelectStatement {
    Query::select()
        .column((conversations::Entity, conversations::Column::ConvId))
        .column((conversations::Entity, conversations::Column::MaxSeq))
        .column((conversations::Entity, conversations::Column::UpdatedAt))
        .column((conversations::Entity, MIN_SEQ))
        .column((members::Entity, members::Column::ReadSeq))
        .column((members::Entity, members::Column::VisibleFrom))
        .column((members::Entity, members::Column::VisibleUntil))
        .column((members::Entity, MUTED))
        .column((members::Entity, PINNED))
        .column((members::Entity, DRAFT))
        .column((members::Entity, CHANGED_AT))
        .from(members::Entity)
        .inner_join(
            conversations::Entity,
            Expr::col((conversations::Entity, conversations::Column::ConvId))
                .equals((members::Entity, members::Column::ConvId)),
        )
        .and_where(Expr::col((members::Entity, members::Column::UserId)).eq(user.to_string()))
        .to_owned()
}

/// One row of [`select_views`]; `None` for a malformed conversation id.
fn to_view(row: &QueryResult) -> Result<Option<MemberView>, StoreError> {
    let conv_id: String = row.try_get("", "conv_id").map_err(store_err)?;
    let Some(conv) = ConvId::parse(&conv_id) else {
        tracing::warn!(conv_id, "skipping malformed conversation id in storage");
        return Ok(None);
    };
    Ok(Some(MemberView {
        conv,
        max_seq: from_db(row.try_get("", "max_seq").map_err(store_err)?),
        read_seq: from_db(row.try_get("", "read_seq").map_err(store_err)?),
        updated_at: row.try_get("", "updated_at").map_err(store_err)?,
        visible_from: from_db(row.try_get("", "visible_from").map_err(store_err)?),
        visible_until: row.try_get::<Option<i64>>("", "visible_until").map_err(store_err)?.map(from_db),
        prefs: MemberPrefs {
            muted: row.try_get("", "muted").map_err(store_err)?,
            pinned: row.try_get("", "pinned").map_err(store_err)?,
            draft: row.try_get("", "draft").map_err(store_err)?,
        },
        changed_at: row.try_get("", "changed_at").map_err(store_err)?,
        min_seq: from_db(row.try_get("", "min_seq").map_err(store_err)?),
    }))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
