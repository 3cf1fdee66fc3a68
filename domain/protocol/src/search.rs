//! `GET /api/v1/search`: full-text search over the messages the caller may read; the same
//! parameters and page for an administrator's compliance search (`GET /admin/v1/search`), whose
//! every query lands in the audit log (`GET /admin/v1/audit`).

use serde::{Deserialize, Serialize};

use crate::WireMessage;

#[cfg(feature = "validate")]
use validator::Validate;

/// `?q=&conv=&from=&after=&before=&kind=&limit=&cursor=` of `GET /api/v1/search` (and of
/// `GET /admin/v1/search`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// What to find (1 to 100 characters): every word (by prefix) and every Chinese, Japanese or
    /// Korean run (as a substring) must match. Quotes, `*`, `-`, `OR` and the like are text.
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 100)))]
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 100))]
    pub q: String,
    /// Only this conversation (`d:{lo}:{hi}` or `g:{group_id}`).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 96)))]
    #[cfg_attr(feature = "openapi", param(max_length = 96))]
    pub conv: Option<String>,
    /// Only messages sent by this user.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 40)))]
    #[cfg_attr(feature = "openapi", param(max_length = 40))]
    pub from: Option<String>,
    /// Only messages sent after this time (Unix milliseconds, exclusive).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(range(min = 0)))]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub after: Option<i64>,
    /// Only messages sent before this time (Unix milliseconds, exclusive).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(range(min = 0)))]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub before: Option<i64>,
    /// Only messages of this kind: `text`, `image`, `file`, `voice` or `video`.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 16)))]
    #[cfg_attr(feature = "openapi", param(max_length = 16))]
    pub kind: Option<String>,
    /// Results per page (1 to 50, default 20).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(range(min = 1, max = 50)))]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 50))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 24)))]
    #[cfg_attr(feature = "openapi", param(max_length = 24))]
    pub cursor: Option<String>,
}

/// One message that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// The message as it is now (an edited one with its current text).
    pub message: WireMessage,
    /// The part of its text (or file name) around the first match, at most 120 characters.
    pub snippet: String,
    /// What matched in `snippet`: `[start, end)` pairs of character offsets, in order.
    pub highlights: Vec<[u32; 2]>,
}

/// A page of results, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    /// The matches.
    pub results: Vec<SearchHit>,
    /// Ask again with this `cursor` for older matches; absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `?before=&limit=` of `GET /admin/v1/audit`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(max = 24)))]
    #[cfg_attr(feature = "openapi", param(max_length = 24))]
    pub cursor: Option<String>,
    /// Entries per page (1 to 100, default 50).
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(range(min = 1, max = 100)))]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
}

/// One audited action of an administrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Position in the log (later entries are higher).
    pub id: u64,
    /// When, in Unix milliseconds.
    pub at: i64,
    /// The administrator.
    pub actor: String,
    /// What kind of action: `search`.
    pub action: String,
    /// What exactly; for `search`, the query and filters as asked (`q`, `conv`, `from`, `after`,
    /// `before`, `kind`, `limit`, `cursor`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
}

/// A page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditRecord>,
    /// Ask again with this `cursor` for older entries; absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
