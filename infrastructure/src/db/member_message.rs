//! A member's view of a conversation and one of its messages, read in one statement: the first
//! check of every action on a message (edit, reaction, recall), which otherwise costs two reads
//! through the pool on a path that runs as often as people react.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};
use tidings_domain::conversation::MemberView;
use tidings_domain::message::Message;
use tidings_domain::{ConvId, StoreError, UserId};

use super::conversations::{select_views, to_view};
use super::entity::{conversation_members as members, messages};
use super::{store_err, to_db};

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

/// [`tidings_domain::ports::ConversationStore::member_message`] on sea-orm.
pub(super) async fn read(
    db: &DatabaseConnection,
    conv: &ConvId,
    user: &UserId,
    seq: u64,
) -> Result<(Option<MemberView>, Option<Message>), StoreError> {
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
    let Some(row) = db.query_one(&stmt).await.map_err(store_err)? else { return Ok((None, None)) };
    let view = to_view(&row)?;
    let message = match &view {
        Some(v) => message_of(&row, &v.conv, seq)?,
        None => None,
    };
    Ok((view, message))
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
