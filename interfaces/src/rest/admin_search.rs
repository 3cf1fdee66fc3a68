//! `/admin/v1/search` and `/admin/v1/audit`: compliance search across every conversation, and
//! the audit log that records who searched what, when.

use actix_web::{HttpResponse, get, web};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::search::{AuditPage, AuditParams, AuditRecord, SearchPage, SearchParams};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::admin::{ADMIN_ONLY, AdminAuthed};
use super::paging::position_cursor;
use super::search::{page_of, request};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(admin_search).service(audit_log);
}

/// Search every conversation (compliance).
///
/// The messages matching `q` in every conversation, or only `conv`, whoever may read them, newest
/// first, with the parameters and rules of `GET /api/v1/search`. The query and its filters are
/// recorded in the audit log with the admin and the time before the search runs.
#[utoipa::path(
    operation_id = "admin_search_messages",
    tag = "admin",
    security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, description = "A page of results, newest first.", body = SearchPage)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::InvalidField, C::RateLimited]].concat())))
)]
#[get("/admin/v1/search")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn admin_search(
    state: web::Data<AppState>,
    who: AdminAuthed,
    q: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    state.check_search_rate(&who.0.id).await?;
    let page = state.search.search_everywhere(&who.0.id, &request(&q)?).await?;
    Ok(HttpResponse::Ok().json(page_of(&page)))
}

/// Read the audit log.
///
/// Administrators' audited actions (today: every compliance search), newest first.
#[utoipa::path(
    operation_id = "admin_audit_log",
    tag = "admin",
    security(("bearer" = [])),
    params(AuditParams),
    responses((status = 200, description = "A page of entries, newest first.", body = AuditPage)),
    extensions(("x-errors" = json!([ADMIN_ONLY, &[C::InvalidField]].concat())))
)]
#[get("/admin/v1/audit")]
#[tracing::instrument(skip_all, fields(admin = %who.0.id))]
async fn audit_log(
    state: web::Data<AppState>,
    who: AdminAuthed,
    q: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    q.validate()?;
    let before = position_cursor(q.cursor.as_deref())?;
    let limit = u64::from(q.limit.unwrap_or(50));
    let entries = state.search.audit_entries(before, limit).await?;
    let next_cursor = (entries.len() as u64 == limit).then(|| entries.last().map(|e| e.id.to_string())).flatten();
    let entries = entries
        .into_iter()
        .map(|e| AuditRecord { id: e.id, at: e.at, actor: e.actor.to_string(), action: e.action, detail: e.detail })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { entries, next_cursor }))
}
