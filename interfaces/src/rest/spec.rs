//! `GET /api/openapi.json`: the OpenAPI document of every REST route.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use tidings_protocol::ErrorCode;

use super::RouteTable;
use crate::error::ApiError;

/// Registers the routes of this module.
pub(super) fn routes(t: &mut RouteTable) {
    t.get("/api/openapi.json", openapi_json);
}

/// The OpenAPI part of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(openapi_json))]
pub(super) struct Api;

/// This OpenAPI document.
///
/// Built and serialized once per process.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses((status = 200, description = "This OpenAPI 3 document.", content_type = "application/json", body = Object))
)]
pub(super) async fn openapi_json() -> Result<HttpResponse, ApiError> {
    match crate::openapi::json() {
        Some(bytes) => Ok(HttpResponse::Ok().content_type("application/json").body(bytes)),
        None => Err(ApiError::new(ErrorCode::Internal, StatusCode::INTERNAL_SERVER_ERROR, "internal error")),
    }
}
