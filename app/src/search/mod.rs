//! Search (issue 22, docs/search-design.md): what a user may read, matched by the full-text
//! index and shown as it is now.
//!
//! The index knows terms and positions only; every hit is checked against the caller's member
//! rows (what they may see of each conversation: a newcomer to a group with hidden history, a
//! removed member up to their removal) and read back from the log, so a recalled message or an
//! edit the indexer has not caught up with never shows stale text. The snippet comes from the
//! stored message, never from the index.

mod filter;
mod indexer;
mod recovery;

use std::collections::HashMap;
use std::sync::Arc;

pub use filter::{SearchFilter, SearchRequest};
pub use indexer::{IndexerParts, IndexerStats, SearchIndexer};
use tidings_domain::audit::{ACTION_SEARCH, AuditEntry};
use tidings_domain::conversation::MemberView;
use tidings_domain::message::{Message, RECALLED_KIND, is_content_kind};
use tidings_domain::ports::{AuditLog, ConversationStore, MessageStore, SearchIndex, SearchScope};
use tidings_domain::search::{SearchQuery, searchable_text, snippet};
use tidings_domain::{Clock, ConvId, UserId};

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

/// Search over the messages a user may read, and an administrator's audited search over all.
pub struct SearchService {
    index: Arc<dyn SearchIndex>,
    convs: Arc<dyn ConversationStore>,
    messages: Arc<dyn MessageStore>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
}

impl SearchService {
    /// Searches `index`, checking hits against `convs` and reading them from `messages`;
    /// administrators' searches are recorded in `audit` at `clock`'s time.
    pub fn new(
        index: Arc<dyn SearchIndex>,
        convs: Arc<dyn ConversationStore>,
        messages: Arc<dyn MessageStore>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { index, convs, messages, audit, clock }
    }

    /// The messages matching `request` that `user` may read, newest first.
    pub async fn search(&self, user: &UserId, request: &SearchRequest) -> Result<FoundPage, AppError> {
        let query = parse_query(&request.text)?;
        let views = self.readable(user, request.conv.clone()).await?;
        if views.is_empty() {
            return Ok(FoundPage { results: Vec::new(), next: None });
        }
        let convs: Vec<ConvId> = views.keys().cloned().collect();
        self.collect(&query, SearchScope::Conversations(&convs), Some(&views), request).await
    }

    /// Compliance search: the messages matching `request` in every conversation (or only
    /// `request.conv`), whoever may read them, newest first. The search is recorded in the
    /// audit log (who, what, when) before it runs; without the record it does not run.
    pub async fn search_everywhere(&self, admin: &UserId, request: &SearchRequest) -> Result<FoundPage, AppError> {
        let query = parse_query(&request.text)?;
        self.audit.record(self.clock.now_ms(), admin, ACTION_SEARCH, &request.audit_detail()).await?;
        let only = request.conv.as_ref().map(std::slice::from_ref);
        let scope = only.map_or(SearchScope::Everywhere, SearchScope::Conversations);
        self.collect(&query, scope, None, request).await
    }

    /// Audit entries newest first, below `before`; at most `limit` (1 to 100).
    pub async fn audit_entries(&self, before: Option<u64>, limit: u64) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.audit.list(before, limit.clamp(1, 100)).await?)
    }

    /// Reads index pages within `scope` until `request`'s page is full: each hit checked
    /// against `views` (when the search is a user's), read back from the log and filtered.
    async fn collect(
        &self,
        query: &SearchQuery,
        scope: SearchScope<'_>,
        views: Option<&HashMap<ConvId, MemberView>>,
        request: &SearchRequest,
    ) -> Result<FoundPage, AppError> {
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
        let mut results = Vec::with_capacity(limit);
        let mut below = request.cursor;
        for _ in 0..MAX_ROUNDS {
            // Ask for more than is missing: some hits fall outside what the caller may see.
            let want = ((limit - results.len()) * 2).max(10) as u64;
            let hits = self.index.search(query, scope, below, want).await?;
            let exhausted = (hits.len() as u64) < want;
            let keys: Vec<(ConvId, u64)> = hits
                .iter()
                .filter(|hit| views.is_none_or(|v| v.get(&hit.conv).is_some_and(|view| view.sees(hit.seq))))
                .map(|hit| (hit.conv.clone(), hit.seq))
                .collect();
            let mut stored: HashMap<(ConvId, u64), Message> =
                self.messages.get_many(&keys).await?.into_iter().map(|m| ((m.conv.clone(), m.seq), m)).collect();
            for hit in hits {
                below = Some(hit.position);
                let Some(message) = stored.remove(&(hit.conv, hit.seq)) else { continue };
                if !request.filter.admits(&message) {
                    continue;
                }
                if let Some(found) = found(query, message) {
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
            None => self.convs.list_for_user(user, None, None, MAX_CONVERSATIONS).await?,
        };
        Ok(views.into_iter().map(|v| (v.conv.clone(), v)).collect())
    }
}

fn parse_query(raw: &str) -> Result<SearchQuery, AppError> {
    SearchQuery::parse(raw).map_err(|e| AppError::InvalidField(format!("q: {e}")))
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
