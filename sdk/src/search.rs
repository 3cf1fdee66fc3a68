//! Local search (issue 22): full-text search over the messages in this device's store, offline,
//! with the server's rules (`tidings-terms`: a Chinese, Japanese or Korean run matches as a
//! substring, a word by prefix, nothing typed is query syntax). The index lives in the store
//! (`store/search.rs`).

use tidings_terms::SearchQuery;

use crate::SdkError;
use crate::client::Client;
use crate::store::Position;
use crate::types::LocalSearchPage;

/// Results per page when the app does not say.
const DEFAULT_LIMIT: u32 = 20;
/// Most results per page (the server's search allows as many).
const MAX_LIMIT: u32 = 50;

impl Client {
    /// The stored messages matching `query`, newest first: in every conversation, or only in
    /// `conv`. Needs no connection: it searches this device's store, which holds what was
    /// received, synced, paged in or sent here (older history the store never saw is not found;
    /// the server's `GET /api/v1/search` covers it).
    ///
    /// Every word of `query` must match the start of a word (`deploy` finds `Deployment`), and
    /// every run of Chinese, Japanese or Korean characters must appear as it is (`部署方案` finds
    /// `新的部署方案已经发布`); quotes, `*`, `-`, `OR`, `NEAR` and parentheses are plain text. Texts
    /// match by their text, uploads by their file name; a recalled message never matches, an
    /// edited one by its current text only. `limit` is 1–50 (20 when `None`); `cursor` is the
    /// `next_cursor` of the previous page.
    ///
    /// Errors: [`SdkError::InvalidQuery`] when `query` has nothing to search for or is too long,
    /// [`SdkError::InvalidInput`] for a bad `limit` or `cursor`, [`SdkError::NotLoggedIn`].
    pub async fn search_local(
        &self,
        query: String,
        conv: Option<String>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<LocalSearchPage, SdkError> {
        let query = parse_query(&query)?;
        let limit = page_limit(limit)?;
        let below = cursor.as_deref().map(parse_cursor).transpose()?;
        let inner = self.inner();
        let me = inner.me()?;
        inner.store.search(&me, &query, conv.as_deref(), below, limit).await
    }
}

/// What the user typed, as a query; refused with the reason when there is nothing to search for
/// or too much.
fn parse_query(raw: &str) -> Result<SearchQuery, SdkError> {
    SearchQuery::parse(raw).map_err(|e| SdkError::InvalidQuery { message: e.to_string() })
}

/// The page size asked for, checked.
fn page_limit(limit: Option<u32>) -> Result<u32, SdkError> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(SdkError::InvalidInput { message: format!("limit must be 1..={MAX_LIMIT}") }),
    }
}

/// A cursor handed out by an earlier page.
fn parse_cursor(cursor: &str) -> Result<Position, SdkError> {
    Position::parse(cursor).ok_or_else(|| SdkError::InvalidInput { message: format!("bad cursor {cursor:?}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_queries_limits_and_cursors_are_refused_with_their_reason() {
        for raw in ["", "  ", " ,.!? ", "a b c"] {
            assert!(
                matches!(parse_query(raw), Err(SdkError::InvalidQuery { ref message }) if message.contains("nothing")),
                "{raw:?}"
            );
        }
        for raw in ["x".repeat(101), "汉".repeat(40)] {
            assert!(
                matches!(parse_query(&raw), Err(SdkError::InvalidQuery { ref message }) if message.contains("too long")),
                "{raw:?}"
            );
        }
        // Query syntax is text: these parse, into quoted terms only.
        let q = parse_query("\"deploy\" OR (plan*) -x NEAR/2").unwrap();
        assert_eq!(q.fts5(), "\"wdeploy\"* AND \"wor\"* AND \"wplan\"* AND \"wnear\"*");

        assert_eq!(page_limit(None).unwrap(), 20);
        assert_eq!(page_limit(Some(50)).unwrap(), 50);
        for bad in [0, 51] {
            assert!(matches!(page_limit(Some(bad)), Err(SdkError::InvalidInput { .. })), "{bad}");
        }
        for bad in ["", "12", "a.b", "1.2.3", "1.x"] {
            assert!(matches!(parse_cursor(bad), Err(SdkError::InvalidInput { .. })), "{bad:?}");
        }
        assert!(parse_cursor("1700000000000.42").is_ok());
    }
}
