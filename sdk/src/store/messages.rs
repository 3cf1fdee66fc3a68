//! Messages in the store: received ones deduplicated by `(conv, seq)`, own ones matched to
//! their acks and synced copies by `(sender, client_msg_id)`, recalls and edits applied in place.
//! their acks and synced copies by `(sender, client_msg_id)`, recalls and reactions applied in
//! place.

use sqlx::AssertSqlSafe;
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;
use tidings_protocol::WireMessage;

use super::{Store, to_i64, to_u64};
use crate::SdkError;
use crate::types::{Message, MessageStatus};

/// What storing a message from the server did.
#[derive(Debug)]
pub(crate) enum Stored {
    /// It was new: tell the app.
    New(Message),
    /// It was this device's own message, now known with its seq (it was acked through sync).
    OwnConfirmed(Message),
    /// Already stored: dropped.
    Duplicate,
}

pub(super) const COLUMNS: &str = "conv, seq, msg_id, sender, client_msg_id, kind, body, ts, status, edited_at";

pub(super) fn row_to_message(row: &SqliteRow) -> Result<Message, sqlx::Error> {
    Ok(Message {
        conv: row.try_get("conv")?,
        seq: row.try_get::<Option<i64>, _>("seq")?.map(to_u64),
        msg_id: row.try_get("msg_id")?,
        sender: row.try_get("sender")?,
        client_msg_id: row.try_get("client_msg_id")?,
        kind: row.try_get("kind")?,
        body: row.try_get("body")?,
        ts: row.try_get("ts")?,
        status: MessageStatus::parse(row.try_get::<&str, _>("status")?),
        edited_at: row.try_get("edited_at")?,
        reactions: Vec::new(),
        thread: None,
    })
}

impl Store {
    /// Stores a message from a push, a sync page or a history page, dropping duplicates.
    /// A `recall` notice also erases the message it names; an `edit` replaces its body.
    pub(crate) async fn store_wire(&self, m: &WireMessage, me: &str) -> Result<Stored, SdkError> {
        let mut tx = self.pool.begin().await?;
        let seq = to_i64(m.seq);
        let seen: Option<i64> = sqlx::query_scalar("SELECT id FROM messages WHERE conv = ? AND seq = ?")
            .bind(&m.conv)
            .bind(seq)
            .fetch_optional(&mut *tx)
            .await?;
        super::threads::note_baseline(&mut tx, m).await?;
        if seen.is_some() {
            tx.commit().await?;
            return Ok(Stored::Duplicate);
        }
        let message = Message::from_wire(m, me);
        let own: Option<i64> = sqlx::query_scalar("SELECT id FROM messages WHERE sender = ? AND client_msg_id = ?")
            .bind(&m.sender)
            .bind(&m.client_msg_id)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = if let Some(id) = own {
            sqlx::query(
                "UPDATE messages SET seq = ?, msg_id = ?, ts = ?, kind = ?, body = ?, status = 'sent', edited_at = ?
                 WHERE id = ?",
            )
            .bind(seq)
            .bind(&m.msg_id)
            .bind(m.ts)
            .bind(&m.kind)
            .bind(&message.body)
            .bind(m.edited_at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM outbox WHERE client_msg_id = ?").bind(&m.client_msg_id).execute(&mut *tx).await?;
            Stored::OwnConfirmed(message)
        } else {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO messages ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            )))
            .bind(&m.conv)
            .bind(seq)
            .bind(&m.msg_id)
            .bind(&m.sender)
            .bind(&m.client_msg_id)
            .bind(&m.kind)
            .bind(&message.body)
            .bind(m.ts)
            .bind(message.status.as_str())
            .bind(m.edited_at)
            .execute(&mut *tx)
            .await?;
            Stored::New(message)
        };
        super::catch_up::apply_earlier_entries(&mut tx, m).await?;
        super::reactions::apply(&mut tx, m).await?;
        if m.kind == "recall"
            && let Some(target) = m.body.get("seq").and_then(serde_json::Value::as_u64)
        {
            super::catch_up::erase_recalled(&mut tx, &m.conv, target).await?;
        }
        if m.kind == "edit" {
            super::edits::apply_edit(&mut tx, m).await?;
        }
        if m.kind == "pin"
            && let Some(target) = m.body.get("seq").and_then(serde_json::Value::as_u64)
        {
            apply_pin(&mut tx, m, target).await?;
        }
        super::search::refresh(&mut tx).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Records the ack of an own message; returns the updated message (None if unknown).
    pub(crate) async fn mark_sent(
        &self,
        me: &str,
        client_msg_id: &str,
        seq: u64,
        msg_id: &str,
        ts: i64,
    ) -> Result<Option<Message>, SdkError> {
        let mut tx = self.pool.begin().await?;
        // A synced copy may have taken the seq first (same message): then only the status moves.
        sqlx::query(
            "UPDATE messages SET seq = ?, msg_id = ?, ts = ?, status = 'sent' WHERE sender = ? AND client_msg_id = ?
             AND NOT EXISTS (SELECT 1 FROM messages m2 WHERE m2.conv = messages.conv AND m2.seq = ? AND m2.client_msg_id != ?)",
        )
        .bind(to_i64(seq))
        .bind(msg_id)
        .bind(ts)
        .bind(me)
        .bind(client_msg_id)
        .bind(to_i64(seq))
        .bind(client_msg_id)
        .execute(&mut *tx)
        .await?;
        leave_outbox(tx, me, client_msg_id).await
    }

    /// Marks an own message failed and takes it out of the outbox.
    pub(crate) async fn mark_failed(&self, me: &str, client_msg_id: &str) -> Result<Option<Message>, SdkError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE messages SET status = 'failed' WHERE sender = ? AND client_msg_id = ? AND seq IS NULL")
            .bind(me)
            .bind(client_msg_id)
            .execute(&mut *tx)
            .await?;
        leave_outbox(tx, me, client_msg_id).await
    }

    /// An own message by its client id.
    pub(crate) async fn own_message(&self, me: &str, client_msg_id: &str) -> Result<Option<Message>, SdkError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM messages WHERE sender = ? AND client_msg_id = ?"
        )))
        .bind(me)
        .bind(client_msg_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(row_to_message).transpose()?)
    }

    /// Up to `limit` stored messages below `before_seq` (all when `None`, plus unsent ones),
    /// ascending by seq.
    pub(crate) async fn history(
        &self,
        conv: &str,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Message>, SdkError> {
        let rows = match before_seq {
            Some(before) => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
                )))
                .bind(conv)
                .bind(to_i64(before))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                // Unsent messages (no seq) sort last, in the order they were written.
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM messages WHERE conv = ?
                     ORDER BY seq IS NULL DESC, seq DESC, id DESC LIMIT ?"
                )))
                .bind(conv)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut out = rows.iter().map(row_to_message).collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// The stored message at `seq` of `conv`.
    pub(crate) async fn message_at(&self, conv: &str, seq: u64) -> Result<Option<Message>, SdkError> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM messages WHERE conv = ? AND seq = ?")))
            .bind(conv)
            .bind(to_i64(seq))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(row_to_message).transpose()?)
    }

    /// The newest stored message of a conversation that is not a reaction (reacting does not
    /// change what the list shows, as on the server).
    pub(crate) async fn last_message(&self, conv: &str) -> Result<Option<Message>, SdkError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM messages WHERE conv = ? AND kind != 'reaction'
             ORDER BY seq IS NULL DESC, seq DESC, id DESC LIMIT 1"
        )))
        .bind(conv)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(row_to_message).transpose()?)
    }
}

/// A `pin` entry: its target joins or leaves the conversation's pins.
async fn apply_pin(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, m: &WireMessage, target: u64) -> Result<(), SdkError> {
    if m.body.get("on").and_then(serde_json::Value::as_bool) == Some(true) {
        let by = m.body.get("by").and_then(|b| b.as_str()).unwrap_or(&m.sender);
        let at = m.body.get("at").and_then(serde_json::Value::as_i64).unwrap_or(m.ts);
        sqlx::query("INSERT OR REPLACE INTO pins (conv, seq, pinned_by, pinned_at) VALUES (?, ?, ?, ?)")
            .bind(&m.conv)
            .bind(to_i64(target))
            .bind(by)
            .bind(at)
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query("DELETE FROM pins WHERE conv = ? AND seq = ?")
            .bind(&m.conv)
            .bind(to_i64(target))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Takes an own message out of the outbox and commits `tx`; the message as stored now.
async fn leave_outbox(
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
    me: &str,
    client_msg_id: &str,
) -> Result<Option<Message>, SdkError> {
    sqlx::query("DELETE FROM outbox WHERE client_msg_id = ?").bind(client_msg_id).execute(&mut *tx).await?;
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM messages WHERE sender = ? AND client_msg_id = ?")))
            .bind(me)
            .bind(client_msg_id)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(row.as_ref().map(row_to_message).transpose()?)
}

impl Store {
    /// Replaces the stored pins of `conv` with the server's list `(seq, pinned_by, pinned_at)`.
    pub(crate) async fn replace_pins(&self, conv: &str, pins: &[(u64, String, i64)]) -> Result<(), SdkError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM pins WHERE conv = ?").bind(conv).execute(&mut *tx).await?;
        for (seq, by, at) in pins {
            sqlx::query("INSERT INTO pins (conv, seq, pinned_by, pinned_at) VALUES (?, ?, ?, ?)")
                .bind(conv)
                .bind(to_i64(*seq))
                .bind(by)
                .bind(*at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored pins of `conv` `(seq, pinned_by, pinned_at)`, the most recently pinned first.
    pub(crate) async fn pins(&self, conv: &str) -> Result<Vec<(u64, String, i64)>, SdkError> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT seq, pinned_by, pinned_at FROM pins WHERE conv = ? ORDER BY pinned_at DESC, seq DESC",
        )
        .bind(conv)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(seq, by, at)| (to_u64(seq), by, at)).collect())
    }
}
