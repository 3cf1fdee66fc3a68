//! The protocol's evolution rule over a real socket: fields a client frame type does not have are
//! ignored, so a newer client can add an optional field and still talk to this server; an
//! unknown frame type and a known field of the wrong type are still refused.

use serde_json::json;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::{Backend, spawn_server};

async fn unknown_fields_in_client_frames_are_ignored(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut bob = WsClient::connect(&srv.ws_url(), &b.access_token).await;

    ws.send(json!({"type": "ping", "id": "x"})).await;
    ws.expect("pong").await;
    ws.send(json!({"type": "ping", "since_v2": {"compress": true}})).await;
    ws.expect("pong").await;

    ws.send(json!({"type": "send", "id": "s1", "conv": conv, "client_msg_id": "future-1", "kind": "text",
        "body": {"text": "from a newer client"}, "priority": "high", "expires_in": 60}))
        .await;
    let ack = ws.expect("ack").await;
    assert_eq!((ack["id"].as_str(), ack["seq"].as_u64()), (Some("s1"), Some(1)), "{ack}");
    let pushed = bob.expect("msg").await["message"].clone();
    assert_eq!(pushed["body"], json!({"text": "from a newer client"}), "the extra fields are not stored");
    let stored = srv.api.all_messages(&a, &conv).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0]["client_msg_id"].as_str(), stored[0]["body"]["text"].as_str()),
        (Some("future-1"), Some("from a newer client"))
    );

    // What is still refused: an unknown type, a known field of the wrong type, and, inside a
    // built-in kind's body, a field that kind does not have.
    ws.send(json!({"type": "teleport", "id": "t1"})).await;
    assert_eq!(ws.expect_error().await, "unknown_type");
    ws.send(json!({"type": "sync", "id": "s2", "conv": conv, "after_seq": "0", "hint": 1})).await;
    assert_eq!(ws.expect_error().await, "invalid_field");
    ws.send(json!({"type": "send", "id": "s3", "conv": conv, "client_msg_id": "future-2", "kind": "text",
        "body": {"text": "hi", "color": "red"}}))
        .await;
    assert_eq!(ws.expect_error().await, "invalid_field");
    assert_eq!(srv.api.all_messages(&a, &conv).await.len(), 1, "nothing more stored");

    bob.send(json!({"type": "read", "conv": conv, "seq": 1, "read_at": 123})).await;
    let read = ws.expect("read").await;
    assert_eq!((read["user_id"].as_str(), read["seq"].as_u64()), (Some(b.user_id.as_str()), Some(1)), "{read}");
}

tidings_tests::both_modes!(unknown_fields_in_client_frames_are_ignored);
