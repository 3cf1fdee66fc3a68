//! What the entries of a batch do besides being stored, applied inside the batch's own
//! transaction: the references of entries that point at a message (`message_refs`), edits
//! replacing their target's body, reactions moving the reaction table, thread replies joining
//! their thread's index. Found once per batch, off the writer's thread, by [`Effects::of`];
//! applied by either batch writer (the driver's [`Effects::apply`], the SQLite thread's
//! [`Effects::apply_sqlite`]). A new effect of an entry kind is added here and nowhere else.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbBackend};
use tidings_domain::StoreError;
use tidings_domain::message::Message;
use tidings_domain::reaction::ReactionChange;
use tidings_domain::thread::ThreadReply;

use super::entity::message_refs;
use super::{edits, reactions, store_err, threads, to_db};

/// The effects of one batch, in batch (seq) order. Most batches have none, and then cost
/// nothing.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// `(conv, target_seq, seq)` of each entry that points at another message.
    refs: Vec<(String, i64, i64)>,
    edits: Vec<edits::Applied>,
    reactions: Vec<ReactionChange>,
    threads: Vec<ThreadReply>,
}

impl Effects {
    /// The effects of `batch`'s entries.
    pub(crate) fn of(batch: &[Message]) -> Self {
        Self {
            refs: batch
                .iter()
                .filter_map(|m| m.refers_to().map(|target| (m.conv.to_string(), to_db(target), to_db(m.seq))))
                .collect(),
            edits: edits::of_batch(batch),
            reactions: batch.iter().filter_map(ReactionChange::of).collect(),
            threads: batch.iter().filter_map(ThreadReply::of).collect(),
        }
    }

    /// Applies them through the driver, in the batch's transaction `txn`.
    pub(crate) async fn apply<C: ConnectionTrait>(&self, txn: &C, backend: DbBackend) -> Result<(), StoreError> {
        insert_refs(txn, backend, &self.refs).await?;
        edits::apply(txn, &self.edits).await?;
        reactions::apply(txn, backend, &self.reactions).await?;
        threads::apply(txn, backend, &self.threads).await
    }

    /// Applies them on the SQLite writer thread, in the batch's transaction `txn`.
    pub(crate) fn apply_sqlite(&self, txn: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
        if !self.refs.is_empty() {
            let mut point =
                txn.prepare_cached("INSERT INTO message_refs (conv_id, target_seq, seq) VALUES (?1, ?2, ?3)")?;
            for (conv, target, seq) in &self.refs {
                point.execute(rusqlite::params![conv, target, seq])?;
            }
        }
        edits::apply_sqlite(txn, &self.edits)?;
        reactions::apply_rows(txn, &self.reactions)?;
        threads::apply_sqlite(txn, &self.threads)
    }
}

/// One `message_refs` row per pointing entry, in runs of few statement lengths.
async fn insert_refs<C: ConnectionTrait>(
    txn: &C,
    backend: DbBackend,
    refs: &[(String, i64, i64)],
) -> Result<(), StoreError> {
    for run in super::shape::power_of_two_runs(refs) {
        let mut insert = Query::insert();
        insert.into_table(message_refs::Entity).columns([
            message_refs::Column::ConvId,
            message_refs::Column::TargetSeq,
            message_refs::Column::Seq,
        ]);
        for (conv, target, seq) in run {
            insert.values_panic([Expr::val(conv.clone()), Expr::val(*target), Expr::val(*seq)]);
        }
        txn.execute_raw(backend.build(&insert)).await.map_err(store_err)?;
    }
    Ok(())
}
