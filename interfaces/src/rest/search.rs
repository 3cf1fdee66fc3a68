//! `GET /api/v1/search`: full-text search over what the caller may read.

use actix_web::{HttpResponse, get, web};
use tidings_app::messaging::parse_conv;
use tidings_app::search::{FoundPage, SearchFilter, SearchRequest};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::search::{SearchHit, SearchPage, SearchParams};
use utoipa_actix_web::service_config::ServiceConfig;

use validator::Validate;

use super::extract::Authed;
use super::paging::position_cursor;
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(search);
}

/// Search messages.
///
/// The messages the caller may read that match `q`, newest first: in every conversation they
/// are a member of (or only `conv`), within what they may see of each. Words match by prefix,
/// Chinese, Japanese and Korean text as a substring; every part of the query must match. A
/// recalled message never matches; an edited one matches its current text only; a file matches
/// by its name. Each result carries a snippet of its text with the matches marked.
#[utoipa::path(
    operation_id = "search_messages",
    tag = "conversations",
    security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, description = "A page of results, newest first.", body = SearchPage)),
    extensions(("x-errors" = json!([C::InvalidField, C::NotMember, C::RateLimited])))
)]
#[get("/api/v1/search")]
#[tracing::instrument(skip_all, fields(user = %who.0.user_id))]
pub(super) async fn search(
    state: web::Data<AppState>,
    who: Authed,
    q: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    let user = &who.0.user_id;
    state.check_search_rate(user).await?;
    let page = state.search.search(user, &request(&q)?).await?;
    Ok(HttpResponse::Ok().json(page_of(&page)))
}

/// The service's request for the wire's parameters.
pub(super) fn request(q: &SearchParams) -> Result<SearchRequest, ApiError> {
    let conv = q.conv.as_deref().map(parse_conv).transpose()?;
    let cursor = position_cursor(q.cursor.as_deref())?;
    let filter = SearchFilter::parse(q.from.as_deref(), q.after, q.before, q.kind.as_deref())?;
    Ok(SearchRequest { text: q.q.clone(), conv, filter, limit: q.limit, cursor })
}

/// The wire's page of the service's results.
pub(super) fn page_of(page: &FoundPage) -> SearchPage {
    let results = page
        .results
        .iter()
        .map(|f| SearchHit {
            message: wire::message(&f.message),
            snippet: f.snippet.clone(),
            highlights: f.highlights.iter().map(|&(a, b)| [a as u32, b as u32]).collect(),
        })
        .collect();
    SearchPage { results, next_cursor: page.next.map(|n| n.to_string()) }
}
