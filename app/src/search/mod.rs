//! Search (issue 22, docs/search-design.md): what a user may read, matched by the full-text
//! index and shown as it is now.
//!
//! The index knows terms and positions only; every hit is checked against the caller's member
//! rows (what they may see of each conversation: a newcomer to a group with hidden history, a
//! removed member up to their removal) and read back from the log, so a recalled message or an
//! edit the indexer has not caught up with never shows stale text. The snippet comes from the
//! stored message, never from the index.

mod indexer;

use std::collections::HashMap;
use std::sync::Arc;

pub use indexer::{IndexerStats, SearchIndexer};
use tidings_domain::conversation::MemberView;
use tidings_domain::message::{Message, RECALLED_KIND, is_content_kind};
use tidings_domain::ports::{ConversationStore, MessageStore, SearchIndex};
use tidings_domain::search::{SearchQuery, searchable_text, snippet};
use tidings_domain::{ConvId, UserId};

use crate::error::AppError;

/// Conversations a search covers at most (the caller's most recently active).
const MAX_CONVERSATIONS: u64 = 5_000;

/// Rounds of index reads one page makes before it answers with what it found (and a cursor).
const MAX_ROUNDS: usize = 4;

/// A page size when none is asked for.
const DEFAULT_LIMIT: u32 = 20;

/// Most results per page.
pub const MAX_LIMIT: u32 = 50;

/// One result: the message as it is now, its snippet and what matched in it.
#[derive(Debug, Clone)]
pub struct Found {
    /// The message.
    pub message: Message,
    /// Up to [`tidings_domain::search::SNIPPET_CHARS`] characters around the first match.
    pub snippet: String,
    /// `[start, end)` character ranges of the matches in `snippet`.
    pub highlights: Vec<(usize, usize)>,
}

/// A page of results, newest first, and where the next one starts.
#[derive(Debug, Clone)]
pub struct FoundPage {
    /// The results.
    pub results: Vec<Found>,
    /// The cursor of the next page, if there may be one.
    pub next: Option<u64>,
}

/// Search over the messages a user may read.
pub struct SearchService {
    index: Arc<dyn SearchIndex>,
    convs: Arc<dyn ConversationStore>,
    messages: Arc<dyn MessageStore>,
}

impl SearchService {
    /// Searches `index`, checking hits against `convs` and reading them from `messages`.
    pub fn new(
        index: Arc<dyn SearchIndex>,
        convs: Arc<dyn ConversationStore>,
        messages: Arc<dyn MessageStore>,
    ) -> Self {
        Self { index, convs, messages }
    }

    /// The messages matching `raw` that `user` may read (in `only`, when given), newest first,
    /// below `cursor`.
    pub async fn search(
        &self,
        user: &UserId,
        raw: &str,
        only: Option<ConvId>,
        limit: Option<u32>,
        cursor: Option<u64>,
    ) -> Result<FoundPage, AppError> {
        let query = SearchQuery::parse(raw).map_err(|e| AppError::InvalidField(format!("q: {e}")))?;
        let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
        let views = self.readable(user, only).await?;
        if views.is_empty() {
            return Ok(FoundPage { results: Vec::new(), next: None });
        }
        let convs: Vec<ConvId> = views.keys().cloned().collect();
        let mut results = Vec::with_capacity(limit);
        let mut below = cursor;
        for _ in 0..MAX_ROUNDS {
            // Ask for more than is missing: some hits fall outside what the caller may see.
            let want = ((limit - results.len()) * 2).max(10) as u64;
            let hits = self.index.search(&query, &convs, below, want).await?;
            let exhausted = (hits.len() as u64) < want;
            let mut keys = Vec::with_capacity(hits.len());
            for hit in &hits {
                let Some(view) = views.get(&hit.conv) else { continue };
                if hit.seq > view.visible_from && hit.seq <= view.visible_max() && hit.seq >= view.min_seq {
                    keys.push((hit.conv.clone(), hit.seq));
                }
            }
            let mut stored: HashMap<(ConvId, u64), Message> =
                self.messages.get_many(&keys).await?.into_iter().map(|m| ((m.conv.clone(), m.seq), m)).collect();
            for hit in hits {
                below = Some(hit.position);
                let Some(message) = stored.remove(&(hit.conv, hit.seq)) else { continue };
                if let Some(found) = found(&query, message) {
                    results.push(found);
                    if results.len() == limit {
                        return Ok(FoundPage { results, next: below });
                    }
                }
            }
            if exhausted {
                return Ok(FoundPage { results, next: None });
            }
        }
        Ok(FoundPage { results, next: below })
    }

    /// The caller's member rows by conversation: every conversation they are in (or were, up
    /// to their removal), or only `only`.
    async fn readable(&self, user: &UserId, only: Option<ConvId>) -> Result<HashMap<ConvId, MemberView>, AppError> {
        let views = match only {
            Some(conv) => match self.convs.member_view(&conv, user).await? {
                Some(view) => vec![view],
                // A direct chat of the caller's with nothing in it yet has nothing to find.
                None if conv.peer_of(user).is_some() => Vec::new(),
                None => return Err(AppError::NotMember),
            },
            None => self.convs.list_for_user(user, None, MAX_CONVERSATIONS).await?,
        };
        Ok(views.into_iter().map(|v| (v.conv.clone(), v)).collect())
    }
}

/// `message` as a result, if it still matches as it is now (not recalled, its current text).
fn found(query: &SearchQuery, message: Message) -> Option<Found> {
    if message.kind == RECALLED_KIND || !is_content_kind(&message.kind) {
        return None;
    }
    let text = searchable_text(&message.kind, &message.body)?;
    let ranges = query.highlights(&text);
    if ranges.is_empty() {
        // Indexed from a text it no longer has (an edit not yet indexed): not a match now.
        return None;
    }
    let (snippet, highlights) = snippet(&text, &ranges);
    Some(Found { message, snippet, highlights })
}
