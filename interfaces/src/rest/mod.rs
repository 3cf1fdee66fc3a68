//! REST API `/api/v1`: one module per resource, routes registered here.

pub mod admin;
mod auth;
mod conversations;
pub mod extract;
mod health;
pub mod integration;
mod users;

use actix_web::{HttpResponse, web};
use tidings_protocol::ErrorCode;

use crate::error::ApiError;

/// Registers every REST route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(
            web::scope("/api/v1")
                .route("/auth/register", web::post().to(auth::register))
                .route("/auth/login", web::post().to(auth::login))
                .route("/auth/refresh", web::post().to(auth::refresh))
                .route("/auth/logout", web::post().to(auth::logout))
                .route("/me", web::get().to(users::me))
                .route("/me", web::patch().to(users::update_me))
                .route("/users/{user_id}", web::get().to(users::get))
                .route("/conversations", web::get().to(conversations::list))
                .route("/conversations/{conv}/messages", web::get().to(conversations::history))
                .route("/conversations/{conv}/messages", web::post().to(conversations::send))
                .route("/conversations/{conv}/read", web::post().to(conversations::read)),
        )
        .service(web::scope("/admin/v1").configure(admin::routes))
        .service(web::scope("/integration/v1").configure(integration::routes));
}

/// JSON 404 for unknown routes.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::new(
        ErrorCode::NotFound,
        actix_web::http::StatusCode::NOT_FOUND,
        "no such route",
    ))
}
