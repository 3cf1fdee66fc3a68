//! Cursor paging shared by the list routes: the `?after=&limit=` query and the next cursor.

use serde::Deserialize;

use crate::state::AppState;

/// `?after=&limit=` of lists ordered by id.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AfterPage {
    /// Cursor: the `next_after` of the previous page. Omit for the first page.
    pub after: Option<String>,
    /// Page size (at least 1; default and cap `limits.max_page`).
    pub limit: Option<u32>,
}

/// The cursor of the next page: the last row's key when the page came back full (another may
/// follow), else `None`.
pub(crate) fn next_cursor<T>(
    state: &AppState,
    limit: Option<u32>,
    rows: &[T],
    key: impl Fn(&T) -> String,
) -> Option<String> {
    let max = u64::from(state.settings.limits.max_page);
    let size = limit.map_or(max, |l| u64::from(l).min(max));
    let full = !rows.is_empty() && rows.len() as u64 >= size;
    if full { rows.last().map(key) } else { None }
}
