//! Gateway housekeeping: keepalive and idle timeout, health endpoints.

use std::time::Duration;

use serde_json::json;
use tidings_tests::client::{Closed, WsClient};
use tidings_tests::{Backend, spawn_server_on, spawn_server_on_with};

async fn silent_clients_are_closed_and_live_ones_kept(backend: Backend) {
    let srv = spawn_server_on_with(backend, |s| {
        s.ws.heartbeat_secs = 1;
        s.ws.idle_timeout_secs = 2;
    })
    .await;
    let a = srv.api.user("alice", "a1").await;
    let a2 = srv.api.login("alice", "a2").await;
    let mut silent = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut live = WsClient::connect(&srv.ws_url(), &a2.access_token).await;

    // The live client keeps reading, so its WebSocket library answers the server's pings.
    live.expect_silence(Duration::from_millis(3500)).await;
    // The silent one read nothing, answered no ping, and was closed as idle.
    assert_eq!(silent.closed().await, Closed::Code(1000));
    live.send(json!({"type": "ping"})).await;
    live.expect("pong").await;
}

async fn health_and_readiness(backend: Backend) {
    let srv = spawn_server_on(backend).await;
    assert_eq!(srv.api.call("GET", "/healthz", None, None).await, (200, json!({"status": "ok"})));
    assert_eq!(srv.api.call("GET", "/readyz", None, None).await, (200, json!({"status": "ready"})));
}

tidings_tests::both_modes!(silent_clients_are_closed_and_live_ones_kept, health_and_readiness,);
