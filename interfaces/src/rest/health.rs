//! `/healthz` (the process is alive) and `/readyz` (its dependencies answer).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// Alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready to serve: storage answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.readiness.check().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(why) => HttpResponse::ServiceUnavailable().json(json!({"status": "not_ready", "reason": why})),
    }
}
