//! [`MessageStore`] on sea-orm: batched appends in one transaction, range reads by `(conv, seq)`.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use tidings_domain::message::{Message, NOT_UNREAD_KINDS};
use tidings_domain::ports::{MessageStore, UnreadRange};
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::messages;
use super::sqlite_writer::SqliteWriter;
use super::{DbOptions, from_db, store_err, to_db};

/// `(sender, client_msg_id)` keys per dedupe lookup.
const KEY_CHUNK: usize = 200;

/// Conversations per query when seeding seq counters.
const SEED_CHUNK: usize = 256;

/// Message logs in the `messages` table; `conversations.max_seq` advances in the same transaction.
#[derive(Clone)]
pub struct SqlMessageStore {
    db: DatabaseConnection,
    /// Where batches commit (`super::connect_batch_writer`); the pool itself by default.
    writer: DatabaseConnection,
    /// On a SQLite file, the thread batches commit through instead (`sqlite_writer.rs`).
    sqlite: Option<SqliteWriter>,
}

impl SqlMessageStore {
    /// Uses the given pool for everything.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { writer: db.clone(), db, sqlite: None }
    }

    /// Reads from `db` and commits batches through `writer`.
    pub fn with_batch_writer(db: DatabaseConnection, writer: DatabaseConnection) -> Self {
        Self { db, writer, sqlite: None }
    }

    /// Reads from `db`; commits batches through a writer thread of its own on a SQLite file
    /// (`opts.url`), through `writer` on any other database.
    pub fn for_batches(
        opts: &DbOptions,
        db: DatabaseConnection,
        writer: DatabaseConnection,
    ) -> Result<Self, StoreError> {
        let sqlite = match super::sqlite_writer::file_of(&opts.url) {
            Some(path) => Some(SqliteWriter::start(path, opts.sqlite_sync_every_commit)?),
            None => None,
        };
        Ok(Self { db, writer, sqlite })
    }
}

fn to_message(m: messages::Model) -> Result<Message, StoreError> {
    let conv =
        ConvId::parse(&m.conv_id).ok_or_else(|| StoreError::Other(format!("bad conv id in storage: {}", m.conv_id)))?;
    let sender = UserId::parse(&m.sender_id).ok_or_else(|| StoreError::Other("bad sender id in storage".into()))?;
    Ok(Message {
        conv,
        seq: from_db(m.seq),
        msg_id: m.msg_id,
        sender,
        client_msg_id: m.client_msg_id,
        kind: m.kind,
        body: m.body,
        ts: m.ts,
        edited_at: m.edited_at,
    })
}

fn rows(found: Vec<messages::Model>) -> Result<Vec<Message>, StoreError> {
    found.into_iter().map(to_message).collect()
}

#[async_trait]
impl MessageStore for SqlMessageStore {
    async fn append(&self, batch: &[Message], open: &[ConvId]) -> Result<(), StoreError> {
        match &self.sqlite {
            Some(thread) => thread.append(batch, open).await,
            None => super::append::append_batch(&self.writer, batch, open).await,
        }
    }

    async fn find_by_client_ids(&self, keys: &[(UserId, String)]) -> Result<Vec<Message>, StoreError> {
        let mut found = Vec::new();
        // Chunks keep the OR tree within SQLite's expression depth (1,000) however large the
        // batch that hit a unique key.
        for chunk in keys.chunks(KEY_CHUNK) {
            let mut any = Condition::any();
            for (sender, cmid) in chunk {
                any = any.add(
                    Condition::all()
                        .add(messages::Column::SenderId.eq(sender.to_string()))
                        .add(messages::Column::ClientMsgId.eq(cmid.clone())),
                );
            }
            found.extend(rows(messages::Entity::find().filter(any).all(&self.db).await.map_err(store_err)?)?);
        }
        Ok(found)
    }

    async fn max_seq(&self, conv: &ConvId) -> Result<u64, StoreError> {
        Ok(self.max_seqs(std::slice::from_ref(conv)).await?.first().copied().unwrap_or(0))
    }

    async fn max_seqs(&self, convs: &[ConvId]) -> Result<Vec<u64>, StoreError> {
        let mut highest: HashMap<String, u64> = HashMap::with_capacity(convs.len());
        for chunk in convs.chunks(SEED_CHUNK) {
            // Padded to few lengths (`shape.rs`); a repeated id changes nothing.
            let ids: Vec<String> = super::shape::padded(chunk.iter().map(ToString::to_string).collect());
            // One statement for both sources (a first message of a chat pays one round trip,
            // not two): the log's MAX(seq), and the conversation row's high-water mark, which
            // survives retention purges that emptied the log, so counters seeded from here never
            // hand out a purged seq again.
            let list = vec!["?"; ids.len()].join(", ");
            let sql = format!(
                "SELECT conv_id, MAX(s) AS top FROM (\
                 SELECT conv_id, max_seq AS s FROM conversations WHERE conv_id IN ({list}) \
                 UNION ALL SELECT conv_id, MAX(seq) AS s FROM messages WHERE conv_id IN ({list}) GROUP BY conv_id\
                 ) marks GROUP BY conv_id"
            );
            let values: Vec<sea_orm::Value> = ids.iter().chain(ids.iter()).map(|c| c.clone().into()).collect();
            let backend = self.db.get_database_backend();
            for row in
                self.db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(store_err)?
            {
                let conv: String = row.try_get("", "conv_id").map_err(store_err)?;
                let top: Option<i64> = row.try_get("", "top").map_err(store_err)?;
                let entry = highest.entry(conv).or_default();
                *entry = (*entry).max(top.map_or(0, from_db));
            }
        }
        Ok(convs.iter().map(|c| highest.get(&c.to_string()).copied().unwrap_or(0)).collect())
    }

    async fn after(&self, conv: &ConvId, after: u64, limit: u64) -> Result<Vec<Message>, StoreError> {
        rows(
            messages::Entity::find()
                .filter(messages::Column::ConvId.eq(conv.to_string()))
                .filter(messages::Column::Seq.gt(to_db(after)))
                .order_by_asc(messages::Column::Seq)
                .limit(limit)
                .all(&self.db)
                .await
                .map_err(store_err)?,
        )
    }

    async fn before(&self, conv: &ConvId, before: u64, limit: u64) -> Result<Vec<Message>, StoreError> {
        let mut page = rows(
            messages::Entity::find()
                .filter(messages::Column::ConvId.eq(conv.to_string()))
                .filter(messages::Column::Seq.lt(to_db(before)))
                .order_by_desc(messages::Column::Seq)
                .limit(limit)
                .all(&self.db)
                .await
                .map_err(store_err)?,
        )?;
        page.reverse();
        Ok(page)
    }

    async fn get(&self, conv: &ConvId, seq: u64) -> Result<Option<Message>, StoreError> {
        messages::Entity::find_by_id((conv.to_string(), to_db(seq)))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .map(to_message)
            .transpose()
    }

    async fn count_unread(&self, conv: &ConvId, user: &UserId, after: u64, upto: u64) -> Result<u64, StoreError> {
        messages::Entity::find()
            .filter(messages::Column::ConvId.eq(conv.to_string()))
            .filter(messages::Column::Seq.gt(to_db(after)))
            .filter(messages::Column::Seq.lte(to_db(upto)))
            .filter(messages::Column::SenderId.ne(user.to_string()))
            .filter(messages::Column::Kind.is_not_in(NOT_UNREAD_KINDS.iter().copied()))
            .count(&self.db)
            .await
            .map_err(store_err)
    }

    async fn mark_recalled(&self, conv: &ConvId, seq: u64) -> Result<bool, StoreError> {
        super::erase::recall(&self.db, conv, seq).await
    }

    async fn edit_versions(&self, conv: &ConvId, seq: u64) -> Result<Vec<tidings_domain::edit::Version>, StoreError> {
        super::edits::versions(&self.db, conv, seq).await
    }

    async fn count_unread_many(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<u64>, StoreError> {
        let wanted: Vec<&UnreadRange> = ranges.iter().filter(|r| r.upto > r.after).collect();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for chunk in wanted.chunks(RANGE_CHUNK) {
            let rows: Vec<(String, i64)> = messages::Entity::find()
                .select_only()
                .column(messages::Column::ConvId)
                .column_as(messages::Column::Seq.count(), "n")
                .filter(in_ranges(chunk))
                .filter(messages::Column::SenderId.ne(user.to_string()))
                .filter(messages::Column::Kind.is_not_in(NOT_UNREAD_KINDS.iter().copied()))
                .group_by(messages::Column::ConvId)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(store_err)?;
            counts.extend(rows.into_iter().map(|(c, n)| (c, u64::try_from(n).unwrap_or(0))));
        }
        Ok(ranges.iter().map(|r| counts.get(&r.conv.to_string()).copied().unwrap_or(0)).collect())
    }

    async fn get_many(&self, keys: &[(ConvId, u64)]) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(RANGE_CHUNK) {
            let mut any = Condition::any();
            for (conv, seq) in chunk {
                any = any.add(
                    Condition::all()
                        .add(messages::Column::ConvId.eq(conv.to_string()))
                        .add(messages::Column::Seq.eq(to_db(*seq))),
                );
            }
            let rows = messages::Entity::find().filter(any).all(&self.db).await.map_err(store_err)?;
            for row in rows {
                out.push(to_message(row)?);
            }
        }
        Ok(out)
    }

    async fn mention_candidates(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<Message>, StoreError> {
        let wanted: Vec<&UnreadRange> = ranges.iter().filter(|r| r.upto > r.after).collect();
        let mut out = Vec::new();
        for chunk in wanted.chunks(RANGE_CHUNK) {
            let rows = messages::Entity::find()
                .filter(in_ranges(chunk))
                .filter(messages::Column::SenderId.ne(user.to_string()))
                .filter(messages::Column::Body.like("%\"mention%"))
                .all(&self.db)
                .await
                .map_err(store_err)?;
            for row in rows {
                out.push(to_message(row)?);
            }
        }
        Ok(out)
    }
}

/// Conversations per batched range query (keeps statements a sane size).
const RANGE_CHUNK: usize = 200;

/// Messages inside any of the ranges.
fn in_ranges(ranges: &[&UnreadRange]) -> Condition {
    ranges.iter().fold(Condition::any(), |any, r| {
        any.add(
            Condition::all()
                .add(messages::Column::ConvId.eq(r.conv.to_string()))
                .add(messages::Column::Seq.gt(to_db(r.after)))
                .add(messages::Column::Seq.lte(to_db(r.upto))),
        )
    })
}
