//! Presence subscriptions and typing indicators, across instances in cluster mode.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_interfaces::settings::Settings;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::helpers::create_group;
use tidings_tests::{Backend, TestServer, spawn_server, spawn_server_with};

const QUIET: Duration = Duration::from_millis(300);

/// A second instance in cluster mode (so pushes must cross the bus), else the same server.
async fn other_instance(srv: &TestServer) -> Option<TestServer> {
    srv.peer().await
}

async fn subscribe(ws: &mut WsClient, users: &[&str]) -> Vec<Value> {
    let id = ws.next_id();
    ws.send(json!({"type": "presence_sub", "id": id, "users": users})).await;
    let mut out = Vec::new();
    for _ in users {
        out.push(ws.expect("presence").await);
    }
    out
}

async fn a_subscriber_sees_a_user_come_online_and_go_offline(backend: Backend) {
    let srv = spawn_server(backend).await;
    let peer = other_instance(&srv).await;
    let there = peer.as_ref().unwrap_or(&srv);
    let w = srv.api.user("watcher", "w1").await;
    let b = srv.api.user("bob", "b1").await;
    let mut w_ws = WsClient::connect(&srv.ws_url(), &w.access_token).await;

    let now = subscribe(&mut w_ws, &[&b.user_id]).await;
    assert_eq!((now[0]["user_id"].as_str(), now[0]["online"].as_bool()), (Some(b.user_id.as_str()), Some(false)));

    // Bob connects (on the other instance in cluster mode): one `online`, even with two devices.
    let b_ws = WsClient::connect(&there.ws_url(), &b.access_token).await;
    let on = w_ws.expect("presence").await;
    assert_eq!((on["user_id"].as_str(), on["online"].as_bool()), (Some(b.user_id.as_str()), Some(true)), "{on}");
    assert!(on["last_active_at"].as_i64().is_some());
    let b2 = there.api.login("bob", "b2").await;
    let b2_ws = WsClient::connect(&there.ws_url(), &b2.access_token).await;
    w_ws.expect_silence(QUIET).await;

    // Only the last device going away makes him offline.
    b_ws.close().await;
    w_ws.expect_silence(QUIET).await;
    b2_ws.close().await;
    let off = w_ws.expect("presence").await;
    assert_eq!((off["user_id"].as_str(), off["online"].as_bool()), (Some(b.user_id.as_str()), Some(false)), "{off}");
    assert!(off["last_active_at"].as_i64().is_some());

    // A fresh subscription reports the current state; an empty one stops the pushes.
    let now = subscribe(&mut w_ws, &[&b.user_id, &w.user_id]).await;
    assert_eq!(now[0]["online"], false);
    assert_eq!(now[1]["online"], true, "the watcher itself is online");
    subscribe(&mut w_ws, &[]).await;
    w_ws.send(json!({"type": "ping"})).await;
    w_ws.expect("pong").await;
    let _b_again = WsClient::connect(&there.ws_url(), &b.access_token).await;
    w_ws.expect_silence(QUIET).await;

    // Bad subscriptions are refused.
    w_ws.send(json!({"type": "presence_sub", "id": "p1", "users": ["not a user"]})).await;
    assert_eq!(w_ws.expect_error().await, "invalid_field");
    let many: Vec<String> = (0..501).map(|i| format!("u_{i:04}")).collect();
    w_ws.send(json!({"type": "presence_sub", "id": "p2", "users": many})).await;
    assert_eq!(w_ws.expect_error().await, "invalid_field");
}

async fn typing_reaches_other_members_only_and_is_rate_limited(backend: Backend) {
    let srv = spawn_server(backend).await;
    let peer = other_instance(&srv).await;
    let there = peer.as_ref().unwrap_or(&srv);
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let c = srv.api.user("carol", "c1").await;
    let x = srv.api.user("xena", "x1").await;
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&there.ws_url(), &b.access_token).await;
    let mut c_ws = WsClient::connect(&there.ws_url(), &c.access_token).await;
    let mut x_ws = WsClient::connect(&srv.ws_url(), &x.access_token).await;

    // Direct: the peer sees it, the sender and outsiders do not.
    let ab = direct(&a.user_id, &b.user_id);
    a_ws.send(json!({"type": "typing", "conv": ab})).await;
    let t = b_ws.expect("typing").await;
    assert_eq!((t["conv"].as_str(), t["user_id"].as_str()), (Some(ab.as_str()), Some(a.user_id.as_str())));
    a_ws.expect_silence(QUIET).await;
    c_ws.expect_silence(QUIET).await;

    // Too soon again: rate limited, nothing forwarded.
    a_ws.send(json!({"type": "typing", "conv": ab})).await;
    let err = a_ws.expect("error").await;
    assert_eq!(err["code"], "rate_limited", "{err}");
    assert!(err["retry_after_ms"].as_u64().is_some());
    b_ws.expect_silence(QUIET).await;

    // Groups: every other member; outsiders are refused.
    let conv = format!("g:{}", create_group(&srv.api, &a, &[&b, &c], json!({"name": "Typists"})).await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    b_ws.send(json!({"type": "typing", "conv": conv})).await;
    for ws in [&mut a_ws, &mut c_ws] {
        let (t, _) = ws.wait_for("typing").await;
        assert_eq!((t["conv"].as_str(), t["user_id"].as_str()), (Some(conv.as_str()), Some(b.user_id.as_str())));
    }
    x_ws.send(json!({"type": "typing", "conv": conv})).await;
    assert_eq!(x_ws.expect_error().await, "not_member");
    let ac = direct(&a.user_id, &c.user_id);
    x_ws.send(json!({"type": "typing", "conv": ac})).await;
    assert_eq!(x_ws.expect_error().await, "not_member");
    let rest = drain(&mut b_ws).await;
    assert!(rest.iter().all(|f| f["type"] != "typing"), "the typist gets no echo: {rest:?}");
}

/// Every frame that arrives until the connection is quiet.
async fn drain(ws: &mut WsClient) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(Some(frame)) = ws.next_within(QUIET).await {
        out.push(frame);
    }
    out
}

fn slow_presence_subs(s: &mut Settings) {
    s.ws.presence_sub_interval = Duration::from_secs(60);
}

async fn presence_sub_is_rate_limited_per_connection(backend: Backend) {
    let srv = spawn_server_with(backend, slow_presence_subs).await;
    let peer = other_instance(&srv).await;
    let there = peer.as_ref().unwrap_or(&srv);
    let w = srv.api.user("watcher", "w1").await;
    let a = srv.api.user("ann", "a1").await;
    let b = srv.api.user("ben", "b1").await;
    let mut w_ws = WsClient::connect(&srv.ws_url(), &w.access_token).await;
    assert_eq!(subscribe(&mut w_ws, &[&a.user_id]).await[0]["online"], false);
    // A second subscription within the interval is refused and changes nothing.
    w_ws.send(json!({"type": "presence_sub", "id": "again", "users": [b.user_id]})).await;
    let refused = w_ws.expect("error").await;
    assert_eq!((refused["code"].as_str(), refused["id"].as_str()), (Some("rate_limited"), Some("again")));
    assert!(refused["retry_after_ms"].as_u64().is_some_and(|ms| ms > 50_000), "{refused}");
    let _ben = WsClient::connect(&there.ws_url(), &b.access_token).await;
    w_ws.expect_silence(QUIET).await;
    let _ann = WsClient::connect(&there.ws_url(), &a.access_token).await;
    let seen = w_ws.expect("presence").await;
    assert_eq!((seen["user_id"].as_str(), seen["online"].as_bool()), (Some(a.user_id.as_str()), Some(true)));
    // Other connections have their own budget.
    let mut w2 = WsClient::connect(&there.ws_url(), &srv.api.login("watcher", "w2").await.access_token).await;
    assert_eq!(subscribe(&mut w2, &[&b.user_id]).await[0]["online"], true);
}

tidings_tests::both_modes!(
    a_subscriber_sees_a_user_come_online_and_go_offline,
    typing_reaches_other_members_only_and_is_rate_limited,
    presence_sub_is_rate_limited_per_connection,
);
