//! Reactions in storage (`message_reactions`): applied in the transaction of each `reaction`
//! entry by both batch writers (the driver's, [`apply`]; the SQLite thread's, [`apply_rows`]),
//! summed per emoji for the read paths ([`SqlReactionStore`]), erased with a recall
//! (`erase.rs`).
//!
//! A row changes only for an entry newer than the one that set it (`entry_seq`), so the table
//! ends as the log's entries say in seq order even when two instances commit entries of one
//! conversation out of seq order.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use rusqlite::types::ValueRef;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
use tidings_domain::ports::ReactionStore;
use tidings_domain::reaction::{ReactionChange, ReactionCount, ReactionStanding, ReactionState};
use tidings_domain::{ConvId, StoreError, UserId};

use super::sqlite_reads::SqliteReads;
use super::{from_db, int, store_err, to_db};

/// Targets per aggregate query (each costs two parameters at most).
const TARGET_CHUNK: usize = 200;

/// The upsert of one change on SQLite (the driver's in-memory database and the writer thread).
pub(crate) const SQLITE_UPSERT: &str = "INSERT INTO message_reactions \
     (conv_id, seq, emoji, user_id, is_on, entry_seq, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
     ON CONFLICT (conv_id, seq, emoji, user_id) DO UPDATE SET \
     is_on = excluded.is_on, entry_seq = excluded.entry_seq, ts = excluded.ts \
     WHERE excluded.entry_seq > message_reactions.entry_seq";

/// The same on MySQL-family databases: assignments run left to right, so `entry_seq` moves last.
const MYSQL_UPSERT: &str = "INSERT INTO message_reactions \
     (conv_id, seq, emoji, user_id, is_on, entry_seq, ts) VALUES (?, ?, ?, ?, ?, ?, ?) \
     ON DUPLICATE KEY UPDATE \
     is_on = IF(VALUES(entry_seq) > entry_seq, VALUES(is_on), is_on), \
     ts = IF(VALUES(entry_seq) > entry_seq, VALUES(ts), ts), \
     entry_seq = GREATEST(entry_seq, VALUES(entry_seq))";

/// Applies the changes of a batch's `reaction` entries, in batch (seq) order, inside the batch's
/// transaction (`effects.rs`). Batches without reactions cost nothing.
pub(crate) async fn apply<C: ConnectionTrait>(
    txn: &C,
    backend: DbBackend,
    changes: &[ReactionChange],
) -> Result<(), StoreError> {
    let sql = if backend == DbBackend::MySql { MYSQL_UPSERT } else { SQLITE_UPSERT };
    for change in changes.iter().cloned() {
        let values: Vec<sea_orm::Value> = vec![
            change.conv.to_string().into(),
            to_db(change.target).into(),
            change.emoji.into_bytes().into(),
            change.user.to_string().into(),
            change.on.into(),
            to_db(change.entry_seq).into(),
            change.ts.into(),
        ];
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(store_err)?;
    }
    Ok(())
}

/// [`apply`] on the SQLite writer thread's transaction.
pub(crate) fn apply_rows(txn: &rusqlite::Transaction<'_>, changes: &[ReactionChange]) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut upsert = txn.prepare_cached(SQLITE_UPSERT)?;
    for c in changes {
        upsert.execute(rusqlite::params![
            c.conv.to_string(),
            to_db(c.target),
            c.emoji.as_bytes(),
            c.user.as_str(),
            c.on,
            to_db(c.entry_seq),
            c.ts
        ])?;
    }
    Ok(())
}

/// Erases every reaction to message `seq` (a recall), in the caller's transaction.
pub(crate) async fn erase<C: ConnectionTrait>(txn: &C, conv: &str, seq: i64) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    let sql = "DELETE FROM message_reactions WHERE conv_id = ? AND seq = ?";
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, [conv.into(), seq.into()]))
        .await
        .map_err(store_err)?;
    Ok(())
}

/// [`ReactionStore`] on sea-orm.
#[derive(Clone)]
pub struct SqlReactionStore {
    db: DatabaseConnection,
    /// The calling thread's own reads of a SQLite file, for a reaction's standing.
    reads: Option<SqliteReads>,
}

impl SqlReactionStore {
    /// Reads through `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, reads: None }
    }

    /// Reads a reaction's standing on the calling thread when `reads` is given (a SQLite file).
    pub fn with_direct_reads(mut self, reads: Option<SqliteReads>) -> Self {
        self.reads = reads;
        self
    }

    async fn query(&self, sql: String, values: Vec<sea_orm::Value>) -> Result<Vec<QueryResult>, StoreError> {
        let backend = self.db.get_database_backend();
        self.db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(store_err)
    }
}

/// One row per emoji of a message: whether anyone has it on, and the caller's row of it.
const STANDING: &str = "SELECT emoji, MAX(CASE WHEN is_on <> 0 THEN 1 ELSE 0 END) AS any_on, \
     MAX(CASE WHEN user_id = ? THEN (CASE WHEN is_on <> 0 THEN 1 ELSE 0 END) END) AS mine_on, \
     MAX(CASE WHEN user_id = ? THEN entry_seq END) AS mine_entry \
     FROM message_reactions WHERE conv_id = ? AND seq = ? GROUP BY emoji";

/// A row of [`STANDING`]; `mine` is the caller's (entry seq, on).
struct EmojiRow {
    emoji: String,
    any_on: bool,
    mine: Option<(i64, i64)>,
}

fn emoji(row: &QueryResult) -> Result<String, StoreError> {
    let bytes: Vec<u8> = row.try_get("", "emoji").map_err(store_err)?;
    String::from_utf8(bytes).map_err(|_| StoreError::Other("an emoji in storage is not UTF-8".into()))
}

#[async_trait]
impl ReactionStore for SqlReactionStore {
    async fn standing(
        &self,
        conv: &ConvId,
        seq: u64,
        wanted: &str,
        user: &UserId,
    ) -> Result<ReactionStanding, StoreError> {
        let me = user.to_string();
        let rows = match &self.reads {
            Some(reads) => {
                let values = [me.clone().into(), me.into(), conv.to_string().into(), to_db(seq).into()];
                reads.query_all(STANDING, &values, |row| {
                    let emoji = match row.get_ref("emoji")? {
                        ValueRef::Text(b) | ValueRef::Blob(b) => String::from_utf8_lossy(b).into_owned(),
                        _ => String::new(),
                    };
                    Ok(EmojiRow {
                        emoji,
                        any_on: row.get::<_, i64>("any_on")? != 0,
                        mine: row.get::<_, Option<i64>>("mine_entry")?.zip(row.get::<_, Option<i64>>("mine_on")?),
                    })
                })?
            }
            None => {
                let values = vec![me.clone().into(), me.into(), conv.to_string().into(), to_db(seq).into()];
                let mut rows = Vec::new();
                for row in self.query(STANDING.into(), values).await? {
                    let entry = row.try_get::<Option<i64>>("", "mine_entry").ok().flatten();
                    let mine = match entry {
                        Some(entry) => Some((entry, int(&row, "mine_on")?)),
                        None => None,
                    };
                    rows.push(EmojiRow { emoji: emoji(&row)?, any_on: int(&row, "any_on")? != 0, mine });
                }
                rows
            }
        };
        let mut standing = ReactionStanding::default();
        for row in rows {
            if row.emoji == wanted
                && let Some((entry, on)) = row.mine
            {
                standing.mine = Some(ReactionState { on: on != 0, entry_seq: from_db(entry) });
            }
            if row.any_on {
                standing.emoji_on.push(row.emoji);
            }
        }
        Ok(standing)
    }

    async fn counts(
        &self,
        reader: &UserId,
        targets: &[(ConvId, u64)],
    ) -> Result<HashMap<(ConvId, u64), Vec<ReactionCount>>, StoreError> {
        let mut out: HashMap<(ConvId, u64), Vec<(ReactionCount, i64)>> = HashMap::new();
        for chunk in targets.chunks(TARGET_CHUNK) {
            // One condition per conversation: `conv_id = ? AND seq IN (...)`.
            let mut by_conv: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for (conv, seq) in chunk {
                by_conv.entry(conv.to_string()).or_default().push(to_db(*seq));
            }
            let mut values: Vec<sea_orm::Value> = vec![reader.to_string().into()];
            let mut any = Vec::with_capacity(by_conv.len());
            for (conv, seqs) in by_conv {
                any.push(format!("(conv_id = ? AND seq IN ({}))", vec!["?"; seqs.len()].join(", ")));
                values.push(conv.into());
                values.extend(seqs.into_iter().map(Into::into));
            }
            let sql = format!(
                "SELECT conv_id, seq, emoji, COUNT(*) AS n, \
                 MAX(CASE WHEN user_id = ? THEN 1 ELSE 0 END) AS mine, MIN(entry_seq) AS first \
                 FROM message_reactions WHERE is_on <> 0 AND ({}) GROUP BY conv_id, seq, emoji",
                any.join(" OR ")
            );
            for row in self.query(sql, values).await? {
                let conv_id: String = row.try_get("", "conv_id").map_err(store_err)?;
                let conv = ConvId::parse(&conv_id)
                    .ok_or_else(|| StoreError::Other(format!("bad conv id in storage: {conv_id}")))?;
                let count =
                    ReactionCount { emoji: emoji(&row)?, count: from_db(int(&row, "n")?), me: int(&row, "mine")? != 0 };
                out.entry((conv, from_db(int(&row, "seq")?))).or_default().push((count, int(&row, "first")?));
            }
        }
        Ok(out
            .into_iter()
            .map(|(key, mut counts)| {
                // Most used first; ties by which emoji came first, then by the emoji itself.
                counts.sort_by(|(a, af), (b, bf)| b.count.cmp(&a.count).then(af.cmp(bf)).then(a.emoji.cmp(&b.emoji)));
                (key, counts.into_iter().map(|(c, _)| c).collect())
            })
            .collect())
    }
}
