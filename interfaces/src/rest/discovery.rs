//! `GET /api/v1/discovery`: the instances a client should connect to, best first.

use actix_web::{HttpResponse, get, web};
use tidings_domain::discovery::{Asker, InstanceInfo};
use tidings_protocol::ErrorCode as C;
use tidings_protocol::discovery::{DiscoveredInstance, DiscoveryQuery, DiscoveryResponse};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::error::ApiError;
use crate::gateway::ClientIp;
use crate::state::AppState;

/// Registers the routes of this module.
pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(discovery);
}

/// Find the instances to connect to.
///
/// The healthy instances of the cluster for this client, best first: its home instance (the
/// one named by `last` while it has room, else the same instance for a device while that one
/// is healthy and not overloaded, so a reconnect lands where the device was), then the others
/// of its zone, then the least loaded. Draining and dead
/// instances are never offered. Needs no token; limited per address. In embedded mode the
/// answer is the server itself.
#[utoipa::path(
    operation_id = "discovery",
    tag = "discovery",
    params(DiscoveryQuery),
    responses((status = 200, description = "The instances to try, best first.", body = DiscoveryResponse)),
    extensions(("x-errors" = json!([C::InvalidField, C::IpDenied, C::RateLimited])))
)]
#[get("/api/v1/discovery")]
#[tracing::instrument(skip_all, fields(device = q.device_id.as_deref().unwrap_or("")))]
pub(super) async fn discovery(
    state: web::Data<AppState>,
    ip: ClientIp,
    q: web::Query<DiscoveryQuery>,
) -> Result<HttpResponse, ApiError> {
    state.check_discovery_rate(ip).await?;
    q.validate()?;
    let key = q.device_id.clone().unwrap_or_else(|| ip.0.to_string());
    let asker = Asker { key: &key, zone: q.zone.as_deref(), last: q.last.as_deref() };
    let found = state.discovery.recommend(asker).await?;
    Ok(HttpResponse::Ok().json(DiscoveryResponse {
        home: found.first().map(|i| i.id.clone()),
        instances: found.iter().map(wire).collect(),
        ttl_secs: state.config.discovery.client_ttl.as_secs(),
    }))
}

/// An instance on the wire.
fn wire(i: &InstanceInfo) -> DiscoveredInstance {
    DiscoveredInstance {
        id: i.id.clone(),
        url: i.url.clone(),
        ws_url: i.ws_url.clone(),
        zone: i.zone.clone(),
        connections: i.connections,
        capacity: i.capacity,
        load: i.load(),
        draining: i.draining,
    }
}
