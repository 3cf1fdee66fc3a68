//! The client's address as the gateway resolved it, for handlers that budget per IP.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

/// The address of whoever made the request (behind trusted proxies: the nearest untrusted hop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequest for ClientIp {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Set by the gateway middleware; a request without one (no peer address: a test
        // harness) counts as the unspecified address.
        let ip = req
            .extensions()
            .get::<ClientIp>()
            .copied()
            .or_else(|| req.peer_addr().map(|a| ClientIp(a.ip())))
            .unwrap_or(ClientIp(IpAddr::from([0, 0, 0, 0])));
        ready(Ok(ip))
    }
}
