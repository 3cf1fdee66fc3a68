//! The commit pipeline's batch append through the driver: new direct conversations, the message
//! rows and each conversation's high-water mark, in one transaction. MySQL-family databases
//! (and an in-memory SQLite database) append here; a SQLite file appends on its writer thread
//! (`sqlite_writer.rs`), which shares [`high_water_marks`] and [`log_append`] with this path.
//! Statement texts recur (the driver keeps them prepared) and rows go 256 to an `INSERT`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement};
use tidings_domain::message::Message;
use tidings_domain::{ConvId, StoreError};

use super::entity::{conversations, messages};
use super::{store_err, to_db};

/// Rows per INSERT statement (8 parameters each: 2,048, far below SQLite's 32,766).
const INSERT_CHUNK: usize = 256;

/// Conversations whose high-water marks one statement raises.
const MARK_CHUNK: usize = 256;

/// Appends `batch`, opening the direct conversations in `open` first, in one transaction.
pub(crate) async fn append_batch(
    writer: &DatabaseConnection,
    batch: &[Message],
    open: &[ConvId],
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let marks = high_water_marks(batch);
    let backend = writer.get_database_backend();
    let t0 = std::time::Instant::now();
    // READ COMMITTED on MySQL-family databases: the high-water UPDATE locks only the rows it
    // changes.
    let txn = super::begin_batch(writer).await?;
    let t_begin = t0.elapsed();
    // A first message opens its direct conversation in the same transaction, so a new chat
    // costs no write of its own.
    if !open.is_empty() {
        super::conversations::open_direct(&txn, open, batch[0].ts).await?;
    }
    let t_open = t0.elapsed();
    for chunk in batch.chunks(INSERT_CHUNK) {
        // Few statement texts (`shape.rs`): runs of 128, 64, … rows rather than one of any length.
        for run in super::shape::power_of_two_runs(chunk) {
            let sql = insert_sql(backend, run.len());
            txn.execute_raw(Statement::from_sql_and_values(backend, sql.as_ref(), insert_values(run)))
                .await
                .map_err(store_err)?;
        }
    }
    super::effects::Effects::of(batch).apply(&txn, backend).await?;
    let t_insert = t0.elapsed();
    for group in marks.chunks(MARK_CHUNK) {
        raise_marks(&txn, group).await?;
    }
    let t_update = t0.elapsed();
    let done = txn.commit().await.map_err(store_err);
    log_append(batch.len(), marks.len(), open.len(), [t_begin, t_open, t_insert, t_update, t0.elapsed()]);
    done
}

/// The `append` debug line both batch writers log: rows, conversations, chats opened, and how
/// long each step took, from the times (since the start) at which begin, open, insert, update
/// and commit ended.
pub(crate) fn log_append(rows: usize, convs: usize, opened: usize, ended: [std::time::Duration; 5]) {
    let [begin, open, insert, update, commit] = ended.map(|d| d.as_micros() as u64);
    tracing::debug!(
        rows,
        convs,
        opened,
        begin_us = begin,
        open_us = open.saturating_sub(begin),
        insert_us = insert.saturating_sub(open),
        update_us = update.saturating_sub(insert),
        commit_us = commit.saturating_sub(update),
        "append"
    );
}

/// A conversation's new high-water mark: its highest seq and newest timestamp in the batch.
#[derive(Clone)]
pub(crate) struct Mark {
    pub(crate) conv: String,
    pub(crate) max_seq: i64,
    pub(crate) ts: i64,
}

/// One mark per conversation of the batch, in key order (concurrent MySQL-family writers then
/// lock rows in one order).
pub(crate) fn high_water_marks(batch: &[Message]) -> Vec<Mark> {
    let mut by_conv: HashMap<&ConvId, (i64, i64)> = HashMap::new();
    for m in batch {
        let mark = by_conv.entry(&m.conv).or_insert((0, 0));
        mark.0 = mark.0.max(to_db(m.seq));
        mark.1 = mark.1.max(m.ts);
    }
    let mut marks: Vec<Mark> =
        by_conv.into_iter().map(|(conv, (max_seq, ts))| Mark { conv: conv.to_string(), max_seq, ts }).collect();
    marks.sort_unstable_by(|a, b| a.conv.cmp(&b.conv));
    marks
}

/// Raises the marks of `group` (never lowering one) in one statement: a `CASE` per column over
/// the group's keys.
async fn raise_marks<C: ConnectionTrait>(txn: &C, group: &[Mark]) -> Result<(), StoreError> {
    // Padded to few lengths (`shape.rs`): a repeated key's `WHEN` never matches (the first did).
    let group = super::shape::padded(group.to_vec());
    let (first, rest) = group.split_first().ok_or_else(|| StoreError::Other("empty group".into()))?;
    let raise = |max_seq: i64| {
        Expr::case(conversations::Column::MaxSeq.lt(max_seq), Expr::val(max_seq))
            .finally(Expr::col(conversations::Column::MaxSeq))
    };
    let mut max_case = Expr::case(conversations::Column::ConvId.eq(first.conv.clone()), raise(first.max_seq));
    let mut ts_case = Expr::case(conversations::Column::ConvId.eq(first.conv.clone()), Expr::val(first.ts));
    for m in rest {
        max_case = max_case.case(conversations::Column::ConvId.eq(m.conv.clone()), raise(m.max_seq));
        ts_case = ts_case.case(conversations::Column::ConvId.eq(m.conv.clone()), Expr::val(m.ts));
    }
    conversations::Entity::update_many()
        .col_expr(conversations::Column::MaxSeq, max_case.finally(Expr::col(conversations::Column::MaxSeq)).into())
        .col_expr(conversations::Column::UpdatedAt, ts_case.finally(Expr::col(conversations::Column::UpdatedAt)).into())
        .filter(conversations::Column::ConvId.is_in(group.iter().map(|m| m.conv.clone())))
        .exec(txn)
        .await
        .map_err(store_err)?;
    Ok(())
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
