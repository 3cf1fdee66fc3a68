//! The network part of choosing a server: `GET /api/v1/discovery` asked of one server after the
//! other until one answers, and the latency probe (`GET /healthz` on every candidate at once).

use std::time::{Duration, Instant};

use tidings_protocol::discovery::DiscoveryResponse;

use super::ServerCandidate;
use crate::rest::{Rest, percent_encode};

/// What asking for discovery came to.
#[derive(Debug)]
pub(super) enum Answer {
    /// A server answered with at least one instance.
    Found(DiscoveryResponse),
    /// A server does not know the route (404): an older server, no discovery.
    Unsupported,
    /// No server gave a usable answer.
    Nothing,
}

/// Who asks: this device, its zone, and the instance it was last connected to (so a reconnect
/// is sent back there while it has room).
#[derive(Debug, Clone, Copy)]
pub(super) struct Who<'a> {
    pub(super) device_id: &'a str,
    pub(super) zone: Option<&'a str>,
    pub(super) last: Option<&'a str>,
}

/// The path and query of the discovery request for this device.
fn path(who: Who<'_>) -> String {
    let mut path = format!("/api/v1/discovery?device_id={}", percent_encode(who.device_id));
    for (name, value) in [("zone", who.zone), ("last", who.last)] {
        if let Some(value) = value {
            path.push_str(&format!("&{name}={}", percent_encode(value)));
        }
    }
    path
}

/// Asks `servers` in order, each within `timeout`, until one answers. An error, a refusal
/// (`rate_limited`, `invalid_field`), an unreadable or empty answer moves on to the next; a 404
/// ends the search (the server has no discovery, so the configured list is what there is).
pub(super) async fn discover(rest: &Rest, servers: &[String], who: Who<'_>, timeout: Duration) -> Answer {
    let path = path(who);
    for server in servers {
        match rest.get_from(server, &path, timeout).await {
            Ok((200, body)) => match serde_json::from_slice::<DiscoveryResponse>(&body) {
                Ok(answer) if !answer.instances.is_empty() => {
                    tracing::debug!(%server, instances = answer.instances.len(), "discovery answered");
                    return Answer::Found(answer);
                }
                Ok(_) => tracing::debug!(%server, "discovery knows no healthy instance"),
                Err(e) => tracing::debug!(%server, error = %e, "unreadable discovery answer"),
            },
            Ok((404, _)) => {
                tracing::info!(%server, "the server has no discovery; using the configured servers");
                return Answer::Unsupported;
            }
            Ok((status, _)) => tracing::debug!(%server, status, "discovery refused"),
            Err(e) => tracing::debug!(%server, error = %e, "discovery unreachable"),
        }
    }
    Answer::Nothing
}

/// Times `GET {url}/healthz` on every candidate concurrently, each within `timeout`: the round
/// trip in ms of those that answered with a success status, `None` for the others.
pub(super) async fn probe(
    rest: &Rest,
    mut candidates: Vec<ServerCandidate>,
    timeout: Duration,
) -> Vec<ServerCandidate> {
    let timings = futures_util::future::join_all(candidates.iter().map(|c| async move {
        let started = Instant::now();
        match rest.get_from(&c.url, "/healthz", timeout).await {
            Ok((status, _)) if (200..300).contains(&status) => {
                Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX))
            }
            Ok((status, _)) => {
                tracing::debug!(server = %c.url, status, "probe: not healthy");
                None
            }
            Err(e) => {
                tracing::debug!(server = %c.url, error = %e, "probe: unreachable");
                None
            }
        }
    }))
    .await;
    for (candidate, rtt_ms) in candidates.iter_mut().zip(timings) {
        candidate.rtt_ms = rtt_ms;
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::{Who, path};

    #[test]
    fn device_zone_and_last_instance_are_escaped_into_the_query() {
        let who = Who { device_id: "dev-1", zone: None, last: None };
        assert_eq!(path(who), "/api/v1/discovery?device_id=dev-1");
        let who = Who { device_id: "a&b=c", zone: Some("eu west/1"), last: Some("node 2") };
        assert_eq!(path(who), "/api/v1/discovery?device_id=a%26b%3Dc&zone=eu%20west%2F1&last=node%202");
    }
}
