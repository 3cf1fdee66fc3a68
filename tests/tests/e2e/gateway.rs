//! Gateway housekeeping: keepalive and idle timeout, health endpoints.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Closed, WsClient};
use tidings_tests::{Backend, TestServer, spawn_server, spawn_server_with};

async fn silent_clients_are_closed_and_live_ones_kept(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        s.ws.heartbeat = std::time::Duration::from_secs(1);
        s.ws.idle_timeout = std::time::Duration::from_secs(2);
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
    let srv = spawn_server(backend).await;
    assert_eq!(srv.api.call("GET", "/healthz", None, None).await, (200, json!({"status": "ok"})));
    assert_eq!(srv.api.call("GET", "/readyz", None, None).await, (200, json!({"status": "ready"})));
}

async fn presence_follows_connections(backend: Backend) {
    let srv = spawn_server(backend).await;
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
    // The route is written by the connection's task right after the upgrade: poll briefly.
    let mut online = Value::Null;
    for _ in 0..50 {
        online = bob(&srv).await;
        if online["online"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

/// A client that stops reading is closed with 1013 once its bounded queue is full; the sender
/// and other clients are not slowed, and nothing is lost (the log has it all).
async fn a_slow_consumer_is_closed_and_nobody_else_waits(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        s.limits.outbound_queue = 16;
        s.limits.max_body_bytes = 64 * 1024;
        s.limits.max_frame_bytes = 128 * 1024;
    })
    .await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b-stuck").await;
    let c = srv.api.user("carol", "c1").await;
    let conv = tidings_tests::client::direct(&a.user_id, &b.user_id);
    let to_carol = tidings_tests::client::direct(&a.user_id, &c.user_id);
    let mut stuck = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    let mut bystander = WsClient::connect(&srv.ws_url(), &c.access_token).await;
    let mut sender = WsClient::connect(&srv.ws_url(), &a.access_token).await;

    // 600 messages of 48 KiB to a device that never reads: ~29 MB, far more than the loopback
    // socket buffers and the 16-frame queue hold.
    let filler = "x".repeat(48 * 1024);
    let sending = async {
        for i in 0..600 {
            let id = sender.next_id();
            sender
                .send(json!({"type": "send", "id": id, "conv": conv, "client_msg_id": format!("big{i}"), "kind": "custom", "body": {"pad": filler}}))
                .await;
        }
        for _ in 0..600 {
            sender.wait_for("ack").await;
        }
    };
    // The stuck device reads nothing until the server has given up on it. Its close frame then
    // waits behind the pushes already in the socket buffers, and the server waits only so long
    // for a client to take it (a client that still reads nothing is dropped instead), so from
    // then on it reads: what was buffered, then the close.
    let cut_off = async {
        slow_consumer_closed(&srv).await;
        stuck.closed().await
    };
    let ((), closed) = tokio::join!(sending, cut_off);
    assert_eq!(closed, Closed::Code(1013), "the stuck device was cut off");

    // Everyone else is unaffected: the bystander answers at once and gets new messages.
    bystander.send(json!({"type": "ping"})).await;
    bystander.expect("pong").await;
    sender.send_text(&to_carol, "hello-carol", "still flowing").await;
    sender.wait_for("ack").await;
    assert_eq!(bystander.expect("msg").await["message"]["client_msg_id"], "hello-carol");
    assert_eq!(srv.api.all_messages(&b, &conv).await.len(), 600, "everything is in the log for bob's next sync");
}

/// Waits (bounded) until the instance counts a slow-consumer close in `/metrics`.
async fn slow_consumer_closed(srv: &TestServer) {
    for _ in 0..600 {
        let text = super::metrics::scrape(srv).await;
        if super::metrics::sample(&text, "tidings_slow_consumer_closes_total") >= 1.0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no slow-consumer close counted within 30 s");
}

tidings_tests::both_modes!(
    a_slow_consumer_is_closed_and_nobody_else_waits,
    presence_follows_connections,
    silent_clients_are_closed_and_live_ones_kept,
    health_and_readiness,
);
