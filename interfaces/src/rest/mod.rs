//! REST API: one module per resource. Each module registers its routes in `routes(t)` and
//! documents them in its `Api`; the two lists below name every module once.

pub mod admin;
mod admin_groups;
mod auth;
mod conversations;
mod devices;
pub(crate) mod doc;
pub mod extract;
mod friends;
mod groups;
mod health;
pub mod integration;
mod media;
mod media_serve;
mod media_stage;
mod paging;
mod recall;
mod receipts;
pub mod routes;
mod spec;
mod users;

use actix_web::{HttpResponse, web};
use tidings_protocol::ErrorCode;
use utoipa::OpenApi as _;

pub use self::routes::RouteTable;
use crate::error::ApiError;

/// Every REST route, one line per module.
fn register(t: &mut RouteTable) {
    health::routes(t);
    spec::routes(t);
    auth::routes(t);
    users::routes(t);
    devices::routes(t);
    conversations::routes(t);
    recall::routes(t);
    receipts::routes(t);
    friends::routes(t);
    groups::routes(t);
    admin::routes(t);
    admin_groups::routes(t);
    integration::routes(t);
    media::routes(t);
}

/// The OpenAPI part of every module, one line per module (merged by [`crate::openapi::document`]).
pub(crate) fn api_docs() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        health::Api::openapi(),
        spec::Api::openapi(),
        auth::Api::openapi(),
        users::Api::openapi(),
        devices::Api::openapi(),
        conversations::Api::openapi(),
        recall::Api::openapi(),
        receipts::Api::openapi(),
        friends::Api::openapi(),
        groups::Api::openapi(),
        admin::Api::openapi(),
        admin_groups::Api::openapi(),
        integration::Api::openapi(),
        media::Api::openapi(),
    ]
}

/// Registers every REST route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let mut table = RouteTable::serving(cfg);
    register(&mut table);
    table.close();
}

/// Every REST route as `(METHOD, full path)`, from the same registration code as [`routes`].
pub fn route_list() -> Vec<(String, String)> {
    let mut t = RouteTable::listing();
    register(&mut t);
    t.into_list()
}

/// JSON 404 for unknown routes.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::new(
        ErrorCode::NotFound,
        actix_web::http::StatusCode::NOT_FOUND,
        "no such route",
    ))
}
