//! A member's view of a conversation and one of its messages, read in one statement: the first
//! check of every action on a message (edit, reaction, recall), which otherwise costs two reads
//! through the pool on a path that runs as often as people react.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, SelectStatement, SqliteQueryBuilder};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};
use tidings_domain::conversation::{MemberPrefs, MemberView};
use tidings_domain::message::Message;
use tidings_domain::{ConvId, StoreError, UserId};

use super::conversations::{select_views, to_view};
use super::entity::{conversation_members as members, messages};
use super::sqlite_reads::SqliteReads;
use super::{from_db, store_err, to_db};

/// The message columns, each read under an `m_` alias beside the view's.
const COLUMNS: [(messages::Column, &str); 7] = [
    (messages::Column::MsgId, "m_msg_id"),
    (messages::Column::SenderId, "m_sender_id"),
    (messages::Column::ClientMsgId, "m_client_msg_id"),
    (messages::Column::Kind, "m_kind"),
    (messages::Column::Body, "m_body"),
    (messages::Column::Ts, "m_ts"),
    (messages::Column::EditedAt, "m_edited_at"),
];

/// The statement: the member row of `user` in `conv` joined with its conversation and, if it
/// exists, message `seq`.
fn statement(conv: &ConvId, user: &UserId, seq: u64) -> SelectStatement {
    let mut stmt = select_views(user);
    stmt.and_where(Expr::col((members::Entity, members::Column::ConvId)).eq(conv.to_string())).join(
        JoinType::LeftJoin,
        messages::Entity,
        Expr::col((messages::Entity, messages::Column::ConvId))
            .equals((members::Entity, members::Column::ConvId))
            .and(Expr::col((messages::Entity, messages::Column::Seq)).eq(to_db(seq))),
    );
    for (column, alias) in COLUMNS {
        stmt.expr_as(Expr::col((messages::Entity, column)), Alias::new(alias));
    }
    stmt
}

/// [`tidings_domain::ports::ConversationStore::member_message`] on sea-orm.
pub(super) async fn read(
    db: &DatabaseConnection,
    conv: &ConvId,
    user: &UserId,
    seq: u64,
) -> Result<(Option<MemberView>, Option<Message>), StoreError> {
    let Some(row) = db.query_one(&statement(conv, user, seq)).await.map_err(store_err)? else {
        return Ok((None, None));
    };
    let view = to_view(&row)?;
    let message = match &view {
        Some(v) => message_of(&row, &v.conv, seq)?,
        None => None,
    };
    Ok((view, message))
}

/// The same read on the calling thread (`super::sqlite_reads`), for a SQLite file.
pub(super) fn read_here(
    reads: &SqliteReads,
    conv: &ConvId,
    user: &UserId,
    seq: u64,
) -> Result<(Option<MemberView>, Option<Message>), StoreError> {
    let (sql, values) = statement(conv, user, seq).build(SqliteQueryBuilder);
    let found = reads.query_one(&sql, &values, |row| {
        let view = view_of(row)?;
        let message = match &view {
            Some(v) => direct_message_of(row, &v.conv, seq)?,
            None => None,
        };
        Ok((view, message))
    })?;
    Ok(found.unwrap_or((None, None)))
}

/// [`to_view`] of a row read on the calling thread.
fn view_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<MemberView>> {
    let conv_id: String = row.get("conv_id")?;
    let Some(conv) = ConvId::parse(&conv_id) else {
        tracing::warn!(conv_id, "skipping malformed conversation id in storage");
        return Ok(None);
    };
    Ok(Some(MemberView {
        conv,
        max_seq: from_db(row.get("max_seq")?),
        read_seq: from_db(row.get("read_seq")?),
        updated_at: row.get("updated_at")?,
        visible_from: from_db(row.get("visible_from")?),
        visible_until: row.get::<_, Option<i64>>("visible_until")?.map(from_db),
        prefs: MemberPrefs {
            muted: row.get("muted")?,
            muted_until: row.get("muted_until")?,
            pinned: row.get("pinned")?,
            draft: row.get("draft")?,
        },
        changed_at: row.get("changed_at")?,
        min_seq: from_db(row.get("min_seq")?),
    }))
}

/// [`message_of`] of a row read on the calling thread.
fn direct_message_of(row: &rusqlite::Row<'_>, conv: &ConvId, seq: u64) -> rusqlite::Result<Option<Message>> {
    let Some(msg_id) = row.get::<_, Option<String>>("m_msg_id")? else { return Ok(None) };
    let sender: String = row.get("m_sender_id")?;
    let Some(sender) = UserId::parse(&sender) else {
        return Err(rusqlite::Error::InvalidColumnType(0, "m_sender_id".into(), rusqlite::types::Type::Text));
    };
    Ok(Some(Message {
        conv: conv.clone(),
        seq,
        msg_id,
        sender,
        client_msg_id: row.get("m_client_msg_id")?,
        kind: row.get("m_kind")?,
        body: row.get("m_body")?,
        ts: row.get("m_ts")?,
        edited_at: row.get("m_edited_at")?,
    }))
}

/// The joined message of `row`, if the join found one.
fn message_of(row: &QueryResult, conv: &ConvId, seq: u64) -> Result<Option<Message>, StoreError> {
    let get = |col: &str| row.try_get::<Option<String>>("", col).map_err(store_err);
    let Some(msg_id) = get("m_msg_id")? else { return Ok(None) };
    let sender = get("m_sender_id")?.and_then(|s| UserId::parse(&s));
    let sender = sender.ok_or_else(|| StoreError::Other("bad sender id in storage".into()))?;
    Ok(Some(Message {
        conv: conv.clone(),
        seq,
        msg_id,
        sender,
        client_msg_id: get("m_client_msg_id")?.unwrap_or_default(),
        kind: get("m_kind")?.unwrap_or_default(),
        body: get("m_body")?.unwrap_or_default(),
        ts: row.try_get::<Option<i64>>("", "m_ts").map_err(store_err)?.unwrap_or(0),
        edited_at: row.try_get::<Option<i64>>("", "m_edited_at").map_err(store_err)?,
    }))
}
