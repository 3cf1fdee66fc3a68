//! Threads in the store: a root's summary is the server's last word on it (`thread_baselines`,
//! kept from any page that carried the root) plus the replies stored after it, found by the
//! `thread_root` their bodies name. A recalled reply's body is erased, so it leaves the thread as
//! on the server; if the server's summary already counted it, the recall takes it off.

use std::collections::HashMap;

use sqlx::Row as _;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use tidings_protocol::WireMessage;

use super::{Store, to_i64, to_u64};
use crate::SdkError;
use crate::types::{Message, ThreadSummary};

/// Most participants a summary names, as on the server.
const MAX_PARTICIPANTS: usize = 10;

/// Roots per query.
const CHUNK: usize = 200;

/// Keeps the summary the server gave with `m`, if it gave one (newer pages replace older ones).
pub(super) async fn note_baseline(tx: &mut Transaction<'_, Sqlite>, m: &WireMessage) -> Result<(), SdkError> {
    let Some(t) = &m.thread else { return Ok(()) };
    sqlx::query(
        "INSERT INTO thread_baselines (conv, root, replies, last_seq, last_ts, participants) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (conv, root) DO UPDATE SET replies = excluded.replies, last_seq = excluded.last_seq,
            last_ts = excluded.last_ts, participants = excluded.participants",
    )
    .bind(&m.conv)
    .bind(to_i64(m.seq))
    .bind(to_i64(t.replies))
    .bind(to_i64(t.last_seq))
    .bind(t.last_ts)
    .bind(serde_json::to_string(&t.participants)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Before message `target` of `conv` is erased by a recall: if it is a reply that the server's
/// summary of its root counted, the summary loses it.
pub(super) async fn before_recall(tx: &mut Transaction<'_, Sqlite>, conv: &str, target: u64) -> Result<(), SdkError> {
    sqlx::query(
        "UPDATE thread_baselines SET replies = MAX(replies - 1, 0)
         WHERE conv = ?1 AND last_seq >= ?2 AND root = (SELECT json_extract(body, '$.thread_root') FROM messages
            WHERE conv = ?1 AND seq = ?2 AND kind != 'recalled' AND json_valid(body))",
    )
    .bind(conv)
    .bind(to_i64(target))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Kinds a client sends: the only ones whose `thread_root` makes a thread reply (the server's
/// rule, `tidings_domain::thread::thread_root`).
const USER_KINDS: [&str; 6] = ["text", "image", "file", "voice", "video", "custom"];

/// The root a message of `kind` with `body` replies in, if it is a thread reply.
pub(crate) fn thread_root_of(kind: &str, body: &serde_json::Value) -> Option<u64> {
    if !USER_KINDS.contains(&kind) {
        return None;
    }
    body.get("thread_root")?.as_u64()
}

/// Whether `m` could be a thread's root: a message people wrote (or one recalled since), not a
/// reply in a thread.
fn may_be_root(m: &Message) -> bool {
    let written = USER_KINDS.contains(&m.kind.as_str()) || m.kind == "forward" || m.kind == "recalled";
    // Most bodies name no root: a substring test spares them the parse.
    let reply = m.body.contains("\"thread_root\"")
        && serde_json::from_str::<serde_json::Value>(&m.body).ok().and_then(|b| thread_root_of(&m.kind, &b)).is_some();
    m.seq.is_some() && written && !reply
}

impl Store {
    /// `messages` with the summaries of the threads they are roots of: two queries per
    /// conversation of the page (the baselines, then the replies stored after them).
    pub(crate) async fn with_threads(&self, mut messages: Vec<Message>) -> Result<Vec<Message>, SdkError> {
        let mut by_conv: HashMap<String, Vec<u64>> = HashMap::new();
        for m in messages.iter().filter(|m| may_be_root(m)) {
            by_conv.entry(m.conv.clone()).or_default().extend(m.seq);
        }
        let mut found: HashMap<(String, u64), ThreadSummary> = HashMap::new();
        for (conv, roots) in by_conv {
            for chunk in roots.chunks(CHUNK) {
                for (root, t) in self.summaries(&conv, chunk).await? {
                    found.insert((conv.clone(), root), t);
                }
            }
        }
        for m in &mut messages {
            if let Some(seq) = m.seq {
                m.thread = found.remove(&(m.conv.clone(), seq));
            }
        }
        Ok(messages)
    }

    /// The summaries of `roots` of `conv` that have replies: each root's baseline from the
    /// server and the replies stored after it.
    async fn summaries(&self, conv: &str, roots: &[u64]) -> Result<HashMap<u64, ThreadSummary>, SdkError> {
        let list = vec!["?"; roots.len()].join(", ");
        let sql = format!(
            "SELECT root, replies, last_seq, last_ts, participants FROM thread_baselines WHERE conv = ? AND root IN ({list})"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(conv);
        for root in roots {
            query = query.bind(to_i64(*root));
        }
        let mut out: HashMap<u64, ThreadSummary> = HashMap::new();
        for row in query.fetch_all(&self.pool).await? {
            let summary = ThreadSummary {
                replies: to_u64(row.try_get("replies")?),
                last_seq: to_u64(row.try_get("last_seq")?),
                last_ts: row.try_get("last_ts")?,
                participants: serde_json::from_str(row.try_get("participants")?).unwrap_or_default(),
            };
            out.insert(to_u64(row.try_get("root")?), summary);
        }
        let sql = format!(
            "SELECT json_extract(m.body, '$.thread_root') AS root, m.sender, m.seq, m.ts FROM messages m
             LEFT JOIN thread_baselines b ON b.conv = m.conv AND b.root = json_extract(m.body, '$.thread_root')
             WHERE m.conv = ? AND json_extract(m.body, '$.thread_root') IN ({list}) AND m.seq > COALESCE(b.last_seq, 0)
             ORDER BY m.seq"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(conv);
        for root in roots {
            query = query.bind(to_i64(*root));
        }
        for row in query.fetch_all(&self.pool).await? {
            let sender: String = row.try_get("sender")?;
            let t = out.entry(to_u64(row.try_get("root")?)).or_insert_with(|| ThreadSummary {
                replies: 0,
                last_ts: 0,
                last_seq: 0,
                participants: Vec::new(),
            });
            t.replies += 1;
            t.last_seq = to_u64(row.try_get("seq")?);
            t.last_ts = row.try_get("ts")?;
            if !t.participants.contains(&sender) && t.participants.len() < MAX_PARTICIPANTS {
                t.participants.push(sender);
            }
        }
        out.retain(|_, t| t.replies > 0);
        Ok(out)
    }

    /// `messages` with their reactions and thread summaries: what every read path shows.
    pub(crate) async fn annotate(&self, me: &str, messages: Vec<Message>) -> Result<Vec<Message>, SdkError> {
        let messages = self.with_reactions(me, messages).await?;
        self.with_threads(messages).await
    }

    /// Up to `limit` stored replies of thread `root` below `before_seq`, ascending (offline pages).
    pub(crate) async fn thread_replies(
        &self,
        conv: &str,
        root: u64,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Message>, SdkError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM messages WHERE conv = ? AND json_extract(body, '$.thread_root') = ? AND seq < ?
             ORDER BY seq DESC LIMIT ?",
            super::messages::COLUMNS
        )))
        .bind(conv)
        .bind(to_i64(root))
        .bind(to_i64(before_seq.unwrap_or(u64::MAX)))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows.iter().map(super::messages::row_to_message).collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// Sets the server's count of unread threads of `conv` (from a thread read's answer).
    pub(crate) async fn set_threads(&self, conv: &str, threads: u64) -> Result<(), SdkError> {
        sqlx::query("UPDATE conversations SET threads = ? WHERE conv = ?")
            .bind(to_i64(threads))
            .bind(conv)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
