//! REST API: one module per resource. A route is declared once, on its handler: actix's route
//! macro (`#[get("/api/v1/me")]`) gives its method and path, and `#[utoipa::path(...)]` above it
//! the rest of its operation, with the error codes it answers beyond what its security and body
//! imply (`x-errors`; [`crate::openapi`] turns codes into responses). Each module names its
//! handlers once in `routes`, and [`register`] names every module once: the server and the
//! OpenAPI document are both built from that one registration.

pub mod admin;
mod admin_bots;
mod admin_filters;
mod admin_groups;
mod admin_search;
mod admin_webhooks;
mod auth;
mod conversations;
mod devices;
mod discovery;
pub(crate) mod doc;
mod edits;
pub mod extract;
mod fallback;
mod forward;
mod friends;
mod group_joins;
mod group_members;
mod groups;
mod health;
pub mod integration;
mod media;
mod media_serve;
mod media_stage;
mod paging;
mod pins;
mod push;
mod reactions;
mod recall;
mod receipts;
mod search;
mod spec;
mod threads;
mod users;

use actix_web::App;
use actix_web::dev::{ServiceFactory, ServiceRequest};
use utoipa_actix_web::AppExt as _;
use utoipa_actix_web::service_config::ServiceConfig;

pub use self::fallback::not_found;

/// Every REST route, one line per module.
fn register(cfg: &mut ServiceConfig) {
    health::routes(cfg);
    discovery::routes(cfg);
    spec::routes(cfg);
    auth::routes(cfg);
    users::routes(cfg);
    devices::routes(cfg);
    push::routes(cfg);
    conversations::routes(cfg);
    pins::routes(cfg);
    search::routes(cfg);
    forward::routes(cfg);
    recall::routes(cfg);
    edits::routes(cfg);
    reactions::routes(cfg);
    threads::routes(cfg);
    receipts::routes(cfg);
    friends::routes(cfg);
    groups::routes(cfg);
    group_members::routes(cfg);
    group_joins::routes(cfg);
    admin::routes(cfg);
    admin_groups::routes(cfg);
    admin_search::routes(cfg);
    admin_filters::routes(cfg);
    admin_webhooks::routes(cfg);
    admin_bots::routes(cfg);
    integration::routes(cfg);
    media::routes(cfg);
}

/// `app` with every REST route, then, for each of their paths, a 405 for the methods it lacks
/// (read from the operations the same registration collected).
pub fn routes<T>(app: App<T>) -> App<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    let (app, api) = app.into_utoipa_app().configure(register).split_for_parts();
    app.configure(|cfg| fallback::method_not_allowed(cfg, &api.paths))
}

/// Every REST operation and the schemas they use, as registering the routes collects them (on
/// an app that is never run).
pub(crate) fn operations() -> utoipa::openapi::OpenApi {
    App::new().into_utoipa_app().configure(register).split_for_parts().1
}
