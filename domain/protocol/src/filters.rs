//! `/admin/v1/filters` and `/admin/v1/flagged`: the administrators' word lists, and the text
//! their Flag lists caught.

use serde::{Deserialize, Serialize};
#[cfg(feature = "validate")]
use validator::Validate;

/// A word list as an administrator writes it (create or replace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FilterListRequest {
    /// Unique name (1 to 64 characters, not blank, no control characters).
    #[cfg_attr(
        feature = "validate",
        validate(length(min = 1, max = 64), custom(function = "crate::rest::rules::shown_name"))
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::text::shown_name_schema))]
    pub name: String,
    /// What a match does: `reject` (the send or name is refused with `content_rejected`),
    /// `mask` (each character of the word is stored as `*`) or `flag` (stored as written and
    /// listed at `/admin/v1/flagged`).
    #[cfg_attr(feature = "openapi", schema(pattern = "^(reject|mask|flag)$"))]
    pub action: String,
    /// The words (at most 64 characters each, no line breaks; words without a letter or digit
    /// are dropped: they could never match). They match whatever their case or width,
    /// traditional or simplified, and with spaces or symbols between their characters; words of
    /// ASCII letters and digits only match whole words.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::filter_words))]
    pub words: Vec<String>,
}

/// A word list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilterListView {
    /// `fl_…`.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// `reject`, `mask` or `flag`.
    pub action: String,
    /// How many words.
    pub word_count: u64,
    /// The words (absent in listings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<String>>,
    /// Last change, Unix milliseconds.
    pub updated_at: i64,
}

/// Every word list, without their words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilterListPage {
    /// The lists, by id.
    pub lists: Vec<FilterListView>,
}

/// Query of `GET /admin/v1/flagged`: the audit log's paging (`cursor`, `limit` 1 to 100).
pub use crate::search::AuditParams as FlaggedParams;

/// Text a Flag list caught.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlaggedRecord {
    /// Position in the review list (later entries are higher).
    pub id: u64,
    /// When, Unix milliseconds.
    pub at: i64,
    /// `message`, `edit`, `display_name`, `group_name` or `announcement`.
    pub subject: String,
    /// Who wrote it.
    pub author: String,
    /// The conversation (messages and edits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv: Option<String>,
    /// A message's `client_msg_id` (with `author`, it names the stored message), or the
    /// edited message's seq.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The Flag lists that matched.
    pub lists: Vec<String>,
    /// The words that matched.
    pub words: Vec<String>,
    /// The text as written (up to 500 characters).
    pub excerpt: String,
}

/// A page of the review list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlaggedPage {
    /// The entries.
    pub entries: Vec<FlaggedRecord>,
    /// Ask again with this `cursor` for older entries; absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
