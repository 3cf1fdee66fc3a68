//! [`MessageStore`] on sea-orm: batched appends in one transaction, range reads by `(conv, seq)`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use tidings_domain::message::{Message, NOT_UNREAD_KINDS, RECALLED_BODY, RECALLED_KIND, USER_KINDS};
use tidings_domain::ports::{MessageStore, UnreadRange};
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::{conversations, messages};
use super::{from_db, store_err, to_db};

/// Conversations whose high-water marks one UPDATE raises.
const MARK_CHUNK: usize = 32;

/// Conversations per query when seeding seq counters.
const SEED_CHUNK: usize = 256;

/// Rows per INSERT statement in a batch.
const INSERT_CHUNK: usize = 64;

/// Message logs in the `messages` table; `conversations.max_seq` advances in the same transaction.
#[derive(Clone)]
pub struct SqlMessageStore {
    db: DatabaseConnection,
    /// Where batches commit (`super::connect_batch_writer`); the pool itself by default.
    writer: DatabaseConnection,
}

impl SqlMessageStore {
    /// Uses the given pool for everything.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { writer: db.clone(), db }
    }

    /// Reads from `db` and commits batches through `writer`.
    pub fn with_batch_writer(db: DatabaseConnection, writer: DatabaseConnection) -> Self {
        Self { db, writer }
    }
}

fn to_message(m: messages::Model) -> Result<Message, StoreError> {
    let conv =
        ConvId::parse(&m.conv_id).ok_or_else(|| StoreError::Other(format!("bad conv id in storage: {}", m.conv_id)))?;
    let sender = UserId::parse(&m.sender_id).ok_or_else(|| StoreError::Other("bad sender id in storage".into()))?;
    Ok(Message {
        conv,
        seq: from_db(m.seq),
        msg_id: m.msg_id,
        sender,
        client_msg_id: m.client_msg_id,
        kind: m.kind,
        body: m.body,
        ts: m.ts,
    })
}

/// Built INSERT statements by (backend name, row count).
type InsertSqlCache = HashMap<(&'static str, usize), Arc<str>>;

/// `INSERT INTO messages (...) VALUES (...), ...` for `rows` rows, in the backend's dialect.
/// Built once per (backend, size) through sea-query (so quoting stays backend-correct) and kept,
/// so the hot path neither builds an AST per row nor makes the driver parse a new statement.
fn insert_sql(backend: DbBackend, rows: usize) -> Arc<str> {
    static CACHE: OnceLock<Mutex<InsertSqlCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (backend.as_str(), rows);
    if let Some(sql) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return sql;
    }
    let mut insert = Query::insert();
    insert.into_table(messages::Entity).columns([
        messages::Column::ConvId,
        messages::Column::Seq,
        messages::Column::MsgId,
        messages::Column::SenderId,
        messages::Column::ClientMsgId,
        messages::Column::Kind,
        messages::Column::Body,
        messages::Column::Ts,
    ]);
    for _ in 0..rows {
        insert.values_panic([
            Expr::val(""),
            Expr::val(0i64),
            Expr::val(""),
            Expr::val(""),
            Expr::val(""),
            Expr::val(""),
            Expr::val(""),
            Expr::val(0i64),
        ]);
    }
    let sql: Arc<str> = backend.build(&insert).sql.into();
    if let Ok(mut c) = cache.lock() {
        c.insert(key, sql.clone());
    }
    sql
}

/// The values of `chunk`, row by row, in `insert_sql`'s column order.
fn insert_values(chunk: &[Message]) -> Vec<sea_orm::Value> {
    let mut values = Vec::with_capacity(chunk.len() * 8);
    for m in chunk {
        values.extend([
            m.conv.to_string().into(),
            to_db(m.seq).into(),
            m.msg_id.clone().into(),
            m.sender.to_string().into(),
            m.client_msg_id.clone().into(),
            m.kind.clone().into(),
            m.body.clone().into(),
            m.ts.into(),
        ]);
    }
    values
}

fn rows(found: Vec<messages::Model>) -> Result<Vec<Message>, StoreError> {
    found.into_iter().map(to_message).collect()
}

#[async_trait]
impl MessageStore for SqlMessageStore {
    async fn append(&self, batch: &[Message], open: &[ConvId]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        // Highest seq and newest timestamp per conversation, to advance its high-water mark once.
        let mut marks: HashMap<String, (i64, i64)> = HashMap::new();
        for m in batch {
            let mark = marks.entry(m.conv.to_string()).or_insert((0, 0));
            mark.0 = mark.0.max(to_db(m.seq));
            mark.1 = mark.1.max(m.ts);
        }
        let backend = self.db.get_database_backend();
        let t0 = std::time::Instant::now();
        // READ COMMITTED on MySQL-family databases: the high-water UPDATE locks only the rows it
        // changes.
        let txn = super::begin_batch(&self.writer).await?;
        let t_begin = t0.elapsed();
        // A first message opens its direct conversation in the same transaction, so a new chat
        // costs no write of its own.
        if !open.is_empty() {
            super::conversations::open_direct(&txn, open, batch[0].ts).await?;
        }
        let t_open = t0.elapsed();
        // Fixed-size chunks: the same statement text recurs, so the driver reuses prepared
        // statements instead of parsing a new multi-thousand-parameter one per batch.
        for chunk in batch.chunks(INSERT_CHUNK) {
            let sql = insert_sql(backend, chunk.len());
            txn.execute_raw(Statement::from_sql_and_values(backend, sql.as_ref(), insert_values(chunk)))
                .await
                .map_err(store_err)?;
        }
        let t_insert = t0.elapsed();
        // One UPDATE per group of conversations (never lowering a high-water mark), instead of
        // one round trip per conversation.
        let marks: Vec<(String, (i64, i64))> = marks.into_iter().collect();
        for group in marks.chunks(MARK_CHUNK) {
            let (first, rest) = group.split_first().ok_or_else(|| StoreError::Other("empty group".into()))?;
            let raise = |max_seq: i64| {
                Expr::case(conversations::Column::MaxSeq.lt(max_seq), Expr::val(max_seq))
                    .finally(Expr::col(conversations::Column::MaxSeq))
            };
            let mut max_case = Expr::case(conversations::Column::ConvId.eq(first.0.clone()), raise(first.1.0));
            let mut ts_case = Expr::case(conversations::Column::ConvId.eq(first.0.clone()), Expr::val(first.1.1));
            for (conv, (max_seq, ts)) in rest {
                max_case = max_case.case(conversations::Column::ConvId.eq(conv.clone()), raise(*max_seq));
                ts_case = ts_case.case(conversations::Column::ConvId.eq(conv.clone()), Expr::val(*ts));
            }
            conversations::Entity::update_many()
                .col_expr(
                    conversations::Column::MaxSeq,
                    max_case.finally(Expr::col(conversations::Column::MaxSeq)).into(),
                )
                .col_expr(
                    conversations::Column::UpdatedAt,
                    ts_case.finally(Expr::col(conversations::Column::UpdatedAt)).into(),
                )
                .filter(conversations::Column::ConvId.is_in(group.iter().map(|(c, _)| c.clone())))
                .exec(&txn)
                .await
                .map_err(store_err)?;
        }
        let t_update = t0.elapsed();
        let done = txn.commit().await.map_err(store_err);
        tracing::debug!(
            rows = batch.len(),
            opened = open.len(),
            begin_us = t_begin.as_micros() as u64,
            open_us = (t_open - t_begin).as_micros() as u64,
            insert_us = (t_insert - t_open).as_micros() as u64,
            update_us = (t_update - t_insert).as_micros() as u64,
            commit_us = (t0.elapsed() - t_update).as_micros() as u64,
            "append"
        );
        done
    }

    async fn find_by_client_ids(&self, keys: &[(UserId, String)]) -> Result<Vec<Message>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut any = Condition::any();
        for (sender, cmid) in keys {
            any = any.add(
                Condition::all()
                    .add(messages::Column::SenderId.eq(sender.to_string()))
                    .add(messages::Column::ClientMsgId.eq(cmid.clone())),
            );
        }
        rows(messages::Entity::find().filter(any).all(&self.db).await.map_err(store_err)?)
    }

    async fn max_seq(&self, conv: &ConvId) -> Result<u64, StoreError> {
        Ok(self.max_seqs(std::slice::from_ref(conv)).await?.first().copied().unwrap_or(0))
    }

    async fn max_seqs(&self, convs: &[ConvId]) -> Result<Vec<u64>, StoreError> {
        let mut highest: HashMap<String, u64> = HashMap::with_capacity(convs.len());
        for chunk in convs.chunks(SEED_CHUNK) {
            let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
            let logged: Vec<(String, Option<i64>)> = messages::Entity::find()
                .select_only()
                .column(messages::Column::ConvId)
                .expr(Func::max(Expr::col(messages::Column::Seq)))
                .filter(messages::Column::ConvId.is_in(ids.clone()))
                .group_by(messages::Column::ConvId)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(store_err)?;
            // The conversation row's high-water mark survives retention purges that emptied the
            // log, so counters seeded from here never hand out a purged seq again.
            let marks: Vec<(String, i64)> = conversations::Entity::find()
                .select_only()
                .column(conversations::Column::ConvId)
                .column(conversations::Column::MaxSeq)
                .filter(conversations::Column::ConvId.is_in(ids))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(store_err)?;
            for (conv, seq) in logged
                .into_iter()
                .map(|(c, s)| (c, s.map_or(0, from_db)))
                .chain(marks.into_iter().map(|(c, s)| (c, from_db(s))))
            {
                let entry = highest.entry(conv).or_default();
                *entry = (*entry).max(seq);
            }
        }
        Ok(convs.iter().map(|c| highest.get(&c.to_string()).copied().unwrap_or(0)).collect())
    }

    async fn after(&self, conv: &ConvId, after: u64, limit: u64) -> Result<Vec<Message>, StoreError> {
        rows(
            messages::Entity::find()
                .filter(messages::Column::ConvId.eq(conv.to_string()))
                .filter(messages::Column::Seq.gt(to_db(after)))
                .order_by_asc(messages::Column::Seq)
                .limit(limit)
                .all(&self.db)
                .await
                .map_err(store_err)?,
        )
    }

    async fn before(&self, conv: &ConvId, before: u64, limit: u64) -> Result<Vec<Message>, StoreError> {
        let mut page = rows(
            messages::Entity::find()
                .filter(messages::Column::ConvId.eq(conv.to_string()))
                .filter(messages::Column::Seq.lt(to_db(before)))
                .order_by_desc(messages::Column::Seq)
                .limit(limit)
                .all(&self.db)
                .await
                .map_err(store_err)?,
        )?;
        page.reverse();
        Ok(page)
    }

    async fn get(&self, conv: &ConvId, seq: u64) -> Result<Option<Message>, StoreError> {
        messages::Entity::find_by_id((conv.to_string(), to_db(seq)))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_message)
            .transpose()
    }

    async fn count_unread(&self, conv: &ConvId, user: &UserId, after: u64, upto: u64) -> Result<u64, StoreError> {
        messages::Entity::find()
            .filter(messages::Column::ConvId.eq(conv.to_string()))
            .filter(messages::Column::Seq.gt(to_db(after)))
            .filter(messages::Column::Seq.lte(to_db(upto)))
            .filter(messages::Column::SenderId.ne(user.to_string()))
            .filter(messages::Column::Kind.is_not_in(NOT_UNREAD_KINDS.iter().copied()))
            .count(&self.db)
            .await
            .map_err(store_err)
    }

    async fn mark_recalled(&self, conv: &ConvId, seq: u64) -> Result<bool, StoreError> {
        let done = messages::Entity::update_many()
            .col_expr(messages::Column::Kind, Expr::val(RECALLED_KIND))
            .col_expr(messages::Column::Body, Expr::val(RECALLED_BODY))
            .filter(messages::Column::ConvId.eq(conv.to_string()))
            .filter(messages::Column::Seq.eq(to_db(seq)))
            .filter(messages::Column::Kind.is_in(USER_KINDS.iter().copied()))
            .exec(&self.db)
            .await
            .map_err(store_err)?;
        Ok(done.rows_affected == 1)
    }
    async fn count_unread_many(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<u64>, StoreError> {
        let wanted: Vec<&UnreadRange> = ranges.iter().filter(|r| r.upto > r.after).collect();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for chunk in wanted.chunks(RANGE_CHUNK) {
            let rows: Vec<(String, i64)> = messages::Entity::find()
                .select_only()
                .column(messages::Column::ConvId)
                .column_as(messages::Column::Seq.count(), "n")
                .filter(in_ranges(chunk))
                .filter(messages::Column::SenderId.ne(user.to_string()))
                .filter(messages::Column::Kind.is_not_in(NOT_UNREAD_KINDS.iter().copied()))
                .group_by(messages::Column::ConvId)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(store_err)?;
            counts.extend(rows.into_iter().map(|(c, n)| (c, u64::try_from(n).unwrap_or(0))));
        }
        Ok(ranges.iter().map(|r| counts.get(&r.conv.to_string()).copied().unwrap_or(0)).collect())
    }

    async fn get_many(&self, keys: &[(ConvId, u64)]) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(RANGE_CHUNK) {
            let mut any = Condition::any();
            for (conv, seq) in chunk {
                any = any.add(
                    Condition::all()
                        .add(messages::Column::ConvId.eq(conv.to_string()))
                        .add(messages::Column::Seq.eq(to_db(*seq))),
                );
            }
            let rows = messages::Entity::find().filter(any).all(&self.db).await.map_err(store_err)?;
            for row in rows {
                out.push(to_message(row)?);
            }
        }
        Ok(out)
    }

    async fn mention_candidates(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<Message>, StoreError> {
        let wanted: Vec<&UnreadRange> = ranges.iter().filter(|r| r.upto > r.after).collect();
        let mut out = Vec::new();
        for chunk in wanted.chunks(RANGE_CHUNK) {
            let rows = messages::Entity::find()
                .filter(in_ranges(chunk))
                .filter(messages::Column::SenderId.ne(user.to_string()))
                .filter(messages::Column::Body.like("%\"mention%"))
                .all(&self.db)
                .await
                .map_err(store_err)?;
            for row in rows {
                out.push(to_message(row)?);
            }
        }
        Ok(out)
    }
}

/// Conversations per batched range query (keeps statements a sane size).
const RANGE_CHUNK: usize = 200;

/// Messages inside any of the ranges.
fn in_ranges(ranges: &[&UnreadRange]) -> Condition {
    ranges.iter().fold(Condition::any(), |any, r| {
        any.add(
            Condition::all()
                .add(messages::Column::ConvId.eq(r.conv.to_string()))
                .add(messages::Column::Seq.gt(to_db(r.after)))
                .add(messages::Column::Seq.lte(to_db(r.upto))),
        )
    })
}
