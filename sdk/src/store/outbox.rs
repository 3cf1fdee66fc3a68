//! The outbox: own messages waiting for an ack, kept in the store so they survive a restart
//! and go out, in order and with their original client_msg_id, on the next connection.

use sqlx::Row as _;

use super::{Store, to_u64};
use crate::SdkError;
use crate::types::{Message, MessageStatus};

/// One message waiting to go out.
#[derive(Debug, Clone)]
pub(crate) struct OutboxItem {
    /// The message's client id (also the dedupe key on the server).
    pub client_msg_id: String,
    /// Conversation.
    pub conv: String,
    /// Kind.
    pub kind: String,
    /// Body (JSON text).
    pub body: String,
    /// Frames sent so far.
    pub attempts: u32,
}

impl Store {
    /// Writes a new own message (status `sending`) and queues it, in one transaction.
    pub(crate) async fn enqueue(&self, m: &Message) -> Result<(), SdkError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO messages (conv, seq, msg_id, sender, client_msg_id, kind, body, ts, status)
             VALUES (?, NULL, NULL, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&m.conv)
        .bind(&m.sender)
        .bind(&m.client_msg_id)
        .bind(&m.kind)
        .bind(&m.body)
        .bind(m.ts)
        .bind(MessageStatus::Sending.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO outbox (client_msg_id, conv, kind, body) VALUES (?, ?, ?, ?)")
            .bind(&m.client_msg_id)
            .bind(&m.conv)
            .bind(&m.kind)
            .bind(&m.body)
            .execute(&mut *tx)
            .await?;
        super::search::refresh(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts a failed own message back in the outbox with fresh attempts; false if there is no
    /// such failed message.
    pub(crate) async fn requeue(&self, me: &str, client_msg_id: &str) -> Result<bool, SdkError> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE messages SET status = 'sending' WHERE sender = ? AND client_msg_id = ? AND status = 'failed'",
        )
        .bind(me)
        .bind(client_msg_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT OR IGNORE INTO outbox (client_msg_id, conv, kind, body)
             SELECT client_msg_id, conv, kind, body FROM messages WHERE sender = ? AND client_msg_id = ?",
        )
        .bind(me)
        .bind(client_msg_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The oldest queued message.
    pub(crate) async fn outbox_next(&self) -> Result<Option<OutboxItem>, SdkError> {
        let row = sqlx::query("SELECT client_msg_id, conv, kind, body, attempts FROM outbox ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(OutboxItem {
            client_msg_id: row.try_get("client_msg_id")?,
            conv: row.try_get("conv")?,
            kind: row.try_get("kind")?,
            body: row.try_get("body")?,
            attempts: u32::try_from(to_u64(row.try_get("attempts")?)).unwrap_or(u32::MAX),
        }))
    }

    /// Counts one more attempt of a queued message.
    pub(crate) async fn outbox_attempted(&self, client_msg_id: &str) -> Result<(), SdkError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE client_msg_id = ?")
            .bind(client_msg_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many messages wait in the outbox.
    pub(crate) async fn outbox_len(&self) -> Result<u64, SdkError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(&self.pool).await?;
        Ok(to_u64(n))
    }
}
