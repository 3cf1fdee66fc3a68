//! Local full-text search (issue 22, docs/search-design.md, "Local search in the SDK"): the
//! store's own index of what its messages say, so an app searches offline with the server's rules.
//!
//! The index is the FTS5 table `message_terms`, keyed by each message's row id and holding the
//! terms of its searchable text as `tidings-terms` makes them (the server's tokenizer and rule: a
//! text's `text`, an upload's `name`). Triggers on `messages` (schema.rs) take a changed or
//! deleted message out of the index in the statement that changes it and mark it stale;
//! [`refresh`] writes the terms of the stale messages. The store's writes call it before they
//! commit, and every search calls it first, so a write path that forgets still never shows a
//! stale match or misses a new one.

use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row as _, Sqlite, SqlitePool, Transaction};
use tidings_terms::{SearchQuery, index_text, searchable_text, snippet};

use super::Store;
use super::messages::{COLUMNS, row_to_message};
use crate::SdkError;
use crate::types::{Highlight, LocalSearchHit, LocalSearchPage, Message};

/// Stale messages indexed per read, so a large backfill never holds every body in memory.
const BATCH: i64 = 512;

/// Where a result stands in the newest-first order: its time, then its row id. A page's cursor
/// is its last result's position; the next page starts below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    ts: i64,
    id: i64,
}

impl Position {
    /// Reads a cursor this module handed out; `None` if it is not one.
    pub(crate) fn parse(cursor: &str) -> Option<Self> {
        let (ts, id) = cursor.split_once('.')?;
        Some(Self { ts: ts.parse().ok()?, id: id.parse().ok()? })
    }

    /// The cursor text (opaque to apps).
    fn cursor(self) -> String {
        format!("{}.{}", self.ts, self.id)
    }
}

/// Writes the terms of every message marked stale (a message with nothing searchable gets no
/// row) and clears the marks. Runs in the caller's transaction.
pub(super) async fn refresh(tx: &mut Transaction<'_, Sqlite>) -> Result<(), sqlx::Error> {
    let mut after = 0_i64;
    loop {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT m.id, m.kind, m.body FROM message_terms_stale s JOIN messages m ON m.id = s.id
             WHERE s.id > ? ORDER BY s.id LIMIT ?",
        )
        .bind(after)
        .bind(BATCH)
        .fetch_all(&mut **tx)
        .await?;
        for (id, kind, body) in &rows {
            let terms = searchable_text(kind, body).map(|text| index_text(&text)).unwrap_or_default();
            if !terms.is_empty() {
                // REPLACE: a message indexed already (a backfill run again) keeps one row.
                sqlx::query("INSERT OR REPLACE INTO message_terms (rowid, terms) VALUES (?, ?)")
                    .bind(id)
                    .bind(terms)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        match rows.last() {
            Some((id, ..)) if rows.len() == usize::try_from(BATCH).unwrap_or(usize::MAX) => after = *id,
            _ => break,
        }
    }
    sqlx::query("DELETE FROM message_terms_stale").execute(&mut **tx).await?;
    Ok(())
}

/// Fills an index new to this store (one opened before local search existed) from every
/// message it holds.
pub(super) async fn backfill(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT OR IGNORE INTO message_terms_stale (id) SELECT id FROM messages").execute(&mut *tx).await?;
    refresh(&mut tx).await?;
    tx.commit().await
}

impl Store {
    /// Up to `limit` stored messages matching `query` (in `conv` only, when given), newest first
    /// (by time, then by when the store got them), below `below`: each as every read path shows it,
    /// with the snippet and highlights of its current text.
    pub(crate) async fn search(
        &self,
        me: &str,
        query: &SearchQuery,
        conv: Option<&str>,
        below: Option<Position>,
        limit: u32,
    ) -> Result<LocalSearchPage, SdkError> {
        let mut tx = self.pool.begin().await?;
        refresh(&mut tx).await?;
        // One more than asked, to know whether a next page exists.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT m.id AS id, {COLUMNS} FROM message_terms JOIN messages m ON m.id = message_terms.rowid
             WHERE message_terms MATCH ?1 AND (?2 IS NULL OR m.conv = ?2)
             AND (?3 IS NULL OR m.ts < ?3 OR (m.ts = ?3 AND m.id < ?4))
             ORDER BY m.ts DESC, m.id DESC LIMIT ?5"
        )))
        .bind(query.fts5())
        .bind(conv)
        .bind(below.map(|p| p.ts))
        .bind(below.map(|p| p.id))
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        let found = rows.iter().take(limit).map(found_row).collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if more { found.last().map(|(_, position)| position.cursor()) } else { None };
        let messages = self.annotate(me, found.into_iter().map(|(m, _)| m).collect()).await?;
        let results = messages.into_iter().map(|m| hit(query, m)).collect();
        Ok(LocalSearchPage { results, next_cursor })
    }
}

/// A matching row: the message and its position.
fn found_row(row: &SqliteRow) -> Result<(Message, Position), sqlx::Error> {
    let message = row_to_message(row)?;
    let position = Position { ts: message.ts, id: row.try_get("id")? };
    Ok((message, position))
}

/// `message` as a result: the part of its searchable text around the first match, with the
/// matches marked. The index is in step with the store, so the text matches; should the
/// highlighter see no match where the index did, the hit is kept with the text's start.
fn hit(query: &SearchQuery, message: Message) -> LocalSearchHit {
    let text = searchable_text(&message.kind, &message.body).unwrap_or_default();
    let (snippet, ranges) = snippet(&text, &query.highlights(&text));
    let offset = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let highlights =
        ranges.into_iter().map(|(start, end)| Highlight { start: offset(start), end: offset(end) }).collect();
    LocalSearchHit { message, snippet, highlights }
}
