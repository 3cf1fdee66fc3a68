//! `GET /api/openapi.json`: the OpenAPI document of every REST route.

use actix_web::{HttpResponse, get};
use tidings_protocol::ErrorCode;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(openapi_json);
}

/// This OpenAPI document.
///
/// Built and serialized once per process.
#[utoipa::path(
    operation_id = "openapi",
    tag = "meta",
    responses((status = 200, description = "This OpenAPI 3 document.", content_type = "application/json", body = Object))
)]
#[get("/api/openapi.json")]
pub(super) async fn openapi_json() -> Result<HttpResponse, ApiError> {
    match crate::openapi::json() {
        Some(bytes) => Ok(HttpResponse::Ok().content_type("application/json").body(bytes)),
        None => Err(ApiError::new(ErrorCode::Internal, "internal error")),
    }
}
