//! [`FilterStore`] and [`FlagStore`] in `filter_lists`, `filter_words` and `content_flags`.
//!
//! A list's words are stored newline-joined in parts of at most [`PART_BYTES`] (a `TEXT`
//! column holds 64 KiB on MySQL), so half a million words are about a hundred rows: every
//! instance reloads a changed list in a few reads.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use tidings_domain::content::{ContentSubject, FilterAction, FilterList, FilterStamp, FlaggedContent};
use tidings_domain::ports::{FilterStore, FlagQuery, FlagStore};
use tidings_domain::{ConvId, StoreError, UserId};

use super::entity::{content_flags, filter_lists, filter_words};
use super::{from_db, store_err, to_db};

/// Largest part of a list's newline-joined words, in bytes.
const PART_BYTES: usize = 60_000;

/// Parts inserted per statement.
const PARTS_PER_INSERT: usize = 16;

/// The word lists and the review list of the database.
#[derive(Clone)]
pub struct SqlContentStore {
    db: DatabaseConnection,
}

impl SqlContentStore {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn action_of(s: &str) -> Result<FilterAction, StoreError> {
    FilterAction::parse(s).ok_or_else(|| StoreError::Other(format!("filter action {s}")))
}

/// The words newline-joined, cut into parts of at most [`PART_BYTES`] (a word is never split:
/// words hold no newline and are far shorter than a part).
fn parts(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut part = String::new();
    for word in words {
        if !part.is_empty() && part.len() + 1 + word.len() > PART_BYTES {
            out.push(std::mem::take(&mut part));
        }
        if !part.is_empty() {
            part.push('\n');
        }
        part.push_str(word);
    }
    if !part.is_empty() {
        out.push(part);
    }
    out
}

fn list_of(row: filter_lists::Model, words: Vec<String>) -> Result<FilterList, StoreError> {
    Ok(FilterList { id: row.id, name: row.name, action: action_of(&row.action)?, words, updated_at: row.updated_at })
}

#[async_trait]
impl FilterStore for SqlContentStore {
    async fn stamps(&self) -> Result<Vec<FilterStamp>, StoreError> {
        let rows: Vec<(String, i64)> = filter_lists::Entity::find()
            .select_only()
            .column(filter_lists::Column::Id)
            .column(filter_lists::Column::UpdatedAt)
            .order_by_asc(filter_lists::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(store_err)?;
        Ok(rows.into_iter().map(|(id, updated_at)| FilterStamp { id, updated_at }).collect())
    }

    async fn all(&self) -> Result<Vec<FilterList>, StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let lists =
            filter_lists::Entity::find().order_by_asc(filter_lists::Column::Id).all(&txn).await.map_err(store_err)?;
        let parts = filter_words::Entity::find()
            .order_by_asc(filter_words::Column::ListId)
            .order_by_asc(filter_words::Column::Part)
            .all(&txn)
            .await
            .map_err(store_err)?;
        txn.commit().await.map_err(store_err)?;
        let mut words: HashMap<String, Vec<String>> = HashMap::new();
        for part in parts {
            words.entry(part.list_id).or_default().extend(part.words.split('\n').map(str::to_owned));
        }
        lists
            .into_iter()
            .map(|row| {
                let w = words.remove(&row.id).unwrap_or_default();
                list_of(row, w)
            })
            .collect()
    }

    async fn get(&self, id: &str) -> Result<Option<FilterList>, StoreError> {
        let Some(row) = filter_lists::Entity::find_by_id(id.to_owned()).one(&self.db).await.map_err(store_err)? else {
            return Ok(None);
        };
        let parts = filter_words::Entity::find()
            .filter(filter_words::Column::ListId.eq(id))
            .order_by_asc(filter_words::Column::Part)
            .all(&self.db)
            .await
            .map_err(store_err)?;
        let words = parts.iter().flat_map(|p| p.words.split('\n').map(str::to_owned)).collect();
        list_of(row, words).map(Some)
    }

    async fn put(&self, list: &FilterList) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        let row = filter_lists::ActiveModel {
            id: Set(list.id.clone()),
            name: Set(list.name.clone()),
            action: Set(list.action.as_str().to_owned()),
            word_count: Set(i64::try_from(list.words.len()).unwrap_or(i64::MAX)),
            updated_at: Set(list.updated_at),
        };
        let exists = filter_lists::Entity::find_by_id(list.id.clone()).one(&txn).await.map_err(store_err)?.is_some();
        let written = if exists {
            filter_lists::Entity::update(row).exec(&txn).await.map(|_| ())
        } else {
            filter_lists::Entity::insert(row).exec(&txn).await.map(|_| ())
        };
        match written.map_err(store_err) {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
        filter_words::Entity::delete_many()
            .filter(filter_words::Column::ListId.eq(list.id.as_str()))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        let rows: Vec<filter_words::ActiveModel> = parts(&list.words)
            .into_iter()
            .enumerate()
            .map(|(i, words)| filter_words::ActiveModel {
                list_id: Set(list.id.clone()),
                part: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                words: Set(words),
            })
            .collect();
        for chunk in rows.chunks(PARTS_PER_INSERT) {
            filter_words::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(store_err)?;
        }
        txn.commit().await.map_err(store_err)?;
        Ok(true)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(store_err)?;
        filter_words::Entity::delete_many()
            .filter(filter_words::Column::ListId.eq(id))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        let gone = filter_lists::Entity::delete_by_id(id.to_owned()).exec(&txn).await.map_err(store_err)?;
        txn.commit().await.map_err(store_err)?;
        Ok(gone.rows_affected > 0)
    }
}

fn subject_of(s: &str) -> Result<ContentSubject, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StoreError::Other(format!("content subject {s}")))
}

#[async_trait]
impl FlagStore for SqlContentStore {
    async fn record(&self, f: &FlaggedContent) -> Result<u64, StoreError> {
        let row = content_flags::ActiveModel {
            id: NotSet,
            at: Set(f.at),
            subject: Set(f.subject.as_str().to_owned()),
            author: Set(f.author.to_string()),
            conv_id: Set(f.conv.as_ref().map(ToString::to_string)),
            reference: Set(f.reference.clone()),
            lists: Set(serde_json::to_string(&f.lists).unwrap_or_default()),
            words: Set(serde_json::to_string(&f.words).unwrap_or_default()),
            excerpt: Set(f.excerpt.clone()),
        };
        let done = content_flags::Entity::insert(row).exec(&self.db).await.map_err(store_err)?;
        Ok(from_db(done.last_insert_id))
    }

    async fn list(&self, q: FlagQuery) -> Result<Vec<FlaggedContent>, StoreError> {
        let mut find = content_flags::Entity::find().order_by_desc(content_flags::Column::Id).limit(q.limit);
        if let Some(before) = q.before {
            find = find.filter(content_flags::Column::Id.lt(to_db(before)));
        }
        let rows = find.all(&self.db).await.map_err(store_err)?;
        rows.into_iter()
            .map(|r| {
                let author =
                    UserId::parse(&r.author).ok_or_else(|| StoreError::Other(format!("flag author {}", r.author)))?;
                Ok(FlaggedContent {
                    id: from_db(r.id),
                    at: r.at,
                    subject: subject_of(&r.subject)?,
                    author,
                    conv: r.conv_id.as_deref().and_then(ConvId::parse),
                    reference: r.reference,
                    lists: serde_json::from_str(&r.lists).unwrap_or_default(),
                    words: serde_json::from_str(&r.words).unwrap_or_default(),
                    excerpt: r.excerpt,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_keep_every_word_whole_and_stay_under_the_bound() {
        let words: Vec<String> = (0..50_000).map(|i| format!("词语{i}")).collect();
        let parts = parts(&words);
        assert!(parts.len() > 1, "50,000 words fit one part");
        assert!(parts.iter().all(|p| p.len() <= PART_BYTES), "a part is over {PART_BYTES} bytes");
        let back: Vec<String> = parts.iter().flat_map(|p| p.split('\n').map(str::to_owned)).collect();
        assert_eq!(back, words);
        assert!(super::parts(&[]).is_empty());
    }
}
