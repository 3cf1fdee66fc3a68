//! Edits in storage: an `edit` entry is applied to its target's row in the entry's own commit
//! (both batch writers call in here), and the versions route reads what it kept.
//!
//! Why in the commit: two edits of one message may come from two devices, on two instances of a
//! cluster, each with its own commit pipeline. Their seqs come from one counter but their commits
//! may land in either order; an update made before (or after) the commit, outside it, could leave
//! the row with the older edit. Here each edit records its new body as a version keyed by its own
//! seq, and replaces the row's body only if no version with a higher seq exists: whatever the
//! commit order, the row ends as the edit with the highest seq, and the row and its versions
//! change atomically with the entry.
//!
//! The target's row is read first, locked on MySQL-family databases (`FOR UPDATE`; SQLite
//! writes one transaction at a time), so that an edit and a recall of one message serialize:
//! an edit that commits after the recall finds the row recalled, applies nothing and keeps only
//! `{"seq": N}` of its own body; a recall after the edit erases what the edit wrote
//! (`erase.rs`).

use rusqlite::params;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use tidings_domain::edit::{EditEntry, Version, erased_edit_body};
use tidings_domain::message::{EDIT_KIND, Message, MessageKind};
use tidings_domain::{ConvId, StoreError};

use super::entity::message_edits;
use super::{from_db, store_err, to_db};

/// An edit entry of a batch, ready to apply: every value in its stored form.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    conv: String,
    /// The edit entry's own seq.
    seq: i64,
    target: i64,
    /// The new body; `None` for an entry that carries none (nothing to apply).
    entry: Option<EditEntry>,
}

/// The edit entries of `batch`, in batch (seq) order.
pub(crate) fn of_batch(batch: &[Message]) -> Vec<Applied> {
    batch
        .iter()
        .filter(|m| m.kind == EDIT_KIND)
        .filter_map(|m| {
            let target = m.refers_to()?;
            Some(Applied {
                conv: m.conv.to_string(),
                seq: to_db(m.seq),
                target: to_db(target),
                entry: EditEntry::parse(&m.body),
            })
        })
        .collect()
}

const TARGET_KIND: &str = "SELECT kind FROM messages WHERE conv_id = ? AND seq = ?";
const KEEP_ORIGINAL: &str = "INTO message_edits (conv_id, target_seq, seq, body, edited_at) \
     SELECT conv_id, seq, seq, body, ts FROM messages WHERE conv_id = ? AND seq = ?";
const KEEP_VERSION: &str = "INTO message_edits (conv_id, target_seq, seq, body, edited_at) VALUES (?, ?, ?, ?, ?)";
const APPLY: &str = "UPDATE messages SET body = ?, edited_at = ? WHERE conv_id = ? AND seq = ? AND NOT EXISTS \
     (SELECT 1 FROM message_edits WHERE conv_id = ? AND target_seq = ? AND seq > ?)";
const ERASE_ENTRY: &str = "UPDATE messages SET body = ? WHERE conv_id = ? AND seq = ?";

/// `INSERT` that skips a row whose key exists (the original is kept once, by the first edit).
fn insert_ignore(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "INSERT IGNORE ",
        _ => "INSERT OR IGNORE ",
    }
}

fn is_text(kind: Option<&str>) -> bool {
    kind == Some(MessageKind::Text.as_str())
}

/// Applies the edits of a batch inside its transaction, through the driver.
pub(crate) async fn apply<C: ConnectionTrait>(txn: &C, edits: &[Applied]) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    let lock = if backend == DbBackend::MySql { " FOR UPDATE" } else { "" };
    let run = |sql: String, values: Vec<sea_orm::Value>| Statement::from_sql_and_values(backend, sql, values);
    for e in edits {
        let found = txn
            .query_one_raw(run(format!("{TARGET_KIND}{lock}"), vec![e.conv.clone().into(), e.target.into()]))
            .await
            .map_err(store_err)?;
        let kind: Option<String> = found.map(|row| row.try_get("", "kind")).transpose().map_err(store_err)?;
        let Some(entry) = e.entry.as_ref().filter(|_| is_text(kind.as_deref())) else {
            let erased = erased_edit_body(from_db(e.target));
            txn.execute_raw(run(ERASE_ENTRY.into(), vec![erased.into(), e.conv.clone().into(), e.seq.into()]))
                .await
                .map_err(store_err)?;
            continue;
        };
        let ignore = insert_ignore(backend);
        let key = || vec![e.conv.clone().into(), e.target.into()];
        txn.execute_raw(run(format!("{ignore}{KEEP_ORIGINAL}"), key())).await.map_err(store_err)?;
        let version = vec![
            e.conv.clone().into(),
            e.target.into(),
            e.seq.into(),
            entry.body.clone().into(),
            entry.edited_at.into(),
        ];
        txn.execute_raw(run(format!("{ignore}{KEEP_VERSION}"), version)).await.map_err(store_err)?;
        let apply = vec![
            entry.body.clone().into(),
            entry.edited_at.into(),
            e.conv.clone().into(),
            e.target.into(),
            e.conv.clone().into(),
            e.target.into(),
            e.seq.into(),
        ];
        txn.execute_raw(run(APPLY.into(), apply)).await.map_err(store_err)?;
    }
    Ok(())
}

/// [`apply`] on the SQLite writer thread's own connection.
pub(crate) fn apply_sqlite(txn: &rusqlite::Transaction<'_>, edits: &[Applied]) -> rusqlite::Result<()> {
    let ignore = insert_ignore(DbBackend::Sqlite);
    for e in edits {
        let kind: Option<String> = {
            let mut stmt = txn.prepare_cached(TARGET_KIND)?;
            let mut rows = stmt.query(params![e.conv, e.target])?;
            match rows.next()? {
                Some(row) => Some(row.get(0)?),
                None => None,
            }
        };
        let Some(entry) = e.entry.as_ref().filter(|_| is_text(kind.as_deref())) else {
            let erased = erased_edit_body(from_db(e.target));
            txn.prepare_cached(ERASE_ENTRY)?.execute(params![erased, e.conv, e.seq])?;
            continue;
        };
        txn.prepare_cached(&format!("{ignore}{KEEP_ORIGINAL}"))?.execute(params![e.conv, e.target])?;
        txn.prepare_cached(&format!("{ignore}{KEEP_VERSION}"))?.execute(params![
            e.conv,
            e.target,
            e.seq,
            entry.body,
            entry.edited_at
        ])?;
        txn.prepare_cached(APPLY)?.execute(params![
            entry.body,
            entry.edited_at,
            e.conv,
            e.target,
            e.conv,
            e.target,
            e.seq
        ])?;
    }
    Ok(())
}

/// The versions kept for message `seq` of `conv`, oldest first; empty when it was never edited.
pub(crate) async fn versions(db: &DatabaseConnection, conv: &ConvId, seq: u64) -> Result<Vec<Version>, StoreError> {
    let rows = message_edits::Entity::find()
        .filter(message_edits::Column::ConvId.eq(conv.to_string()))
        .filter(message_edits::Column::TargetSeq.eq(to_db(seq)))
        .order_by_asc(message_edits::Column::Seq)
        .all(db)
        .await
        .map_err(store_err)?;
    Ok(rows
        .into_iter()
        .zip(1u32..)
        .map(|(row, version)| Version {
            version,
            original: row.seq == row.target_seq,
            body: row.body,
            at: row.edited_at,
        })
        .collect())
}
