//! REST API `/api/v1`: one module per resource, routes registered here.

mod auth;
mod conversations;
pub mod extract;
mod friends;
mod groups;
mod health;
mod users;

use actix_web::{HttpResponse, web};
use tidings_protocol::ErrorCode;

use crate::error::ApiError;

/// Registers every REST route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz)).route("/readyz", web::get().to(health::readyz)).service(
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
            .route("/conversations/{conv}/read", web::post().to(conversations::read))
            .route("/me/privacy", web::get().to(friends::privacy))
            .route("/me/privacy", web::put().to(friends::set_privacy))
            .route("/friends", web::get().to(friends::list))
            .route("/friends/requests", web::get().to(friends::list_requests))
            .route("/friends/requests", web::post().to(friends::send_request))
            .route("/friends/requests/{request_id}/accept", web::post().to(friends::accept))
            .route("/friends/requests/{request_id}/reject", web::post().to(friends::reject))
            .route("/friends/{user_id}", web::patch().to(friends::update))
            .route("/friends/{user_id}", web::delete().to(friends::remove))
            .route("/blocks", web::get().to(friends::list_blocks))
            .route("/blocks/{user_id}", web::put().to(friends::block))
            .route("/blocks/{user_id}", web::delete().to(friends::unblock))
            .route("/groups", web::post().to(groups::create))
            .route("/groups", web::get().to(groups::mine))
            .route("/groups/{group_id}", web::get().to(groups::get))
            .route("/groups/{group_id}", web::patch().to(groups::update))
            .route("/groups/{group_id}", web::delete().to(groups::dissolve))
            .route("/groups/{group_id}/members", web::get().to(groups::members))
            .route("/groups/{group_id}/members", web::post().to(groups::invite))
            .route("/groups/{group_id}/members/{user_id}", web::patch().to(groups::update_member))
            .route("/groups/{group_id}/members/{user_id}", web::delete().to(groups::kick))
            .route("/groups/{group_id}/me", web::patch().to(groups::update_me))
            .route("/groups/{group_id}/transfer", web::post().to(groups::transfer))
            .route("/groups/{group_id}/join", web::post().to(groups::join))
            .route("/groups/{group_id}/leave", web::post().to(groups::leave))
            .route("/groups/{group_id}/requests", web::get().to(groups::join_requests))
            .route("/groups/{group_id}/requests/{request_id}/approve", web::post().to(groups::approve))
            .route("/groups/{group_id}/requests/{request_id}/reject", web::post().to(groups::reject)),
    );
}

/// JSON 404 for unknown routes.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::new(
        ErrorCode::NotFound,
        actix_web::http::StatusCode::NOT_FOUND,
        "no such route",
    ))
}
