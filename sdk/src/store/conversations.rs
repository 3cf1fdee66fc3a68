//! Conversation rows: what the server's list said (kind, title, read position), the sync
//! cursor, and unread counts computed with the server's rule from the stored messages.

use sqlx::AssertSqlSafe;
use sqlx::Row as _;
use tidings_protocol::rest::ConversationSummary;

use super::muted::Mute;
use super::{Store, to_i64, to_u64};
use crate::SdkError;
use crate::session::now_ms;
use crate::types::Conversation;

/// Kinds that never count as unread: recall notices, what they erased, and the entries of
/// actions on other messages (the server's rule, `NOT_UNREAD_KINDS`).
const NOT_UNREAD: &str = "('recall', 'recalled', 'pin', 'edit', 'reaction')";

/// Of the unread messages `m` (joined with their conversation `c`), those that mention the
/// user bound as the next parameter (the server's rule: `mention_all`, or the id in
/// `mentions`). Bodies that are not JSON mention nobody.
const MENTIONS_ME: &str = "CASE WHEN json_valid(m.body) THEN
        json_extract(m.body, '$.mention_all') = 1
        OR EXISTS (SELECT 1 FROM json_each(m.body, '$.mentions') WHERE value = ?)
    ELSE 0 END";

/// What the app passed or the server listed, about one conversation.
pub(crate) struct ConvFacts<'a> {
    /// The conversation.
    pub conv: &'a str,
    /// `direct` or `group`.
    pub kind: &'a str,
    /// The peer of a direct chat.
    pub peer: Option<&'a str>,
}

impl<'a> ConvFacts<'a> {
    /// Facts that follow from the id alone.
    pub(crate) fn from_id(conv: &'a str, me: &str) -> Self {
        if conv.starts_with("g:") {
            return Self { conv, kind: "group", peer: None };
        }
        let peer = conv.strip_prefix("d:").and_then(|rest| rest.split(':').find(|id| *id != me));
        Self { conv, kind: "direct", peer }
    }
}

/// What merging one row of the server's list did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Merged {
    /// The local read position (ahead of the server's after a read made offline).
    pub read_seq: u64,
    /// The row's mute changed (another device muted or unmuted it).
    pub mute_changed: bool,
}

impl Store {
    /// Creates the conversation row if it is missing (a first message, a send to a new peer).
    pub(crate) async fn ensure_conversation(&self, facts: &ConvFacts<'_>) -> Result<bool, SdkError> {
        let done = sqlx::query("INSERT OR IGNORE INTO conversations (conv, kind, peer, title) VALUES (?, ?, ?, ?)")
            .bind(facts.conv)
            .bind(facts.kind)
            .bind(facts.peer)
            .bind(facts.peer.unwrap_or(""))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Merges one row of the server's list. A conversation seen for the first time starts its
    /// cursor at the read position: the unread messages are synced, older history is paged in on
    /// demand. Returns the local read position, which may be ahead of the server's (a read made
    /// offline), so the caller can push it, and whether the row's mute changed.
    pub(crate) async fn merge_summary(&self, s: &ConversationSummary) -> Result<Merged, SdkError> {
        let title = s
            .peer_profile
            .as_ref()
            .map(|p| p.display_name.clone())
            .or_else(|| s.group.as_ref().map(|g| g.name.clone()))
            .or_else(|| s.peer.clone())
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO conversations (conv, kind, peer, title, cursor, read_seq, server_read_seq, max_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?6)
             ON CONFLICT(conv) DO UPDATE SET kind = ?2, peer = ?3, title = ?4,
                read_seq = MAX(read_seq, ?5), server_read_seq = ?5, max_seq = MAX(max_seq, ?6), threads = ?7",
        )
        .bind(&s.conv)
        .bind(&s.kind)
        .bind(&s.peer)
        .bind(title)
        .bind(to_i64(s.read_seq))
        .bind(to_i64(s.max_seq))
        .bind(to_i64(s.threads))
        .execute(&self.pool)
        .await?;
        let read: i64 = sqlx::query_scalar("SELECT read_seq FROM conversations WHERE conv = ?")
            .bind(&s.conv)
            .fetch_one(&self.pool)
            .await?;
        let mute_changed = self.set_mute(&s.conv, Mute::from_server(s.muted, s.muted_until)).await?;
        Ok(Merged { read_seq: to_u64(read), mute_changed })
    }

    /// Every known conversation id.
    pub(crate) async fn conversation_ids(&self) -> Result<Vec<String>, SdkError> {
        Ok(sqlx::query_scalar("SELECT conv FROM conversations ORDER BY conv").fetch_all(&self.pool).await?)
    }

    /// The sync cursor of a conversation (0 if unknown).
    pub(crate) async fn cursor(&self, conv: &str) -> Result<u64, SdkError> {
        let c: Option<i64> = sqlx::query_scalar("SELECT cursor FROM conversations WHERE conv = ?")
            .bind(conv)
            .fetch_optional(&self.pool)
            .await?;
        Ok(c.map_or(0, to_u64))
    }

    /// Moves the cursor to at least `at_least` (a sync page: whatever it skipped is a settled
    /// hole), then over every stored message that directly follows. Returns the new cursor.
    pub(crate) async fn advance_cursor(&self, conv: &str, at_least: u64) -> Result<u64, SdkError> {
        let mut tx = self.pool.begin().await?;
        let current: i64 = sqlx::query_scalar("SELECT cursor FROM conversations WHERE conv = ?")
            .bind(conv)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(0);
        let mut cursor = current.max(to_i64(at_least));
        loop {
            let next: Vec<i64> =
                sqlx::query_scalar("SELECT seq FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT 256")
                    .bind(conv)
                    .bind(cursor)
                    .fetch_all(&mut *tx)
                    .await?;
            let before = cursor;
            for seq in &next {
                if *seq != cursor + 1 {
                    break;
                }
                cursor = *seq;
            }
            if cursor == before || next.len() < 256 {
                break;
            }
        }
        if cursor != current {
            sqlx::query("UPDATE conversations SET cursor = ?, max_seq = MAX(max_seq, ?) WHERE conv = ?")
                .bind(cursor)
                .bind(cursor)
                .bind(conv)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(to_u64(cursor))
    }

    /// Notes a seq the server has (a push or an ack), so `max_seq` is right before the gap fills.
    pub(crate) async fn note_seq(&self, conv: &str, seq: u64) -> Result<(), SdkError> {
        sqlx::query("UPDATE conversations SET max_seq = MAX(max_seq, ?) WHERE conv = ?")
            .bind(to_i64(seq))
            .bind(conv)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Moves this user's read position forward (never back); true if it moved.
    pub(crate) async fn set_read(&self, conv: &str, seq: u64) -> Result<bool, SdkError> {
        let done = sqlx::query("UPDATE conversations SET read_seq = ? WHERE conv = ? AND read_seq < ?")
            .bind(to_i64(seq))
            .bind(conv)
            .bind(to_i64(seq))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records that the server has this user's read position at `seq`.
    pub(crate) async fn set_server_read(&self, conv: &str, seq: u64) -> Result<(), SdkError> {
        sqlx::query("UPDATE conversations SET server_read_seq = MAX(server_read_seq, ?) WHERE conv = ?")
            .bind(to_i64(seq))
            .bind(conv)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records how far the peer (or a group member) has read, for read marks.
    pub(crate) async fn set_peer_read(&self, conv: &str, seq: u64) -> Result<(), SdkError> {
        sqlx::query("UPDATE conversations SET peer_read_seq = MAX(peer_read_seq, ?) WHERE conv = ?")
            .bind(to_i64(seq))
            .bind(conv)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One conversation row with its unread count and newest message.
    pub(crate) async fn conversation(&self, conv: &str, me: &str) -> Result<Option<Conversation>, SdkError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT c.conv, c.kind, c.peer, c.title, c.read_seq, c.threads, c.muted, c.muted_until,
                    MAX(c.max_seq, COALESCE((SELECT MAX(seq) FROM messages m WHERE m.conv = c.conv), 0)) AS max_seq,
                    (SELECT COUNT(*) FROM messages m WHERE m.conv = c.conv AND m.seq > c.read_seq
                        AND m.sender != ? AND m.kind NOT IN {NOT_UNREAD}) AS unread,
                    (SELECT COUNT(*) FROM messages m WHERE m.conv = c.conv AND m.seq > c.read_seq
                        AND m.sender != ? AND m.kind NOT IN {NOT_UNREAD} AND {MENTIONS_ME}) AS mention_count
             FROM conversations c WHERE c.conv = ?"
        )))
        .bind(me)
        .bind(me)
        .bind(me)
        .bind(conv)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mute = Mute { forever: row.try_get("muted")?, until: row.try_get("muted_until")? };
        Ok(Some(Conversation {
            conv: row.try_get("conv")?,
            kind: row.try_get("kind")?,
            peer: row.try_get("peer")?,
            title: row.try_get("title")?,
            max_seq: to_u64(row.try_get("max_seq")?),
            read_seq: to_u64(row.try_get("read_seq")?),
            unread: to_u64(row.try_get("unread")?),
            mention_count: to_u64(row.try_get("mention_count")?),
            threads: to_u64(row.try_get("threads")?),
            muted: mute.holds(now_ms()),
            muted_until: mute.until,
            last_message: match self.last_message(conv).await? {
                Some(m) => self.annotate(me, vec![m]).await?.pop(),
                None => None,
            },
        }))
    }

    /// Every conversation, the most recently active first.
    pub(crate) async fn conversations(&self, me: &str) -> Result<Vec<Conversation>, SdkError> {
        let mut out = Vec::new();
        for conv in self.conversation_ids().await? {
            if let Some(c) = self.conversation(&conv, me).await? {
                out.push(c);
            }
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.last_message.as_ref().map_or(0, |m| m.ts)));
        Ok(out)
    }

    /// Sum of the unread counts.
    pub(crate) async fn total_unread(&self, me: &str) -> Result<u64, SdkError> {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.conv = m.conv
             WHERE m.seq > c.read_seq AND m.sender != ? AND m.kind NOT IN {NOT_UNREAD}"
        )))
        .bind(me)
        .fetch_one(&self.pool)
        .await?;
        Ok(to_u64(n))
    }
}
