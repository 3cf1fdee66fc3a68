//! The before-send hook: a business system on loopback asked about every send and edit before
//! it is stored; its allow, reject and rewrite applied; its failures (garbage, an error status,
//! a timeout, a rewrite into an invalid body) handled by the fail mode; its calls in /metrics.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_interfaces::settings::HookFailure;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::helpers::{code, send, with_initial_admin};
use tidings_tests::hook_receiver::{HookAnswer, HookReceiver};
use tidings_tests::receiver::signature_ok;
use tidings_tests::{Backend, spawn_server_with};

const SECRET: &str = "hook-secret";

/// A business system's rule: answers by the text it is asked about.
fn decide(call: &Value) -> HookAnswer {
    match call["body"]["text"].as_str().unwrap_or_default() {
        "buy now" => HookAnswer::json(json!({"action": "reject", "reason": "no advertising, please"})),
        "hello" => HookAnswer::json(json!({"action": "rewrite", "body": {"text": "hello (checked)"}})),
        "into nothing" => HookAnswer::json(json!({"action": "rewrite", "body": {"text": ""}})),
        "garbage" => HookAnswer { status: 200, body: "<html>oops</html>".into(), delay: Duration::ZERO },
        "down" => HookAnswer { status: 502, body: String::new(), delay: Duration::ZERO },
        "slow" => HookAnswer { delay: Duration::from_millis(900), ..HookAnswer::json(json!({"action": "allow"})) },
        _ => HookAnswer::json(json!({"action": "allow"})),
    }
}

async fn server(backend: Backend, fail: HookFailure) -> (tidings_tests::TestServer, HookReceiver) {
    let hook = HookReceiver::start(decide).await;
    let url = hook.url.clone();
    let srv = spawn_server_with(backend, move |s| {
        with_initial_admin(s);
        s.hooks.before_send_url = Some(url.clone());
        s.hooks.before_send_secret = Some(SECRET.into());
        s.hooks.timeout = Duration::from_millis(300);
        s.hooks.on_failure = fail;
    })
    .await;
    (srv, hook)
}

async fn the_hook_allows_rejects_and_rewrites(backend: Backend) {
    let (srv, mut hook) = server(backend, HookFailure::Open).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);

    let (status, ack) = api.send_text(&alice, &conv, "m1", "good morning").await;
    assert_eq!(status, 201, "{ack}");
    let asked = hook.drain();
    assert_eq!(asked.len(), 1, "one call per send: {asked:?}");
    let call = asked[0].json();
    assert_eq!(call["subject"], "message", "{call}");
    assert_eq!(call["conv"], conv.as_str(), "{call}");
    assert_eq!(call["sender"], alice.user_id.as_str(), "{call}");
    assert_eq!(call["client_msg_id"], "m1", "{call}");
    assert_eq!(call["kind"], "text", "{call}");
    assert_eq!(call["body"]["text"], "good morning", "{call}");
    assert_eq!(asked[0].header("x-tidings-event"), "before_send");
    assert!(signature_ok(SECRET, asked[0].header("x-tidings-signature"), &asked[0].body), "unsigned: {:?}", asked[0]);

    let (status, err) = api.send_text(&alice, &conv, "m2", "buy now").await;
    assert_eq!((status, code(&err)), (403, Some("content_rejected")), "{err}");
    assert_eq!(err["error"]["message"], "no advertising, please", "{err}");
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    ws.send_text(&conv, "m3", "buy now").await;
    let (frame, _) = ws.wait_for("error").await;
    assert_eq!(frame["code"], "content_rejected", "{frame}");

    let (status, ack) = api.send_text(&alice, &conv, "m4", "hello").await;
    assert_eq!(status, 201, "{ack}");
    // Failures, open: stored as sent.
    for (i, text) in ["garbage", "down", "slow", "into nothing"].iter().enumerate() {
        let (status, ack) = api.send_text(&alice, &conv, &format!("f{i}"), text).await;
        assert_eq!(status, 201, "{text}: {ack}");
    }
    // Non-text kinds are asked too, with their body.
    let (status, ack) = send(api, &alice, &conv, "c1", "custom", json!({"order": 7})).await;
    assert_eq!(status, 201, "{ack}");
    let texts: Vec<Value> = api
        .all_messages(&bob, &conv)
        .await
        .iter()
        .map(|m| if m["kind"] == "text" { m["body"]["text"].clone() } else { m["body"].clone() })
        .collect();
    assert_eq!(
        texts,
        [
            json!("good morning"),
            json!("hello (checked)"),
            json!("garbage"),
            json!("down"),
            json!("slow"),
            json!("into nothing"),
            json!({"order": 7})
        ]
    );

    // An edit is asked about too.
    let seq = ack["seq"].as_u64().unwrap() - 6;
    ws.send(json!({"type": "edit", "id": "e1", "conv": conv, "seq": seq, "body": {"text": "buy now"}})).await;
    let (frame, _) = ws.wait_for("error").await;
    assert_eq!(frame["code"], "content_rejected", "{frame}");
    let edit_calls: Vec<Value> = hook.drain().iter().map(|r| r.json()).filter(|c| c["subject"] == "edit").collect();
    assert_eq!(edit_calls.len(), 1, "{edit_calls:?}");
    assert_eq!(edit_calls[0]["seq"], seq, "{}", edit_calls[0]);

    // Business systems' sends (the integration API) are asked about too.
    let root = api.login("root", "console").await;
    let scopes = json!({"name": "crm", "scopes": ["messages:send"]});
    let (status, key) = api.call("POST", "/admin/v1/api-keys", Some(&root.access_token), Some(scopes)).await;
    assert_eq!(status, 201, "{key}");
    let key = key["key"].as_str().unwrap();
    let body = json!({"to_user": bob.user_id, "client_msg_id": "i1", "kind": "text", "body": {"text": "buy now"}});
    let (status, err) = api.call("POST", "/integration/v1/messages", Some(key), Some(body)).await;
    assert_eq!((status, code(&err)), (403, Some("content_rejected")), "{err}");
    let asked: Vec<Value> = hook.drain().iter().map(|r| r.json()).collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!((asked[0]["client_msg_id"].as_str(), asked[0]["body"]["text"].as_str()), (Some("i1"), Some("buy now")));

    let metrics = reqwest::get(format!("http://127.0.0.1:{}/metrics", srv.port())).await.unwrap().text().await.unwrap();
    for (outcome, at_least) in [("allow", 2), ("reject", 4), ("rewrite", 1), ("timeout", 1), ("error", 3)] {
        let line = format!("tidings_hook_calls_total{{outcome=\"{outcome}\"}} ");
        let n: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {line} in /metrics"));
        assert!(n >= at_least, "{outcome}: {n} < {at_least}");
    }
    assert!(metrics.contains("tidings_hook_latency_seconds_count"), "no hook latency in /metrics");
}

async fn a_closed_hook_refuses_when_it_fails(backend: Backend) {
    let (srv, _hook) = server(backend, HookFailure::Closed).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    for (i, text) in ["garbage", "down", "slow", "into nothing"].iter().enumerate() {
        let (status, err) = api.send_text(&alice, &conv, &format!("f{i}"), text).await;
        assert_eq!((status, code(&err)), (503, Some("content_check_unavailable")), "{text}: {err}");
    }
    let (status, ack) = api.send_text(&alice, &conv, "ok", "fine").await;
    assert_eq!(status, 201, "{ack}");
    let stored = api.all_messages(&bob, &conv).await;
    assert_eq!(stored.len(), 1, "a refused send was stored: {stored:?}");
}

tidings_tests::both_modes!(the_hook_allows_rejects_and_rewrites, a_closed_hook_refuses_when_it_fails);
