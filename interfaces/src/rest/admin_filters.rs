//! `/admin/v1/filters` and `/admin/v1/flagged`: the administrators' word lists (create, read,
//! replace, delete; a change applies on every instance within a second) and the review list of
//! text their Flag lists caught.
//!
//! A list's body may be far larger than other requests (hundreds of thousands of words), so the
//! two routes that take one read it with a bound of their own, [`MAX_LIST_BODY`], instead of the
//! server-wide JSON limit.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use futures_util::StreamExt;
use tidings_app::content::ListInput;
use tidings_domain::content::{FilterAction, FilterList, FlaggedContent};
use tidings_domain::ports::FlagQuery;
use tidings_protocol::ErrorCode as C;
use tidings_protocol::filters::{
    FilterListPage, FilterListRequest, FilterListView, FlaggedPage, FlaggedParams, FlaggedRecord,
};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::admin::{ADMIN_ONLY, AdminAuthed};
use super::paging::position_cursor;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest body of a list's create or replace.
pub const MAX_LIST_BODY: usize = 16 * 1024 * 1024;

const LIST_ID: &str = "The list's id (`fl_…`).";

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_filters)
        .service(create_filter)
        .service(get_filter)
        .service(replace_filter)
        .service(delete_filter)
        .service(flagged);
}

/// List the word lists.
///
/// Every list with its action and word count (not its words), by id.
#[utoipa::path(
    operation_id = "admin_list_filters",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "The lists.", body = FilterListPage)),
    extensions(("x-errors" = json!(ADMIN_ONLY)))
)]
#[get("/admin/v1/filters")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn list_filters(state: web::Data<AppState>, who: AdminAuthed) -> Result<HttpResponse, ApiError> {
    let lists = state.filters.lists().await?.into_iter().map(|l| view(l, false)).collect();
    Ok(HttpResponse::Ok().json(FilterListPage { lists }))
}

/// Create a word list.
///
/// It applies to every send, edit, display name, group name and announcement from then on, on
/// every instance within a second. Refused with `invalid_field` (naming the word) when a word is
/// longer than 64 characters or empty once normalized, or the lists together would pass the
/// word bound; `conflict` when the name is taken or there are 64 lists.
#[utoipa::path(
    operation_id = "admin_create_filter",
    tag = "admin",
    security(("bearer" = [])),
    request_body = FilterListRequest,
    responses((status = 201, description = "The new list.", body = FilterListView)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::InvalidField, C::Conflict]].concat())))
)]
#[post("/admin/v1/filters")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn create_filter(
    state: web::Data<AppState>,
    who: AdminAuthed,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let input = list_input(&req, body).await?;
    let list = state.filters.create(input).await?;
    Ok(HttpResponse::Created().json(view(list, true)))
}

/// Read a word list with its words.
#[utoipa::path(
    operation_id = "admin_get_filter",
    tag = "admin",
    security(("bearer" = [])),
    params(("filter_id" = String, Path, description = LIST_ID)),
    responses((status = 200, description = "The list.", body = FilterListView)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound]].concat())))
)]
#[get("/admin/v1/filters/{filter_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, list = %path))]
async fn get_filter(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view(state.filters.get(&path).await?, true)))
}

/// Replace a word list's name, action and words.
#[utoipa::path(
    operation_id = "admin_replace_filter",
    tag = "admin",
    security(("bearer" = [])),
    params(("filter_id" = String, Path, description = LIST_ID)),
    request_body = FilterListRequest,
    responses((status = 200, description = "The list as it is now.", body = FilterListView)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound, C::InvalidField, C::Conflict]].concat())))
)]
#[put("/admin/v1/filters/{filter_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, list = %path))]
async fn replace_filter(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let input = list_input(&req, body).await?;
    Ok(HttpResponse::Ok().json(view(state.filters.replace(&path, input).await?, true)))
}

/// Delete a word list.
#[utoipa::path(
    operation_id = "admin_delete_filter",
    tag = "admin",
    security(("bearer" = [])),
    params(("filter_id" = String, Path, description = LIST_ID)),
    responses((status = 204, description = "Deleted; it stops applying within a second everywhere.")),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::NotFound]].concat())))
)]
#[delete("/admin/v1/filters/{filter_id}")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id, list = %path))]
async fn delete_filter(
    state: web::Data<AppState>,
    who: AdminAuthed,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.filters.delete(&path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read the review list of flagged content.
///
/// Text a `flag` list matched (messages, edits, display names, group names, announcements),
/// newest first. It was stored as written (or masked, if a `mask` list matched too).
#[utoipa::path(
    operation_id = "admin_flagged_content",
    tag = "admin",
    security(("bearer" = [])),
    params(FlaggedParams),
    responses((status = 200, description = "A page of entries, newest first.", body = FlaggedPage)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::InvalidField]].concat())))
)]
#[get("/admin/v1/flagged")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn flagged(
    state: web::Data<AppState>,
    who: AdminAuthed,
    q: web::Query<FlaggedParams>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    let before = position_cursor(q.cursor.as_deref())?;
    let limit = u64::from(q.limit.unwrap_or(50));
    let entries = state.filters.flagged(FlagQuery { before, limit }).await?;
    let next_cursor = (entries.len() as u64 == limit).then(|| entries.last().map(|e| e.id.to_string())).flatten();
    Ok(HttpResponse::Ok().json(FlaggedPage { entries: entries.into_iter().map(record).collect(), next_cursor }))
}

/// The request body of a create or replace, read up to [`MAX_LIST_BODY`].
async fn list_input(req: &HttpRequest, mut payload: web::Payload) -> Result<ListInput, ApiError> {
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    if !json {
        return Err(ApiError::not_json("expected Content-Type: application/json"));
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::new(C::BadJson, e.to_string()))?;
        if bytes.len() + chunk.len() > MAX_LIST_BODY {
            return Err(ApiError::new(C::PayloadTooLarge, format!("a list's body is at most {MAX_LIST_BODY} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    let body: FilterListRequest = serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_data() { ApiError::invalid(e.to_string()) } else { ApiError::new(C::BadJson, e.to_string()) }
    })?;
    body.validate()?;
    let action =
        FilterAction::parse(&body.action).ok_or_else(|| ApiError::invalid("action must be reject, mask or flag"))?;
    Ok(ListInput { name: body.name, action, words: body.words })
}

fn view(l: FilterList, with_words: bool) -> FilterListView {
    FilterListView {
        id: l.id,
        name: l.name,
        action: l.action.as_str().to_owned(),
        word_count: l.words.len() as u64,
        words: with_words.then_some(l.words),
        updated_at: l.updated_at,
    }
}

fn record(f: FlaggedContent) -> FlaggedRecord {
    FlaggedRecord {
        id: f.id,
        at: f.at,
        subject: f.subject.as_str().to_owned(),
        author: f.author.to_string(),
        conv: f.conv.map(|c| c.to_string()),
        reference: f.reference,
        lists: f.lists,
        words: f.words,
        excerpt: f.excerpt,
    }
}
