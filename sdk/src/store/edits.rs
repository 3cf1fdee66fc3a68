//! Edits in the store, applied in the transaction that stores the entry (as the server applies
//! them in the entry's commit): an `edit` entry replaces its target's body and `edited_at`,
//! unless a later edit of the same target is stored already (entries may arrive out of order: a
//! push ahead of a sync page); a recall erases what the edits of its target carried.

use serde_json::Value;
use sqlx::{Sqlite, Transaction};
use tidings_protocol::WireMessage;

use super::to_i64;
use crate::SdkError;

/// Applies the `edit` entry `m` to its target, if the target is stored and still a text.
/// An entry whose target is recalled here keeps only `{"seq": N}`, as on the server.
pub(super) async fn apply_edit(tx: &mut Transaction<'_, Sqlite>, m: &WireMessage) -> Result<(), SdkError> {
    let Some(target) = m.body.get("seq").and_then(Value::as_u64) else { return Ok(()) };
    let Some(body) = m.body.get("body").filter(|b| b.is_object()) else { return Ok(()) };
    let edited_at = m.body.get("edited_at").and_then(Value::as_i64);
    let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM messages WHERE conv = ? AND seq = ?")
        .bind(&m.conv)
        .bind(to_i64(target))
        .fetch_optional(&mut **tx)
        .await?;
    if kind.as_deref() == Some("recalled") {
        sqlx::query("UPDATE messages SET body = json_object('seq', ?) WHERE conv = ? AND seq = ?")
            .bind(to_i64(target))
            .bind(&m.conv)
            .bind(to_i64(m.seq))
            .execute(&mut **tx)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "UPDATE messages SET body = ?, edited_at = ? WHERE conv = ? AND seq = ? AND kind = 'text'
         AND NOT EXISTS (SELECT 1 FROM messages e WHERE e.conv = messages.conv AND e.kind = 'edit' AND e.seq > ?
             AND json_valid(e.body) AND json_extract(e.body, '$.seq') = ? AND json_type(e.body, '$.body') = 'object')",
    )
    .bind(body.to_string())
    .bind(edited_at)
    .bind(&m.conv)
    .bind(to_i64(target))
    .bind(to_i64(m.seq))
    .bind(to_i64(target))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// On a recall of `target`: its edit entries keep only `{"seq": target}`.
pub(super) async fn erase_edits_of(tx: &mut Transaction<'_, Sqlite>, conv: &str, target: u64) -> Result<(), SdkError> {
    sqlx::query(
        "UPDATE messages SET body = json_object('seq', ?)
         WHERE conv = ? AND kind = 'edit' AND json_valid(body) AND json_extract(body, '$.seq') = ?",
    )
    .bind(to_i64(target))
    .bind(conv)
    .bind(to_i64(target))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
