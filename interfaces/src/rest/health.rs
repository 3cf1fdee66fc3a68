//! `/healthz` (the process is alive) and `/readyz` (its dependencies answer).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::RouteTable;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(t: &mut RouteTable) {
    t.get("/healthz", healthz).get("/readyz", readyz);
}

/// The OpenAPI part of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz), components(schemas(Status)))]
pub(super) struct Api;

/// Answer of the health probes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Status {
    /// `ok` (`/healthz`), `ready` or `not_ready` (`/readyz`).
    status: &'static str,
    /// With `not_ready`: which dependency failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Liveness: the process runs.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "health",
    responses((status = 200, description = "The process runs: `{\"status\":\"ok\"}`.", body = Status))
)]
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok", reason: None })
}

/// Readiness: storage (and, in a cluster, Redis and RabbitMQ) answers.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "health",
    responses(
        (status = 200, description = "Storage (and, in a cluster, Redis and RabbitMQ) answers: `{\"status\":\"ready\"}`.", body = Status),
        (status = 503, description = "A dependency does not answer: `{\"status\":\"not_ready\",\"reason\":...}`.", body = Status),
    )
)]
pub(super) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.readiness.check().await {
        Ok(()) => HttpResponse::Ok().json(Status { status: "ready", reason: None }),
        Err(why) => HttpResponse::ServiceUnavailable().json(Status { status: "not_ready", reason: Some(why) }),
    }
}
