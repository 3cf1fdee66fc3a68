//! Protection at the door, before any handler runs: who may connect (IP allow/deny lists), who
//! the client really is behind trusted proxies, and the per-IP and per-account budgets of the
//! auth endpoints.

mod client_ip;
mod ip_policy;

pub use client_ip::ClientIp;
pub use ip_policy::{BadAddress, IpPolicy};

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::{HttpMessage, ResponseError};
use std::future::Future;
use std::sync::Arc;
use tidings_protocol::ErrorCode;

use crate::error::ApiError;

/// Paths a load balancer probes; they answer whatever the lists say.
const PROBES: [&str; 2] = ["/healthz", "/readyz"];

/// The middleware body: resolves the client address, refuses it with 403 `ip_denied` if the
/// lists say so, else records it for the handlers ([`ClientIp`]) and calls the next service.
pub fn admit<S, B>(
    policy: &Arc<IpPolicy>,
    req: ServiceRequest,
    next: &S,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody + 'static,
{
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = policy.client_ip(req.peer_addr().map(|a| a.ip()), forwarded);
    let denied = !PROBES.contains(&req.path()) && ip.is_some_and(|ip| !policy.admits(ip));
    let call = if denied {
        tracing::info!(ip = ?ip, "address refused by the gateway lists");
        let refusal = ApiError::new(ErrorCode::IpDenied, "this address may not connect");
        Err(req.into_response(refusal.error_response()))
    } else {
        if let Some(ip) = ip {
            req.extensions_mut().insert(ClientIp(ip));
        }
        Ok(next.call(req))
    };
    async move {
        match call {
            Ok(fut) => fut.await.map(ServiceResponse::map_into_boxed_body),
            Err(refused) => Ok(refused),
        }
    }
}

/// Headers on every response (a handler's own, such as media's `Content-Security-Policy`, win):
/// the API serves data, never pages, so nothing it answers may be sniffed into a script, framed
/// or given a referrer.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"))
}
