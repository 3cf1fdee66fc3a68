//! Reactions in the store: each user's emoji per message, applied from the `reaction` entries
//! the store keeps (in the transaction that stores the entry), summed per emoji when messages
//! are read. A row remembers the entry that set it and only a newer entry moves it, so entries
//! arriving out of order (a push overtaking a sync page) end as the log says.

use std::collections::HashMap;

use sqlx::Row as _;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use tidings_protocol::WireMessage;

use super::{Store, to_i64, to_u64};
use crate::SdkError;
use crate::types::{Message, Reaction};

/// Messages per aggregate query.
const CHUNK: usize = 200;

/// Applies `m` if it is a `reaction` entry; returns the change for the app's event.
pub(super) async fn apply(tx: &mut Transaction<'_, Sqlite>, m: &WireMessage) -> Result<(), SdkError> {
    let Some(change) = ReactionChange::of(m) else { return Ok(()) };
    sqlx::query(
        "INSERT INTO reactions (conv, seq, emoji, user, is_on, entry_seq) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (conv, seq, emoji, user) DO UPDATE SET is_on = excluded.is_on, entry_seq = excluded.entry_seq
         WHERE excluded.entry_seq > reactions.entry_seq",
    )
    .bind(&m.conv)
    .bind(to_i64(change.seq))
    .bind(&change.emoji)
    .bind(&change.by)
    .bind(change.on)
    .bind(to_i64(m.seq))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a `reaction` entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReactionChange {
    /// The message reacted to.
    pub(crate) seq: u64,
    /// The emoji.
    pub(crate) emoji: String,
    /// Who reacted.
    pub(crate) by: String,
    /// Turned on or off.
    pub(crate) on: bool,
}

impl ReactionChange {
    /// The change of a `reaction` entry; `None` for any other message.
    pub(crate) fn of(m: &WireMessage) -> Option<Self> {
        if m.kind != "reaction" {
            return None;
        }
        let b = &m.body;
        Some(Self {
            seq: b.get("seq")?.as_u64()?,
            emoji: b.get("emoji")?.as_str()?.to_owned(),
            by: b.get("by").and_then(|v| v.as_str()).unwrap_or(&m.sender).to_owned(),
            on: b.get("on")?.as_bool()?,
        })
    }
}

impl Store {
    /// `messages` with their reactions as `me` sees them, one query per page of a conversation.
    pub(crate) async fn with_reactions(&self, me: &str, mut messages: Vec<Message>) -> Result<Vec<Message>, SdkError> {
        let mut by_conv: HashMap<String, Vec<i64>> = HashMap::new();
        for m in &messages {
            if let Some(seq) = m.seq {
                by_conv.entry(m.conv.clone()).or_default().push(to_i64(seq));
            }
        }
        let mut found: HashMap<(String, u64), Vec<Reaction>> = HashMap::new();
        for (conv, seqs) in by_conv {
            for chunk in seqs.chunks(CHUNK) {
                let list = vec!["?"; chunk.len()].join(", ");
                let sql = format!(
                    "SELECT seq, emoji, COUNT(*) AS n, MAX(user = ?) AS mine, MIN(entry_seq) AS first FROM reactions
                     WHERE conv = ? AND is_on AND seq IN ({list}) GROUP BY seq, emoji ORDER BY seq, n DESC, first, emoji"
                );
                let mut query = sqlx::query(AssertSqlSafe(sql)).bind(me).bind(&conv);
                for seq in chunk {
                    query = query.bind(*seq);
                }
                for row in query.fetch_all(&self.pool).await? {
                    let seq = to_u64(row.try_get("seq")?);
                    found.entry((conv.clone(), seq)).or_default().push(Reaction {
                        emoji: row.try_get("emoji")?,
                        count: to_u64(row.try_get("n")?),
                        me: row.try_get::<i64, _>("mine")? != 0,
                    });
                }
            }
        }
        for m in &mut messages {
            if let Some(seq) = m.seq
                && let Some(r) = found.remove(&(m.conv.clone(), seq))
            {
                // A recalled message shows none, as on the server.
                if m.kind != "recalled" {
                    m.reactions = r;
                }
            }
        }
        Ok(messages)
    }
}
