//! Cursor paging shared by the list routes: the `?after=&limit=` query and the next cursor.

use serde::Deserialize;
use tidings_domain::UserId;
use tidings_domain::social::RequestStatus;

use crate::error::ApiError;

use crate::state::AppState;

/// `?after=&limit=` of lists ordered by id.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AfterPage {
    /// Cursor: the `next_after` of the previous page. Omit for the first page.
    pub after: Option<String>,
    /// Page size (at least 1; default and cap `limits.max_page`).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    pub limit: Option<u32>,
}

impl AfterPage {
    /// The `after` cursor of lists ordered by user id: absent, or a user id.
    pub(crate) fn after_user(&self) -> Result<Option<UserId>, ApiError> {
        let parse = |a: &str| UserId::parse(a).ok_or_else(|| ApiError::invalid("after must be a user id"));
        self.after.as_deref().map(parse).transpose()
    }
}

/// The `?status=` filter of request lists (friend and join requests).
pub(crate) fn request_status(raw: Option<&str>) -> Result<Option<RequestStatus>, ApiError> {
    let parse = |s: &str| {
        RequestStatus::parse(s).ok_or_else(|| ApiError::invalid("status must be pending, accepted or rejected"))
    };
    raw.map(parse).transpose()
}

/// A position cursor this server handed out (search results, audit entries): a number.
pub(crate) fn position_cursor(raw: Option<&str>) -> Result<Option<u64>, ApiError> {
    raw.map(|c| c.parse::<u64>().map_err(|_| ApiError::invalid("cursor: not one this server gave"))).transpose()
}

/// The cursor of the next page: the last row's key when the page came back full (another may
/// follow), else `None`.
pub(crate) fn next_cursor<T>(
    state: &AppState,
    limit: Option<u32>,
    rows: &[T],
    key: impl Fn(&T) -> String,
) -> Option<String> {
    let max = u64::from(state.config.limits.max_page);
    let size = limit.map_or(max, |l| u64::from(l).min(max));
    let full = !rows.is_empty() && rows.len() as u64 >= size;
    if full { rows.last().map(key) } else { None }
}
