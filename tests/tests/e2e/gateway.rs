//! Gateway housekeeping: keepalive and idle timeout, health endpoints.

use std::time::Duration;

use serde_json::{Value, json};
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

async fn presence_follows_connections(backend: Backend) {
    let srv = spawn_server_on(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let bob = |srv: &tidings_tests::TestServer| {
        let api = srv.api.clone();
        let (token, id) = (a.access_token.clone(), b.user_id.clone());
        async move { api.call("GET", &format!("/api/v1/users/{id}"), Some(&token), None).await.1["presence"].clone() }
    };
    assert_eq!(bob(&srv).await, json!({"online": false}), "never seen");

    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    let online = bob(&srv).await;
    assert_eq!(online["online"], true, "{online}");
    assert!(online["last_active_at"].as_i64().unwrap() >= before);

    ws.close().await;
    let mut offline = Value::Null;
    for _ in 0..50 {
        offline = bob(&srv).await;
        if offline["online"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(offline["online"], false, "{offline}");
    assert!(offline["last_active_at"].as_i64().unwrap() >= before, "{offline}");
}

tidings_tests::both_modes!(
    presence_follows_connections,
    silent_clients_are_closed_and_live_ones_kept,
    health_and_readiness,
);
