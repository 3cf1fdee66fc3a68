//! Entries that act on another message (a recall, an edit) can reach the store before the
//! message itself carries their effect: a push overtakes the sync or history page that holds
//! the message, and that page was read before the entry committed. So a recall erases its target
//! whenever the target is stored ([`erase_recalled`], from the recall or from the target), and a
//! message stored after such entries takes their effect at once ([`apply_earlier_entries`]).

use serde_json::Value;
use sqlx::{Sqlite, Transaction};
use tidings_protocol::WireMessage;

use super::to_i64;
use crate::SdkError;

/// Erases message `target` of `conv` (recalled), as the server's recall does: its body, its
/// pin, its reactions, its edits' bodies, the excerpt of every quote of it, its place in a thread.
pub(super) async fn erase_recalled(tx: &mut Transaction<'_, Sqlite>, conv: &str, target: u64) -> Result<(), SdkError> {
    super::threads::before_recall(tx, conv, target).await?;
    let target = to_i64(target);
    sqlx::query("UPDATE messages SET kind = 'recalled', body = '{}', edited_at = NULL WHERE conv = ? AND seq = ?")
        .bind(conv)
        .bind(target)
        .execute(&mut **tx)
        .await?;
    for sql in ["DELETE FROM pins WHERE conv = ? AND seq = ?", "DELETE FROM reactions WHERE conv = ? AND seq = ?"] {
        sqlx::query(sql).bind(conv).bind(target).execute(&mut **tx).await?;
    }
    sqlx::query(
        "UPDATE messages SET body = json_set(body, '$.reply_to.quote', json('{\"recalled\":true}'))
         WHERE conv = ? AND json_valid(body) AND json_extract(body, '$.reply_to.seq') = ?",
    )
    .bind(conv)
    .bind(target)
    .execute(&mut **tx)
    .await?;
    super::edits::erase_edits_of(tx, conv, super::to_u64(target)).await
}

/// Gives the newly stored message `m` the effect of the entries stored before it that act on it:
/// a stored recall of it erases it; else the newest stored edit of it with a body newer than the
/// copy's replaces its body; a quote of a message recalled here loses its excerpt.
pub(super) async fn apply_earlier_entries(tx: &mut Transaction<'_, Sqlite>, m: &WireMessage) -> Result<(), SdkError> {
    let seq = to_i64(m.seq);
    let recalled: Option<i64> = sqlx::query_scalar(
        "SELECT seq FROM messages WHERE conv = ? AND kind = 'recall' AND json_valid(body)
         AND json_extract(body, '$.seq') = ? LIMIT 1",
    )
    .bind(&m.conv)
    .bind(seq)
    .fetch_optional(&mut **tx)
    .await?;
    if recalled.is_some() {
        return erase_recalled(tx, &m.conv, m.seq).await;
    }
    if m.kind == "text" {
        let newest: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT json_extract(body, '$.body'), json_extract(body, '$.edited_at') FROM messages
             WHERE conv = ? AND kind = 'edit' AND json_valid(body) AND json_extract(body, '$.seq') = ?
             AND json_type(body, '$.body') = 'object' ORDER BY seq DESC LIMIT 1",
        )
        .bind(&m.conv)
        .bind(seq)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some((body, edited_at)) = newest
            && edited_at.unwrap_or(i64::MAX) > m.edited_at.unwrap_or(i64::MIN)
        {
            sqlx::query("UPDATE messages SET body = ?, edited_at = ? WHERE conv = ? AND seq = ?")
                .bind(body)
                .bind(edited_at)
                .bind(&m.conv)
                .bind(seq)
                .execute(&mut **tx)
                .await?;
        }
    }
    if let Some(quoted) = m.body.get("reply_to").and_then(|r| r.get("seq")).and_then(Value::as_u64) {
        sqlx::query(
            "UPDATE messages SET body = json_set(body, '$.reply_to.quote', json('{\"recalled\":true}'))
             WHERE conv = ?1 AND seq = ?2 AND EXISTS (SELECT 1 FROM messages q WHERE q.conv = ?1 AND q.seq = ?3
                AND q.kind = 'recalled')",
        )
        .bind(&m.conv)
        .bind(seq)
        .bind(to_i64(quoted))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
