//! Bad input: every case gets a stable error code, stores nothing, and leaves the connection
//! (and every other client) usable.

use serde_json::{Value, json};
use tidings_tests::TestServer;
use tidings_tests::client::{Closed, Login, WsClient, direct};
use tidings_tests::{Backend, spawn_server_with};

/// Small limits so the over-limit cases are cheap to build.
async fn server(backend: Backend) -> TestServer {
    spawn_server_with(backend, |s| {
        s.limits.max_text_chars = 100;
        s.limits.max_frame_bytes = 4096;
        s.limits.max_http_body_bytes = 4096;
    })
    .await
}

/// Everything alice and bob can see of their storage: both histories and both lists.
async fn snapshot(srv: &TestServer, a: &Login, b: &Login, conv: &str) -> Value {
    json!({
        "history": srv.api.all_messages(a, conv).await,
        "a_list": srv.api.conversations(a).await,
        "b_list": srv.api.conversations(b).await,
    })
}

async fn bad_frames_get_codes_and_change_nothing(backend: Backend) {
    let srv = server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let c = srv.api.user("carol", "c1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    ws.send_text(&conv, "ok-1", "the only message").await;
    ws.expect("ack").await;
    let before = snapshot(&srv, &a, &b, &conv).await;

    let canonical = direct(&a.user_id, &b.user_id);
    let (lo, hi) = canonical[2..].split_once(':').unwrap();
    let reversed = format!("d:{hi}:{lo}");
    let send = |conv: &str, cmid: &str, kind: &str, body: Value| {
        json!({"type": "send", "id": "bad", "conv": conv, "client_msg_id": cmid, "kind": kind, "body": body})
            .to_string()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("malformed json", "{\"type\": \"send\",".into(), "bad_json"),
        ("not an object", "[1,2,3]".into(), "bad_frame"),
        ("no type", json!({"id": "x"}).to_string(), "bad_frame"),
        ("type not a string", json!({"type": 5}).to_string(), "bad_frame"),
        ("unknown type", json!({"type": "teleport"}).to_string(), "unknown_type"),
        ("missing field", json!({"type": "send", "id": "bad", "conv": conv}).to_string(), "invalid_field"),
        ("wrong-typed field", json!({"type": "read", "conv": conv, "seq": "one"}).to_string(), "invalid_field"),
        (
            "negative number",
            json!({"type": "sync", "id": "bad", "conv": conv, "after_seq": -1}).to_string(),
            "invalid_field",
        ),
        (
            "huge number",
            format!(r#"{{"type":"sync","id":"bad","conv":"{conv}","after_seq":1{}}}"#, "0".repeat(30)),
            "invalid_field",
        ),
        ("deep nesting", format!("{}{}", "[".repeat(1500), "]".repeat(1500)), "bad_json"),
        (
            "wrong-typed field beside an unknown one",
            json!({"type": "presence_sub", "id": "bad", "users": "everyone", "sneaky": true}).to_string(),
            "invalid_field",
        ),
        ("text over the limit", send(&conv, "long", "text", json!({"text": "x".repeat(101)})), "body_too_large"),
        ("blank text", send(&conv, "blank", "text", json!({"text": "   "})), "invalid_field"),
        ("body not an object", send(&conv, "str", "text", json!("hello")), "invalid_field"),
        ("unsupported kind", send(&conv, "k", "hologram", json!({})), "unsupported_kind"),
        ("system kind from a client", send(&conv, "k2", "recall", json!({})), "unsupported_kind"),
        ("empty client_msg_id", send(&conv, "", "text", json!({"text": "hi"})), "invalid_field"),
        ("malformed conversation", send("not-a-conv", "m1", "text", json!({"text": "hi"})), "unknown_conversation"),
        ("non-canonical conversation", send(&reversed, "m2", "text", json!({"text": "hi"})), "unknown_conversation"),
        (
            "peer does not exist",
            send(&direct(&a.user_id, "u_NOBODY"), "m3", "text", json!({"text": "hi"})),
            "unknown_conversation",
        ),
        (
            "talking to yourself",
            send(&format!("d:{0}:{0}", a.user_id), "m4", "text", json!({"text": "hi"})),
            "unknown_conversation",
        ),
        (
            "group that does not exist",
            send("g:nosuchgroup", "m5", "text", json!({"text": "hi"})),
            "unknown_conversation",
        ),
        (
            "someone else's conversation",
            send(&direct(&b.user_id, &c.user_id), "m6", "text", json!({"text": "hi"})),
            "not_member",
        ),
        (
            "sync someone else's conversation",
            json!({"type": "sync", "id": "bad", "conv": direct(&b.user_id, &c.user_id), "after_seq": 0}).to_string(),
            "not_member",
        ),
        (
            "sync past the end",
            json!({"type": "sync", "id": "bad", "conv": conv, "after_seq": 99}).to_string(),
            "seq_out_of_range",
        ),
        (
            "sync with limit 0",
            json!({"type": "sync", "id": "bad", "conv": conv, "after_seq": 0, "limit": 0}).to_string(),
            "invalid_field",
        ),
        ("read past the end", json!({"type": "read", "conv": conv, "seq": 2}).to_string(), "seq_out_of_range"),
        ("read seq zero", json!({"type": "read", "conv": conv, "seq": 0}).to_string(), "seq_out_of_range"),
        (
            "read someone else's conversation",
            json!({"type": "read", "conv": direct(&b.user_id, &c.user_id), "seq": 1}).to_string(),
            "not_member",
        ),
    ];
    for (case, frame, code) in &cases {
        ws.send_raw(frame.clone()).await;
        let error = ws.next().await.unwrap_or_else(|| panic!("{case}: connection closed"));
        assert_eq!(error["type"], "error", "{case}: {error}");
        assert_eq!(error["code"], *code, "{case}: {error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{case}: {error}");
        if frame.contains("\"id\":\"bad\"") {
            assert_eq!(error["id"], "bad", "{case}: the error names the request");
        }
    }
    ws.send_binary(vec![0, 159, 146, 150]).await;
    assert_eq!(ws.expect_error().await, "bad_frame", "binary frame");

    // Still usable, and nothing changed.
    ws.send(json!({"type": "ping"})).await;
    ws.expect("pong").await;
    assert_eq!(snapshot(&srv, &a, &b, &conv).await, before);
    ws.send_text(&conv, "ok-2", "still works").await;
    assert_eq!(ws.expect("ack").await["seq"], 2);
}

async fn an_oversize_frame_closes_only_that_socket_with_1009(backend: Backend) {
    let srv = server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut greedy = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut bystander = WsClient::connect(&srv.ws_url(), &b.access_token).await;

    greedy
        .send_raw(format!(
            r#"{{"type":"send","id":"x","conv":"{conv}","client_msg_id":"big","kind":"text","body":{{"text":"{}"}}}}"#,
            "y".repeat(10_000)
        ))
        .await;
    assert_eq!(greedy.closed().await, Closed::Code(1009));

    bystander.send(json!({"type": "ping"})).await;
    bystander.expect("pong").await;
    assert!(srv.api.all_messages(&b, &conv).await.is_empty(), "nothing stored");

    let mut again = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    again.send_text(&conv, "small", "fits").await;
    assert_eq!(again.expect("ack").await["seq"], 1);
    assert_eq!(bystander.expect("msg").await["message"]["client_msg_id"], "small");
}

async fn bad_rest_requests_get_codes_and_change_nothing(backend: Backend) {
    let srv = server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let send_path = format!("/api/v1/conversations/{conv}/messages");
    let token = Some(a.access_token.as_str());
    let before = snapshot(&srv, &a, &b, &conv).await;

    let (s, body) = srv.api.call_raw(&send_path, token, "application/json", b"{\"kind\":".to_vec()).await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("bad_json")));
    let (s, body) = srv
        .api
        .call_raw(
            &send_path,
            token,
            "application/json",
            br#"{"client_msg_id": 5, "kind": "text", "body": {}}"#.to_vec(),
        )
        .await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("invalid_field")));
    let (s, body) = srv.api.call_raw(&send_path, token, "application/json", vec![b' '; 5000]).await;
    assert_eq!((s, body["error"]["code"].as_str()), (413, Some("payload_too_large")));
    let (s, body) = srv.api.call_raw(&send_path, token, "text/plain", b"hi".to_vec()).await;
    assert_eq!((s, body["error"]["code"].as_str()), (415, Some("bad_json")));
    let (s, body) = srv
        .api
        .call(
            "POST",
            &send_path,
            token,
            Some(json!({"client_msg_id": "x", "kind": "text", "body": {"text": "z".repeat(101)}})),
        )
        .await;
    assert_eq!((s, body["error"]["code"].as_str()), (413, Some("body_too_large")));
    let (s, body) = srv
        .api
        .call("POST", &send_path, None, Some(json!({"client_msg_id": "x", "kind": "text", "body": {"text": "hi"}})))
        .await;
    assert_eq!((s, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (s, body) = srv.api.call("GET", &format!("{send_path}?after_seq=abc"), token, None).await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("invalid_field")));
    let (s, body) =
        srv.api.call("POST", &format!("/api/v1/conversations/{conv}/read"), token, Some(json!({"seq": 1}))).await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("seq_out_of_range")));
    let (s, body) = srv.api.call("GET", "/api/v1/conversations/nope/messages", token, None).await;
    assert_eq!((s, body["error"]["code"].as_str()), (404, Some("unknown_conversation")));
    let (s, body) = srv.api.call("GET", "/api/v1/no/such/route", token, None).await;
    assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")));
    for bad in [
        json!({"username": "ab", "password": "long-enough"}),
        json!({"username": "Upper", "password": "long-enough"}),
        json!({"username": "fine", "password": "short"}),
        json!({"username": "fine", "password": "long-enough", "display_name": "   "}),
        json!({"username": "fine"}),
    ] {
        let (s, body) = srv.api.call("POST", "/api/v1/auth/register", None, Some(bad.clone())).await;
        assert_eq!((s, body["error"]["code"].as_str()), (400, Some("invalid_field")), "{bad}");
    }
    let (s, body) = srv
        .api
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "alice", "password": "correct-horse", "device_id": "d", "platform": "toaster"})),
        )
        .await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("invalid_field")));

    assert_eq!(snapshot(&srv, &a, &b, &conv).await, before);
    let (s, _) = srv
        .api
        .call("POST", "/api/v1/auth/register", None, Some(json!({"username": "fine", "password": "long-enough"})))
        .await;
    assert_eq!(s, 201, "the rejected usernames were not stored");
}

/// A `{group_id}` that could not be a group id is an unknown group (404 `not_found`), and a
/// request's other faults that were reported before the group was looked up still are.
async fn malformed_group_ids_are_unknown_groups(backend: Backend) {
    let srv = server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let token = Some(a.access_token.as_str());
    let too_long = "g".repeat(41);
    for bad in ["bad-id", "a.b", too_long.as_str()] {
        let (s, body) = srv.api.call("GET", &format!("/api/v1/groups/{bad}"), token, None).await;
        assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")), "{bad}");
        let (s, body) = srv.api.call("POST", &format!("/api/v1/groups/{bad}/leave"), token, None).await;
        assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")), "{bad}");
    }
    let member = |user: &str| format!("/api/v1/groups/bad-id/members/{user}");
    let (s, body) = srv.api.call("DELETE", &member(&b.user_id), token, None).await;
    assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, body) = srv.api.call("DELETE", &member(&a.user_id), token, None).await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("invalid_field")), "kicking oneself comes first");
    let (s, body) = srv.api.call("PATCH", &member(&b.user_id), token, Some(json!({"role": "boss"}))).await;
    assert_eq!((s, body["error"]["code"].as_str()), (400, Some("invalid_field")), "a bad role comes first");
    let (s, body) = srv.api.call("PATCH", &member(&b.user_id), token, Some(json!({"role": "admin"}))).await;
    assert_eq!((s, body["error"]["code"].as_str()), (404, Some("not_found")));
}

tidings_tests::both_modes!(
    bad_frames_get_codes_and_change_nothing,
    an_oversize_frame_closes_only_that_socket_with_1009,
    bad_rest_requests_get_codes_and_change_nothing,
    malformed_group_ids_are_unknown_groups,
);
