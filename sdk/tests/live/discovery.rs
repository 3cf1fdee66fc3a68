//! Discovery against real servers: the SDK asks `GET /api/v1/discovery`, probes the candidates,
//! connects to the best one, falls back past dead addresses, remembers the server that worked
//! (asked first after a restart) and, in a cluster, moves to the other instance when its own stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tidings_sdk::ServerCandidate;
use tidings_tests::fake_http::{Handler, ServerGuard, empty_response, serve_http1};
use tidings_tests::{Api, Backend, TestServer, both_modes, spawn_server};

use crate::support::{App, PASSWORD, until};

fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// An address nothing listens on: a port bound, then let go.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    url(listener.local_addr().unwrap().port())
}

/// A server that answers every request with 503 and counts the discovery requests it gets.
struct Refuser {
    url: String,
    discovery_requests: Arc<AtomicUsize>,
    _server: ServerGuard,
}

impl Refuser {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url(listener.local_addr().unwrap().port());
        let discovery_requests = Arc::new(AtomicUsize::new(0));
        let count = discovery_requests.clone();
        let handler: Handler = Arc::new(move |request| {
            if request.path == "/api/v1/discovery" {
                count.fetch_add(1, Ordering::SeqCst);
            }
            empty_response(503)
        });
        Self { url, discovery_requests, _server: serve_http1(listener, handler) }
    }

    fn asked(&self) -> usize {
        self.discovery_requests.load(Ordering::SeqCst)
    }
}

/// Waits until `api`'s discovery answer lists `n` instances (each announces itself as it starts).
async fn discoverable(api: &Api, n: usize) {
    until(&format!("{n} instances discoverable"), || async {
        let (status, body) = api.call("GET", "/api/v1/discovery", None, None).await;
        status == 200 && body["instances"].as_array().is_some_and(|i| i.len() == n)
    })
    .await;
}

fn candidate<'a>(candidates: &'a [ServerCandidate], url: &str) -> &'a ServerCandidate {
    candidates.iter().find(|c| c.url == url).unwrap_or_else(|| panic!("{url} not among {candidates:#?}"))
}

both_modes!(the_client_connects_where_discovery_points_and_reports_the_probe);
async fn the_client_connects_where_discovery_points_and_reports_the_probe(backend: Backend) {
    let srv = spawn_server(backend).await;
    srv.api.register("alice").await;
    let server = url(srv.port());
    let dir = tempfile::tempdir().unwrap();
    discoverable(&srv.api, 1).await;
    let mut app = App::with(vec![server.clone()], dir.path(), "a-phone", |c| c.discovery = true).await;
    assert_eq!(app.client.chosen_server(), None, "nothing chosen before the first connection");
    app.login_and_connect("alice").await;

    assert_eq!(app.client.chosen_server(), Some(server.clone()));
    let candidates = app.client.server_candidates();
    assert_eq!(candidates.len(), 1, "one server, one candidate: {candidates:#?}");
    let it = &candidates[0];
    assert_eq!(it.url, server);
    assert!(!it.id.is_empty(), "discovery named the instance: {it:?}");
    assert!(it.rtt_ms.is_some_and(|ms| ms < 2_000), "probed: {it:?}");
    assert!(it.load >= 0.0, "{it:?}");
    app.client.shutdown().await;
}

#[tokio::test]
async fn dead_addresses_are_skipped_and_the_last_good_server_is_asked_first_after_a_restart() {
    let srv = spawn_server(Backend::Embedded).await;
    srv.api.register("alice").await;
    let server = url(srv.port());
    let dead = closed_port();
    let refuser = Refuser::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The session comes from a login through the live server alone (REST would stop at the
    // refuser's 503): the clients below start logged in, from the store.
    let first = App::new(vec![server.clone()], dir.path(), "a-phone").await;
    first.client.login("alice".into(), PASSWORD.into()).await.unwrap();
    first.client.shutdown().await;

    let servers = vec![dead.clone(), refuser.url.clone(), server.clone()];
    let mut app = App::with(servers.clone(), dir.path(), "a-phone", |c| c.discovery = true).await;
    app.connect().await;
    assert_eq!(app.client.chosen_server(), Some(server.clone()));
    assert_eq!(refuser.asked(), 1, "discovery was asked down the configured list, past the dead address");
    let candidates = app.client.server_candidates();
    assert_eq!(candidates[0].url, server, "the live server first: {candidates:#?}");
    assert!(candidates[0].rtt_ms.is_some());
    for fallback in [&dead, &refuser.url] {
        let c = candidate(&candidates, fallback);
        assert_eq!((c.id.as_str(), c.rtt_ms), ("", None), "a configured fallback that did not answer the probe");
    }
    app.client.shutdown().await;

    // A restart: the same store, the same list. The server that worked is asked first, so the
    // dead address and the refuser are not asked again.
    let mut again = App::with(servers, dir.path(), "a-phone", |c| c.discovery = true).await;
    again.connect().await;
    assert_eq!(again.client.chosen_server(), Some(server));
    assert_eq!(refuser.asked(), 1, "the remembered server answered discovery first");
    again.client.shutdown().await;
}

#[tokio::test]
async fn without_discovery_the_configured_list_is_walked_in_order() {
    let srv = spawn_server(Backend::Embedded).await;
    srv.api.register("alice").await;
    let server = url(srv.port());
    let dead = closed_port();
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![dead.clone(), server.clone()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    assert_eq!(app.client.chosen_server(), Some(server.clone()));
    let listed: Vec<(String, Option<u64>)> =
        app.client.server_candidates().into_iter().map(|c| (c.url, c.rtt_ms)).collect();
    assert_eq!(listed, vec![(dead, None), (server, None)], "the configured list, unprobed");
    app.client.shutdown().await;
}

#[tokio::test]
async fn a_client_moves_to_the_other_instance_discovery_named_when_its_own_stops() {
    let Some(backend) = Backend::cluster("sdk::discovery_failover") else { return };
    let first = spawn_server(backend).await;
    let second = first.peer().await.unwrap();
    first.api.register("alice").await;
    let (first_url, second_url) = (url(first.port()), url(second.port()));
    let dir = tempfile::tempdir().unwrap();
    // Only the first instance is configured: the second is known through discovery alone.
    let mut app = App::with(vec![first_url.clone()], dir.path(), "a-phone", |c| c.discovery = true).await;
    app.client.login("alice".into(), PASSWORD.into()).await.unwrap();
    discoverable(&first.api, 2).await;
    app.client.connect().await.unwrap();
    let on = app.connected().await;
    let candidates = app.client.server_candidates();
    for instance in [&first_url, &second_url] {
        assert!(!candidate(&candidates, instance).id.is_empty(), "discovery named {instance}: {candidates:#?}");
    }
    assert_eq!(app.client.chosen_server(), Some(on.clone()));

    // The instance the client is on stops; the client goes to the other one.
    let (gone, other): (TestServer, String) = if on == first_url { (first, second_url) } else { (second, first_url) };
    gone.stop().await;
    let moved = app.connected().await;
    assert_eq!(moved, other, "the client moved to the live instance");
    until("chosen server follows", || async { app.client.chosen_server() == Some(other.clone()) }).await;
    app.client.shutdown().await;
}
