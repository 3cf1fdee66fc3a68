//! Threads in storage: the reply index (`thread_replies`) and the followers' read positions
//! (`thread_follows`), written in the commit of each thread reply by both batch writers
//! ([`apply`] through the driver, [`apply_sqlite`] on the SQLite thread), trimmed by a recall
//! ([`erase_reply`]), and read through [`SqlThreadStore`].
//!
//! A reply makes its author a follower with the reply as their read position (writing in a thread
//! reads it), and makes the root's author a follower from position 0.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
use tidings_domain::ports::ThreadStore;
use tidings_domain::thread::{MAX_SUMMARY_PARTICIPANTS, ThreadReply, ThreadSummary, UnreadThread};
use tidings_domain::{ConvId, StoreError, UserId};

use super::{from_db, int, store_err, to_db};

/// Conversations per unread query.
const CONV_CHUNK: usize = 200;

const INSERT_REPLY: &str = "INSERT INTO thread_replies (conv_id, root_seq, seq, sender_id, ts) VALUES (?, ?, ?, ?, ?)";

const SQLITE_FOLLOW_REPLIER: &str = "INSERT INTO thread_follows (user_id, conv_id, root_seq, read_seq) \
     VALUES (?, ?, ?, ?) ON CONFLICT (user_id, conv_id, root_seq) DO UPDATE SET \
     read_seq = MAX(thread_follows.read_seq, excluded.read_seq)";

const MYSQL_FOLLOW_REPLIER: &str = "INSERT INTO thread_follows (user_id, conv_id, root_seq, read_seq) \
     VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE read_seq = GREATEST(read_seq, VALUES(read_seq))";

const SQLITE_FOLLOW_ROOT: &str = "INSERT INTO thread_follows (user_id, conv_id, root_seq, read_seq) \
     SELECT sender_id, conv_id, seq, 0 FROM messages WHERE conv_id = ? AND seq = ? \
     ON CONFLICT (user_id, conv_id, root_seq) DO NOTHING";

const MYSQL_FOLLOW_ROOT: &str = "INSERT INTO thread_follows (user_id, conv_id, root_seq, read_seq) \
     SELECT sender_id, conv_id, seq, 0 FROM messages WHERE conv_id = ? AND seq = ? \
     ON DUPLICATE KEY UPDATE read_seq = thread_follows.read_seq";

/// Indexes the thread replies of a batch inside its transaction (driver path). Batches without
/// thread replies cost nothing.
///
/// Follower rows are written once per key (the highest reply of each replier) and in key
/// order: two instances committing replies to the same threads then lock those rows in one
/// order, where in batch order they could take them crosswise and deadlock (the batch writer
/// retries a deadlock's victim, but that costs a round of latency).
pub(crate) async fn apply<C: ConnectionTrait>(
    txn: &C,
    backend: DbBackend,
    replies: &[ThreadReply],
) -> Result<(), StoreError> {
    if replies.is_empty() {
        return Ok(());
    }
    let mysql = backend == DbBackend::MySql;
    let (follow_replier, follow_root) =
        if mysql { (MYSQL_FOLLOW_REPLIER, MYSQL_FOLLOW_ROOT) } else { (SQLITE_FOLLOW_REPLIER, SQLITE_FOLLOW_ROOT) };
    let run = |sql: &'static str, values: Vec<sea_orm::Value>| {
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
    };
    let mut repliers: BTreeMap<(String, String, i64), i64> = BTreeMap::new();
    let mut roots: BTreeSet<(String, i64)> = BTreeSet::new();
    for r in replies {
        let (conv, root, seq) = (r.conv.to_string(), to_db(r.root), to_db(r.seq));
        run(INSERT_REPLY, vec![conv.clone().into(), root.into(), seq.into(), r.sender.to_string().into(), r.ts.into()])
            .await
            .map_err(store_err)?;
        let position = repliers.entry((r.sender.to_string(), conv.clone(), root)).or_default();
        *position = (*position).max(seq);
        roots.insert((conv, root));
    }
    for ((user, conv, root), seq) in repliers {
        run(follow_replier, vec![user.into(), conv.into(), root.into(), seq.into()]).await.map_err(store_err)?;
    }
    for (conv, root) in roots {
        run(follow_root, vec![conv.into(), root.into()]).await.map_err(store_err)?;
    }
    Ok(())
}

/// [`apply`] on the SQLite writer thread's transaction.
pub(crate) fn apply_sqlite(txn: &rusqlite::Transaction<'_>, replies: &[ThreadReply]) -> rusqlite::Result<()> {
    if replies.is_empty() {
        return Ok(());
    }
    let mut insert = txn.prepare_cached(INSERT_REPLY)?;
    let mut follow_replier = txn.prepare_cached(SQLITE_FOLLOW_REPLIER)?;
    let mut follow_root = txn.prepare_cached(SQLITE_FOLLOW_ROOT)?;
    for r in replies {
        let (conv, root, seq) = (r.conv.to_string(), to_db(r.root), to_db(r.seq));
        insert.execute(rusqlite::params![conv, root, seq, r.sender.as_str(), r.ts])?;
        follow_replier.execute(rusqlite::params![r.sender.as_str(), conv, root, seq])?;
        follow_root.execute(rusqlite::params![conv, root])?;
    }
    Ok(())
}

/// Takes recalled message `seq` out of its thread, if it was a reply (a recall), in the caller's
/// transaction.
pub(crate) async fn erase_reply<C: ConnectionTrait>(txn: &C, conv: &str, seq: i64) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    let sql = "DELETE FROM thread_replies WHERE conv_id = ? AND seq = ?";
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, [conv.into(), seq.into()]))
        .await
        .map_err(store_err)?;
    Ok(())
}

/// [`ThreadStore`] on sea-orm.
#[derive(Clone)]
pub struct SqlThreadStore {
    db: DatabaseConnection,
}

impl SqlThreadStore {
    /// Reads and writes through `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn query(&self, sql: &str, values: Vec<sea_orm::Value>) -> Result<Vec<QueryResult>, StoreError> {
        let backend = self.db.get_database_backend();
        self.db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(store_err)
    }
}

fn text(row: &QueryResult, col: &str) -> Result<String, StoreError> {
    row.try_get("", col).map_err(store_err)
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// One author's share of one thread, as the summary query returns it.
struct Share {
    sender: String,
    replies: u64,
    first: u64,
    last_seq: u64,
    last_ts: i64,
}

/// The summary of one root from its authors' shares.
fn summary(mut shares: Vec<Share>) -> ThreadSummary {
    shares.sort_unstable_by_key(|s| s.first);
    let newest = shares.iter().max_by_key(|s| s.last_seq);
    ThreadSummary {
        replies: shares.iter().map(|s| s.replies).sum(),
        last_ts: newest.map_or(0, |s| s.last_ts),
        last_seq: newest.map_or(0, |s| s.last_seq),
        participants: shares.iter().filter_map(|s| UserId::parse(&s.sender)).take(MAX_SUMMARY_PARTICIPANTS).collect(),
    }
}

#[async_trait]
impl ThreadStore for SqlThreadStore {
    async fn summaries(&self, conv: &ConvId, roots: &[u64]) -> Result<HashMap<u64, ThreadSummary>, StoreError> {
        if roots.is_empty() {
            return Ok(HashMap::new());
        }
        let mut shares: BTreeMap<u64, Vec<Share>> = BTreeMap::new();
        for chunk in roots.chunks(CONV_CHUNK) {
            let sql = format!(
                "SELECT root_seq, sender_id, COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last_seq, \
                 MAX(ts) AS last_ts FROM thread_replies WHERE conv_id = ? AND root_seq IN ({}) \
                 GROUP BY root_seq, sender_id",
                placeholders(chunk.len())
            );
            let mut values: Vec<sea_orm::Value> = vec![conv.to_string().into()];
            values.extend(chunk.iter().map(|r| to_db(*r).into()));
            for row in self.query(&sql, values).await? {
                shares.entry(from_db(int(&row, "root_seq")?)).or_default().push(Share {
                    sender: text(&row, "sender_id")?,
                    replies: from_db(int(&row, "n")?),
                    first: from_db(int(&row, "first")?),
                    last_seq: from_db(int(&row, "last_seq")?),
                    last_ts: int(&row, "last_ts")?,
                });
            }
        }
        Ok(shares.into_iter().map(|(root, s)| (root, summary(s))).collect())
    }

    async fn reply_seqs(&self, conv: &ConvId, root: u64, before: u64, limit: u64) -> Result<Vec<u64>, StoreError> {
        let sql = "SELECT seq FROM thread_replies WHERE conv_id = ? AND root_seq = ? AND seq < ? \
                   ORDER BY seq DESC LIMIT ?";
        let values = vec![conv.to_string().into(), to_db(root).into(), to_db(before).into(), to_db(limit).into()];
        self.query(sql, values).await?.iter().map(|row| int(row, "seq").map(from_db)).collect()
    }

    async fn mark_read(&self, conv: &ConvId, root: u64, user: &UserId, seq: u64) -> Result<Option<u64>, StoreError> {
        let backend = self.db.get_database_backend();
        let key =
            || -> Vec<sea_orm::Value> { vec![user.to_string().into(), conv.to_string().into(), to_db(root).into()] };
        let mut raise = vec![to_db(seq).into()];
        raise.extend(key());
        raise.push(to_db(seq).into());
        let sql = "UPDATE thread_follows SET read_seq = ? WHERE user_id = ? AND conv_id = ? AND root_seq = ? \
                   AND read_seq < ?";
        self.db.execute_raw(Statement::from_sql_and_values(backend, sql, raise)).await.map_err(store_err)?;
        let sql = "SELECT read_seq FROM thread_follows WHERE user_id = ? AND conv_id = ? AND root_seq = ?";
        let rows = self.query(sql, key()).await?;
        rows.first().map(|row| int(row, "read_seq").map(from_db)).transpose()
    }

    async fn unread(&self, user: &UserId, convs: &[ConvId]) -> Result<Vec<UnreadThread>, StoreError> {
        let mut out = Vec::new();
        for chunk in convs.chunks(CONV_CHUNK) {
            let sql = format!(
                "SELECT f.conv_id AS conv_id, f.root_seq AS root_seq, MIN(r.seq) AS first, MAX(r.seq) AS last \
                 FROM thread_follows f JOIN thread_replies r ON r.conv_id = f.conv_id \
                 AND r.root_seq = f.root_seq AND r.seq > f.read_seq AND r.sender_id <> f.user_id \
                 WHERE f.user_id = ? AND f.conv_id IN ({}) GROUP BY f.conv_id, f.root_seq",
                placeholders(chunk.len())
            );
            let mut values: Vec<sea_orm::Value> = vec![user.to_string().into()];
            values.extend(chunk.iter().map(|c| c.to_string().into()));
            for row in self.query(&sql, values).await? {
                let conv_id = text(&row, "conv_id")?;
                let conv = ConvId::parse(&conv_id)
                    .ok_or_else(|| StoreError::Other(format!("bad conv id in storage: {conv_id}")))?;
                out.push(UnreadThread {
                    conv,
                    root: from_db(int(&row, "root_seq")?),
                    first_unread: from_db(int(&row, "first")?),
                    last_unread: from_db(int(&row, "last")?),
                });
            }
        }
        Ok(out)
    }
}
