//! What answers a request no route takes: 405 `method_not_allowed` with `Allow` on a known path
//! asked with a method it does not have, the JSON 404 `not_found` on an unknown path.

use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{HttpResponse, ResponseError as _, web};
use tidings_protocol::ErrorCode;
use utoipa::openapi::path::{PathItem, Paths};

use crate::error::ApiError;

/// Registers, for every documented path, a resource that takes whatever methods its operations
/// left and answers 405 with the methods it has. Registered after the routes: a resource without
/// a method guard only sees the requests the path's own (guarded) resources turned down.
pub(super) fn method_not_allowed(cfg: &mut web::ServiceConfig, paths: &Paths) {
    for (path, item) in &paths.paths {
        let allow = methods(item).join(", ");
        cfg.route(path, web::route().to(move || std::future::ready(refuse(&allow))));
    }
}

/// The methods a path item has operations for, as HTTP method names.
fn methods(item: &PathItem) -> Vec<&'static str> {
    let all = [
        ("GET", &item.get),
        ("HEAD", &item.head),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
        ("OPTIONS", &item.options),
        ("TRACE", &item.trace),
    ];
    all.into_iter().filter(|(_, op)| op.is_some()).map(|(method, _)| method).collect()
}

/// The 405 of a known path asked with a method it does not have.
fn refuse(allow: &str) -> HttpResponse {
    let error = ApiError::new(ErrorCode::MethodNotAllowed, format!("this path takes {allow}"));
    let mut response = error.error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// JSON 404 for unknown routes.
pub async fn not_found() -> HttpResponse {
    ApiError::new(ErrorCode::NotFound, "no such route").error_response()
}
