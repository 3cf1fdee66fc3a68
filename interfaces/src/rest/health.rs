//! `/healthz` (the process is alive) and `/readyz` (its dependencies answer).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::metrics::Observed;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// Answer of the health probes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Status {
    /// `ok` (`/healthz`), `ready`, `not_ready` or `draining` (`/readyz`).
    status: &'static str,
    /// With `not_ready`: which dependency failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Liveness: the process runs.
#[utoipa::path(
    operation_id = "healthz",
    tag = "health",
    responses((status = 200, description = "The process runs: `{\"status\":\"ok\"}`.", body = Status))
)]
#[get("/healthz")]
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok", reason: None })
}

/// Readiness: storage (and, in a cluster, Redis and RabbitMQ) answers.
#[utoipa::path(
    operation_id = "readyz",
    tag = "health",
    responses(
        (status = 200, description = "Storage (and, in a cluster, Redis and RabbitMQ) answers: `{\"status\":\"ready\"}`.", body = Status),
        (status = 503, description = "A dependency does not answer: `{\"status\":\"not_ready\",\"reason\":...}`; or the instance is shutting down (graceful drain): `{\"status\":\"draining\"}`.", body = Status),
    )
)]
#[get("/readyz")]
pub(super) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.drain.is_draining() {
        return HttpResponse::ServiceUnavailable().json(Status { status: "draining", reason: None });
    }
    match state.readiness.check().await {
        Ok(()) => HttpResponse::Ok().json(Status { status: "ready", reason: None }),
        Err(why) => HttpResponse::ServiceUnavailable().json(Status { status: "not_ready", reason: Some(why) }),
    }
}

/// Prometheus metrics of this instance (OpenMetrics text).
///
/// Connections, frames in and out by type, sends by outcome, the ack latency histogram, pushes
/// and slow-consumer closes, offline-push outcomes, REST requests by status class (429 counts
/// rate-limit refusals) and latency, error frames by code, and readiness. The list is in
/// `docs/operations.md`; restrict who may scrape with `gateway.allow` or at the proxy.
#[utoipa::path(
    operation_id = "metrics",
    tag = "health",
    responses((status = 200, description = "The exposition, `application/openmetrics-text`.", content_type = "application/openmetrics-text", body = String))
)]
#[get("/metrics")]
pub(super) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let read = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    let (pushes, slow_consumers) = state.hub.counts().read();
    let offline_push = state.offline_push.as_ref().map_or([0; 4], |p| {
        let s = p.stats();
        [read(&s.delivered), read(&s.failed), read(&s.dropped), read(&s.no_device)]
    });
    let mut native_push = [[0; 6]; 2];
    for sender in &state.native_push {
        let s = sender.stats();
        let slot = usize::from(sender.platform() == tidings_domain::device_push::PushPlatform::Fcm);
        native_push[slot] =
            [&s.delivered, &s.invalid_token, &s.failed, &s.retried, &s.throttled, &s.credential_refreshes].map(read);
    }
    let p = state.messaging.pipeline_stats();
    let commits = [read(&p.batches), read(&p.messages), read(&p.failures), read(&p.refused_full)];
    let push_order = state.push_order.as_ref().map_or([0; 3], |o| o.observed());
    let observed = Observed {
        commits,
        push_order,
        commit_micros: read(&p.append_micros),
        commit_buckets: std::array::from_fn(|i| read(&p.append_buckets[i])),
        redis: tidings_infrastructure::cluster::stats::REDIS.read(),
        amqp_publish: tidings_infrastructure::cluster::stats::AMQP_PUBLISH.read(),
        connections: state.hub.device_count() as u64,
        ready: state.readiness.check().await.is_ok(),
        pushes,
        slow_consumers,
        offline_push,
        native_push,
    };
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render(observed))
}
