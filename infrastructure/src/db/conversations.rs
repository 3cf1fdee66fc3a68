//! [`ConversationStore`] on sea-orm.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryResult, Statement, TransactionTrait,
};
use tidings_domain::conversation::{
    ListCursor, MemberPrefs, MemberView, PrefsPatch, ReadMove, ReadOutcome, ReadPosition,
};
use tidings_domain::ports::ConversationStore;
use tidings_domain::{Clock, SystemClock};
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::{conversation_members as members, conversations};
use super::sqlite_reads::SqliteReads;
use super::{from_db, store_err, to_db};

/// Conversations and memberships.
#[derive(Clone)]
pub struct SqlConversationStore {
    db: DatabaseConnection,
    /// Where batches of read moves commit (`super::connect_batch_writer`); the pool itself by
    /// default.
    writer: DatabaseConnection,
    /// Stamps read moves' `changed_at`, which incremental conversation lists compare with the
    /// versions the application's clock gives: the two must be one clock.
    clock: Arc<dyn Clock>,
    /// The calling thread's own reads of a SQLite file, for the actions' first check.
    reads: Option<SqliteReads>,
}

impl SqlConversationStore {
    /// Uses the given pool for everything, and the system clock.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { writer: db.clone(), db, clock: Arc::new(SystemClock), reads: None }
    }

    /// Reads from `db` and commits batches of read moves through `writer`.
    pub fn with_batch_writer(db: DatabaseConnection, writer: DatabaseConnection) -> Self {
        Self { db, writer, clock: Arc::new(SystemClock), reads: None }
    }

    /// Reads a member's message on the calling thread when `reads` is given (a SQLite file).
    pub fn with_direct_reads(mut self, reads: Option<SqliteReads>) -> Self {
        self.reads = reads;
        self
    }

    /// Stamps changes with `clock` (the one the application reads).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// Direct conversations per statement when creating missing ones.
const OPEN_CHUNK: usize = 256;

/// Creates the direct conversations among `convs` that do not exist yet, with both members
/// (groups are skipped: they are created with their group). Idempotent; runs on `db`, which may
/// be a transaction (the commit pipeline opens a batch's new conversations in its own).
pub(crate) async fn open_direct<C: ConnectionTrait>(db: &C, convs: &[ConvId], now_ms: i64) -> Result<(), StoreError> {
    let mut direct: Vec<(String, &UserId, &UserId)> = convs
        .iter()
        .filter_map(|c| match c {
            ConvId::Direct { lo, hi } => Some((c.to_string(), lo, hi)),
            ConvId::Group(_) => None,
        })
        .collect();
    // Rows in key order: concurrent writers then take their locks in one order, which keeps
    // MySQL-family databases from deadlocking them.
    direct.sort_unstable();
    for chunk in direct.chunks(OPEN_CHUNK) {
        // Padded to few lengths (`shape.rs`): a repeated row is a no-op of the upsert.
        let chunk = super::shape::padded(chunk.to_vec());
        let rows = chunk.iter().map(|(conv, _, _)| conversations::ActiveModel {
            conv_id: Set(conv.clone()),
            kind: Set("direct".into()),
            max_seq: Set(0),
            created_at: Set(now_ms),
            updated_at: Set(now_ms),
        });
        conversations::Entity::insert_many(rows)
            // `do_nothing_on` names the key, which MySQL needs (`ON DUPLICATE KEY UPDATE k = k`).
            .on_conflict(
                OnConflict::column(conversations::Column::ConvId)
                    .do_nothing_on([conversations::Column::ConvId])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        let member = |conv: &String, user: &UserId| members::ActiveModel {
            conv_id: Set(conv.clone()),
            user_id: Set(user.to_string()),
            read_seq: Set(0),
            joined_at: Set(now_ms),
            visible_from: Set(0),
            visible_until: Set(None),
        };
        members::Entity::insert_many(chunk.iter().flat_map(|(conv, lo, hi)| [member(conv, lo), member(conv, hi)]))
            .on_conflict(
                OnConflict::columns([members::Column::ConvId, members::Column::UserId])
                    .do_nothing_on([members::Column::ConvId, members::Column::UserId])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
    }
    Ok(())
}

/// Read moves per statement on SQLite (three parameters each, far below its limit).
const READ_MOVES_PER_STATEMENT: usize = 256;

impl SqlConversationStore {
    /// SQLite: a batch of read moves in one `UPDATE ... FROM (VALUES ...) RETURNING` per chunk,
    /// instead of a statement per move: on SQLite's single writer every statement of a batch
    /// holds up the next commit.
    async fn mark_read_many_sqlite(&self, moves: &[ReadMove]) -> Result<Vec<ReadOutcome>, StoreError> {
        let now = self.clock.now_ms();
        let txn = self.writer.begin().await.map_err(store_err)?;
        let mut moved: HashSet<(String, String)> = HashSet::new();
        for chunk in moves.chunks(READ_MOVES_PER_STATEMENT) {
            let tuples = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "UPDATE conversation_members SET read_seq = v.column3, changed_at = ? \
                 FROM (VALUES {tuples}) AS v \
                 WHERE conversation_members.conv_id = v.column1 AND conversation_members.user_id = v.column2 \
                 AND conversation_members.read_seq < v.column3 \
                 AND (conversation_members.visible_until IS NULL OR conversation_members.visible_until >= v.column3) \
                 AND v.column3 <= (SELECT max_seq FROM conversations c WHERE c.conv_id = v.column1) \
                 RETURNING conversation_members.conv_id, conversation_members.user_id"
            );
            let mut values: Vec<sea_orm::Value> = Vec::with_capacity(1 + chunk.len() * 3);
            values.push(now.into());
            for m in chunk {
                values.extend([m.conv.to_string().into(), m.user.to_string().into(), to_db(m.seq).into()]);
            }
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
                .await
                .map_err(store_err)?;
            for row in rows {
                let conv: String = row.try_get("", "conv_id").map_err(store_err)?;
                let user: String = row.try_get("", "user_id").map_err(store_err)?;
                moved.insert((conv, user));
            }
        }
        // Where the others stand (one query, only when some did not move).
        let rest: Vec<(String, String)> = moves
            .iter()
            .map(|m| (m.conv.to_string(), m.user.to_string()))
            .filter(|pair| !moved.contains(pair))
            .collect();
        let at = positions(&txn, DbBackend::Sqlite, &rest).await?;
        txn.commit().await.map_err(store_err)?;
        Ok(moves
            .iter()
            .map(|m| {
                let pair = (m.conv.to_string(), m.user.to_string());
                ReadOutcome::after(moved.contains(&pair), m.seq, at.get(&pair).map(|(read, _)| from_db(*read)))
            })
            .collect())
    }

    /// MySQL-family, per chunk of moves: one SELECT of the conversations' high-water marks, one
    /// multi-table UPDATE (the moves as a derived table joined to the members, with the same
    /// checks as SQLite's), then one SELECT to learn which rows took the move: MariaDB has no
    /// `UPDATE … RETURNING`. A row moved by this call carries its `read_seq` and this call's
    /// `changed_at`, a stamp no earlier call of this process used.
    async fn mark_read_many_mysql(&self, moves: &[ReadMove]) -> Result<Vec<ReadOutcome>, StoreError> {
        let now = unique_stamp(self.clock.now_ms());
        let backend = self.db.get_database_backend();
        // READ COMMITTED: the conversations are read without locking them, and only changed
        // member rows stay locked. Moves go in key order, so two instances' read writers take
        // their locks in one order.
        let txn = super::begin_batch(&self.writer).await?;
        let mut order: Vec<(String, String, i64, usize)> =
            moves.iter().enumerate().map(|(i, m)| (m.conv.to_string(), m.user.to_string(), to_db(m.seq), i)).collect();
        order.sort_unstable();
        let mut out = vec![ReadOutcome::NotApplied; moves.len()];
        for all in order.chunks(READ_MOVES_PER_STATEMENT) {
            // The conversations' high-water marks, read without locking them (a join in the
            // UPDATE would share-lock them against the commit pipeline's writes). A mark only
            // rises, so an older one can only refuse a read, which the caller re-checks.
            let mut convs: Vec<&String> = all.iter().map(|(conv, ..)| conv).collect();
            convs.dedup();
            // Every list of these statements is padded to few lengths (`shape.rs`); a repeated
            // key changes nothing.
            let convs = super::shape::padded(convs);
            let sql = format!(
                "SELECT conv_id, max_seq FROM conversations WHERE conv_id IN ({})",
                vec!["?"; convs.len()].join(", ")
            );
            let values: Vec<sea_orm::Value> = convs.iter().map(|c| (*c).clone().into()).collect();
            let mut max_seq: HashMap<String, i64> = HashMap::with_capacity(convs.len());
            for row in
                txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(store_err)?
            {
                max_seq.insert(
                    row.try_get("", "conv_id").map_err(store_err)?,
                    row.try_get("", "max_seq").map_err(store_err)?,
                );
            }
            let chunk: Vec<&(String, String, i64, usize)> = super::shape::padded(
                all.iter().filter(|(conv, _, seq, _)| max_seq.get(conv).is_some_and(|max| seq <= max)).collect(),
            );
            let rows = vec!["SELECT ? AS conv_id, ? AS user_id, ? AS seq"; chunk.len()].join(" UNION ALL ");
            let sql = format!(
                "UPDATE conversation_members m \
                 JOIN ({rows}) v ON m.conv_id = v.conv_id AND m.user_id = v.user_id \
                 SET m.read_seq = v.seq, m.changed_at = ? \
                 WHERE m.read_seq < v.seq AND (m.visible_until IS NULL OR m.visible_until >= v.seq)"
            );
            let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 3 + 1);
            for (conv, user, seq, _) in &chunk {
                values.extend([conv.clone().into(), user.clone().into(), (*seq).into()]);
            }
            values.push(now.into());
            if !chunk.is_empty() {
                txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(store_err)?;
            }
            // Every member row of the chunk as it stands now: this batch's stamp says it moved.
            let pairs: Vec<(String, String)> =
                all.iter().map(|(conv, user, ..)| (conv.clone(), user.clone())).collect();
            let at = positions(&txn, backend, &pairs).await?;
            for (conv, user, seq, i) in all {
                let row = at.get(&(conv.clone(), user.clone()));
                let moved = row.is_some_and(|(read, stamp)| *stamp == now && read == seq);
                out[*i] = ReadOutcome::after(moved, from_db(*seq), row.map(|(read, _)| from_db(*read)));
            }
        }
        txn.commit().await.map_err(store_err)?;
        Ok(out)
    }
}

#[async_trait]
impl ConversationStore for SqlConversationStore {
    async fn ensure_direct(&self, conv: &ConvId, now_ms: i64) -> Result<(), StoreError> {
        if !matches!(conv, ConvId::Direct { .. }) {
            return Err(StoreError::Other("ensure_direct on a group".into()));
        }
        let txn = self.db.begin().await.map_err(store_err)?;
        open_direct(&txn, std::slice::from_ref(conv), now_ms).await?;
        txn.commit().await.map_err(store_err)
    }

    async fn member_view(&self, conv: &ConvId, user: &UserId) -> Result<Option<MemberView>, StoreError> {
        let stmt = select_views(user)
            .and_where(Expr::col((members::Entity, members::Column::ConvId)).eq(conv.to_string()))
            .to_owned();
        let row = self.db.query_one(&stmt).await.map_err(store_err)?;
        row.map(|r| to_view(&r)).transpose().map(Option::flatten)
    }

    async fn member_message(
        &self,
        conv: &ConvId,
        user: &UserId,
        seq: u64,
    ) -> Result<(Option<MemberView>, Option<tidings_domain::message::Message>), StoreError> {
        match &self.reads {
            Some(reads) => super::member_message::read_here(reads, conv, user, seq),
            None => super::member_message::read(&self.db, conv, user, seq).await,
        }
    }

    async fn mark_read_many(&self, moves: &[ReadMove]) -> Result<Vec<ReadOutcome>, StoreError> {
        if moves.is_empty() {
            return Ok(Vec::new());
        }
        if self.db.get_database_backend() == DbBackend::Sqlite {
            return self.mark_read_many_sqlite(moves).await;
        }
        self.mark_read_many_mysql(moves).await
    }

    async fn list_for_user(
        &self,
        user: &UserId,
        since: Option<i64>,
        before: Option<&ListCursor>,
        limit: u64,
    ) -> Result<Vec<MemberView>, StoreError> {
        let mut stmt = select_views(user);
        if let Some(since) = since {
            stmt.cond_where(
                Condition::any()
                    .add(Expr::col((conversations::Entity, conversations::Column::UpdatedAt)).gt(since))
                    .add(Expr::col((members::Entity, CHANGED_AT)).gt(since)),
            );
        }
        if let Some(cursor) = before {
            stmt.cond_where(past_cursor(cursor));
        }
        let stmt = stmt
            .order_by((members::Entity, PINNED), Order::Desc)
            .order_by((conversations::Entity, conversations::Column::UpdatedAt), Order::Desc)
            .order_by((conversations::Entity, conversations::Column::ConvId), Order::Asc)
            .limit(limit)
            .to_owned();
        let found = self.db.query_all(&stmt).await.map_err(store_err)?;
        let mut out = Vec::with_capacity(found.len());
        for row in found {
            out.extend(to_view(&row)?);
        }
        Ok(out)
    }

    async fn read_positions(&self, conv: &ConvId) -> Result<Vec<ReadPosition>, StoreError> {
        let found = members::Entity::find()
            .filter(members::Column::ConvId.eq(conv.to_string()))
            .filter(members::Column::VisibleUntil.is_null())
            .all(&self.db)
            .await
            .map_err(store_err)?;
        let mut out = Vec::with_capacity(found.len());
        for m in found {
            let Some(user) = UserId::parse(&m.user_id) else {
                tracing::warn!(user_id = m.user_id, "skipping malformed member id in storage");
                continue;
            };
            out.push(ReadPosition { user, read_seq: from_db(m.read_seq), visible_from: from_db(m.visible_from) });
        }
        Ok(out)
    }
    async fn set_prefs(
        &self,
        conv: &ConvId,
        user: &UserId,
        patch: &PrefsPatch,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut update = Query::update();
        update.table(members::Entity).value(CHANGED_AT, now_ms);
        if let Some(muted) = patch.muted {
            update.value(MUTED, muted);
            update.value(MUTED_UNTIL, Option::<i64>::None);
        }
        if let Some(until) = patch.muted_until {
            update.value(MUTED_UNTIL, until);
            // A timed mute replaces a mute for good: the two never hold at once.
            if until.is_some() {
                update.value(MUTED, false);
            }
        }
        if let Some(pinned) = patch.pinned {
            update.value(PINNED, pinned);
        }
        if let Some(draft) = &patch.draft {
            update.value(DRAFT, draft.clone());
        }
        update
            .and_where(Expr::col(members::Column::ConvId).eq(conv.to_string()))
            .and_where(Expr::col(members::Column::UserId).eq(user.to_string()));
        let done = self.db.execute(&update).await.map_err(store_err)?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        // MySQL counts only rows whose values changed; a same-millisecond repeat is still a hit.
        Ok(members::Entity::find_by_id((conv.to_string(), user.to_string()))
            .one(&self.db)
            .await
            .map_err(store_err)?
            .is_some())
    }

    async fn muted_among(&self, pairs: &[(ConvId, UserId)], now_ms: i64) -> Result<Vec<(ConvId, UserId)>, StoreError> {
        let mut out = Vec::new();
        for chunk in pairs.chunks(MUTED_CHUNK) {
            let convs: HashSet<String> = chunk.iter().map(|(c, _)| c.to_string()).collect();
            let users: HashSet<String> = chunk.iter().map(|(_, u)| u.to_string()).collect();
            let wanted: HashSet<(String, String)> = chunk.iter().map(|(c, u)| (c.to_string(), u.to_string())).collect();
            // Conversations x users covers the pairs; the few extra rows are dropped below.
            let stmt = Query::select()
                .column(members::Column::ConvId)
                .column(members::Column::UserId)
                .from(members::Entity)
                .and_where(Expr::col(members::Column::ConvId).is_in(convs))
                .and_where(Expr::col(members::Column::UserId).is_in(users))
                .and_where(Expr::col(MUTED).eq(true).or(Expr::col(MUTED_UNTIL).gt(now_ms)))
                .to_owned();
            for row in self.db.query_all(&stmt).await.map_err(store_err)? {
                let conv_id: String = row.try_get("", "conv_id").map_err(store_err)?;
                let user_id: String = row.try_get("", "user_id").map_err(store_err)?;
                if !wanted.contains(&(conv_id.clone(), user_id.clone())) {
                    continue;
                }
                if let (Some(conv), Some(user)) = (ConvId::parse(&conv_id), UserId::parse(&user_id)) {
                    out.push((conv, user));
                }
            }
        }
        Ok(out)
    }
}

/// Columns added by the member-preferences migration (not in the entity, so older code that
/// writes member rows keeps working with the columns' defaults).
#[derive(Clone, Copy, sea_orm::DeriveIden)]
enum Prefs {
    Muted,
    MutedUntil,
    Pinned,
    Draft,
    ChangedAt,
}
const MUTED: Prefs = Prefs::Muted;
const MUTED_UNTIL: Prefs = Prefs::MutedUntil;
const PINNED: Prefs = Prefs::Pinned;
const DRAFT: Prefs = Prefs::Draft;
const CHANGED_AT: Prefs = Prefs::ChangedAt;

/// The retention floor, added by the retention migration (not in the entity, like [`Prefs`]).
#[derive(Clone, Copy, sea_orm::DeriveIden)]
pub(crate) enum Floor {
    MinSeq,
}
pub(crate) const MIN_SEQ: Floor = Floor::MinSeq;

/// Pairs per muted-members query.
const MUTED_CHUNK: usize = 500;

/// The member rows of `user` joined with their conversations.
pub(super) fn select_views(user: &UserId) -> SelectStatement {
    Query::select()
        .column((conversations::Entity, conversations::Column::ConvId))
        .column((conversations::Entity, conversations::Column::MaxSeq))
        .column((conversations::Entity, conversations::Column::UpdatedAt))
        .column((conversations::Entity, MIN_SEQ))
        .column((members::Entity, members::Column::ReadSeq))
        .column((members::Entity, members::Column::VisibleFrom))
        .column((members::Entity, members::Column::VisibleUntil))
        .column((members::Entity, MUTED))
        .column((members::Entity, MUTED_UNTIL))
        .column((members::Entity, PINNED))
        .column((members::Entity, DRAFT))
        .column((members::Entity, CHANGED_AT))
        .from(members::Entity)
        .inner_join(
            conversations::Entity,
            Expr::col((conversations::Entity, conversations::Column::ConvId))
                .equals((members::Entity, members::Column::ConvId)),
        )
        .and_where(Expr::col((members::Entity, members::Column::UserId)).eq(user.to_string()))
        .to_owned()
}

/// The rows after `cursor` in the list's order (pinned first, then newest activity, then id).
fn past_cursor(cursor: &ListCursor) -> Condition {
    let pinned = || Expr::col((members::Entity, PINNED));
    let updated = || Expr::col((conversations::Entity, conversations::Column::UpdatedAt));
    let id = Expr::col((conversations::Entity, conversations::Column::ConvId));
    Condition::any()
        .add(pinned().lt(cursor.pinned))
        .add(Condition::all().add(pinned().eq(cursor.pinned)).add(updated().lt(cursor.updated_at)))
        .add(
            Condition::all()
                .add(pinned().eq(cursor.pinned))
                .add(updated().eq(cursor.updated_at))
                .add(id.gt(cursor.conv.to_string())),
        )
}

/// One row of [`select_views`]; `None` for a malformed conversation id.
pub(super) fn to_view(row: &QueryResult) -> Result<Option<MemberView>, StoreError> {
    let conv_id: String = row.try_get("", "conv_id").map_err(store_err)?;
    let Some(conv) = ConvId::parse(&conv_id) else {
        tracing::warn!(conv_id, "skipping malformed conversation id in storage");
        return Ok(None);
    };
    Ok(Some(MemberView {
        conv,
        max_seq: from_db(row.try_get("", "max_seq").map_err(store_err)?),
        read_seq: from_db(row.try_get("", "read_seq").map_err(store_err)?),
        updated_at: row.try_get("", "updated_at").map_err(store_err)?,
        visible_from: from_db(row.try_get("", "visible_from").map_err(store_err)?),
        visible_until: row.try_get::<Option<i64>>("", "visible_until").map_err(store_err)?.map(from_db),
        prefs: MemberPrefs {
            muted: row.try_get("", "muted").map_err(store_err)?,
            muted_until: row.try_get("", "muted_until").map_err(store_err)?,
            pinned: row.try_get("", "pinned").map_err(store_err)?,
            draft: row.try_get("", "draft").map_err(store_err)?,
        },
        changed_at: row.try_get("", "changed_at").map_err(store_err)?,
        min_seq: from_db(row.try_get("", "min_seq").map_err(store_err)?),
    }))
}

/// Read positions and change stamps of member rows, by `(conv_id, user_id)`.
async fn positions<C: ConnectionTrait>(
    db: &C,
    backend: DbBackend,
    pairs: &[(String, String)],
) -> Result<HashMap<(String, String), (i64, i64)>, StoreError> {
    let mut found = HashMap::with_capacity(pairs.len());
    for chunk in pairs.chunks(READ_MOVES_PER_STATEMENT) {
        // On MySQL padded to few lengths (`shape.rs`); a repeated pair finds the same row.
        let chunk = if backend == DbBackend::Sqlite { chunk.to_vec() } else { super::shape::padded(chunk.to_vec()) };
        let sql = if backend == DbBackend::Sqlite {
            // SQLite takes a list of row values only as VALUES.
            let tuples = vec!["(?, ?)"; chunk.len()].join(", ");
            format!(
                "SELECT conv_id, user_id, read_seq, changed_at FROM conversation_members \
                 WHERE (conv_id, user_id) IN (VALUES {tuples})"
            )
        } else {
            // The pairs as a derived table joined on the key, as the UPDATE does: MariaDB's
            // optimizer spent 17-32 ms per statement on a `(a, b) IN (…)` list of 256 pairs
            // (one index dive per pair, in the "Statistics" state), inside the read writer's
            // transaction.
            let rows = vec!["SELECT ? AS conv_id, ? AS user_id"; chunk.len()].join(" UNION ALL ");
            format!(
                "SELECT m.conv_id, m.user_id, m.read_seq, m.changed_at FROM conversation_members m \
                 JOIN ({rows}) v ON m.conv_id = v.conv_id AND m.user_id = v.user_id"
            )
        };
        let values: Vec<sea_orm::Value> =
            chunk.iter().flat_map(|(conv, user)| [conv.clone().into(), user.clone().into()]).collect();
        for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(store_err)? {
            found.insert(
                (row.try_get("", "conv_id").map_err(store_err)?, row.try_get("", "user_id").map_err(store_err)?),
                (row.try_get("", "read_seq").map_err(store_err)?, row.try_get("", "changed_at").map_err(store_err)?),
            );
        }
    }
    Ok(found)
}

/// `now`, but later than any stamp this process handed out before: a read batch recognises
/// the rows it moved by it.
fn unique_stamp(now: i64) -> i64 {
    static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let prev = LAST.fetch_max(now, std::sync::atomic::Ordering::AcqRel);
    if prev >= now { LAST.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1 } else { now }
}
