//! Text people read must show something, and names must not hide or reorder what they show:
//! zero-width-only message texts are refused like blank ones; display names and group names with
//! control characters, bidi overrides or nothing visible are `invalid_field`.

use serde_json::json;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::helpers::code;
use tidings_tests::{Backend, spawn_server};

/// Texts that show nothing although `str::trim` leaves something.
const INVISIBLE: [&str; 4] = [
    "\u{200B}",
    "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
    " \u{200B} \u{2060}\t\u{FEFF} ",
    "\u{3164}\u{2800}\u{FE0F}",
];

/// Display names and group names that must be refused.
const BAD_NAMES: [&str; 8] = [
    "nul\u{0}name",
    "bell\u{7}",
    "two\nlines",
    "\u{200B}\u{200B}",
    " \u{FEFF}\u{2060} ",
    "adm\u{202E}nimda",
    "\u{2066}bob\u{2069}",
    "left\u{202A}embed",
];

async fn invisible_only_text_is_refused_like_blank_text(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;

    ws.send_text(&conv, "blank", "   ").await;
    let blank = ws.expect("error").await;
    assert_eq!(blank["code"], "invalid_field", "{blank}");
    for (i, text) in INVISIBLE.iter().enumerate() {
        let id = ws.send_text(&conv, &format!("inv-{i}"), text).await;
        let error = ws.expect("error").await;
        assert_eq!(
            (error["code"].as_str(), error["id"].as_str()),
            (Some("invalid_field"), Some(id.as_str())),
            "{text:?}"
        );
        let path = format!("/api/v1/conversations/{conv}/messages");
        let body = json!({"client_msg_id": format!("rest-{i}"), "kind": "text", "body": {"text": text}});
        let (status, body) = srv.api.call("POST", &path, Some(&a.access_token), Some(body)).await;
        assert_eq!((status, code(&body)), (400, Some("invalid_field")), "{text:?}: {body}");
    }
    assert!(srv.api.all_messages(&a, &conv).await.is_empty(), "nothing stored");

    // Joiners and zero-width characters next to visible ones are text like any other.
    for (cmid, text) in [("zwj", "👨\u{200D}👩\u{200D}👧"), ("zwsp", "a\u{200B}b")] {
        ws.send_text(&conv, cmid, text).await;
        assert_eq!(ws.expect("ack").await["client_msg_id"], cmid);
    }
    assert_eq!(srv.api.all_messages(&a, &conv).await.len(), 2);
}

async fn names_must_show_something_and_not_hide_or_reorder(backend: Backend) {
    let srv = spawn_server(backend).await;
    let alice = srv.api.user("alice", "a1").await;
    let token = Some(alice.access_token.as_str());
    let (status, group) = srv.api.call("POST", "/api/v1/groups", token, Some(json!({"name": "Team"}))).await;
    assert_eq!(status, 201, "{group}");
    let group_path = format!("/api/v1/groups/{}", group["group_id"].as_str().unwrap());

    for name in BAD_NAMES {
        let register = json!({"username": "mallory", "password": "correct-horse", "display_name": name});
        let (status, body) = srv.api.call("POST", "/api/v1/auth/register", None, Some(register)).await;
        assert_eq!((status, code(&body)), (400, Some("invalid_field")), "register {name:?}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("display_name"), "the message names the field: {message}");

        let (status, body) = srv.api.call("PATCH", "/api/v1/me", token, Some(json!({"display_name": name}))).await;
        assert_eq!((status, code(&body)), (400, Some("invalid_field")), "PATCH /me {name:?}: {body}");

        let (status, body) = srv.api.call("POST", "/api/v1/groups", token, Some(json!({"name": name}))).await;
        assert_eq!((status, code(&body)), (400, Some("invalid_field")), "create group {name:?}: {body}");
        let (status, body) = srv.api.call("PATCH", &group_path, token, Some(json!({"name": name}))).await;
        assert_eq!((status, code(&body)), (400, Some("invalid_field")), "rename group {name:?}: {body}");
    }

    // Nothing changed, and nobody was registered.
    let (_, me) = srv.api.call("GET", "/api/v1/me", token, None).await;
    assert_eq!(me["display_name"], "alice");
    let (_, group) = srv.api.call("GET", &group_path, token, None).await;
    assert_eq!(group["name"], "Team");
    let (_, groups) = srv.api.call("GET", "/api/v1/groups", token, None).await;
    assert_eq!(groups["groups"].as_array().map(Vec::len), Some(1), "{groups}");

    // Names that need a joiner, and plain names, are fine.
    let persian = "می\u{200C}خواهم";
    let register = json!({"username": "mallory", "password": "correct-horse", "display_name": persian});
    let (status, body) = srv.api.call("POST", "/api/v1/auth/register", None, Some(register)).await;
    assert_eq!(status, 201, "{body}");
    let (status, me) =
        srv.api.call("PATCH", "/api/v1/me", token, Some(json!({"display_name": "Zoë 👩\u{200D}💻"}))).await;
    assert_eq!((status, me["display_name"].as_str()), (200, Some("Zoë 👩\u{200D}💻")), "{me}");
    let (status, body) = srv.api.call("PATCH", &group_path, token, Some(json!({"name": "Team 2"}))).await;
    assert_eq!(status, 200, "{body}");
}

tidings_tests::both_modes!(
    invisible_only_text_is_refused_like_blank_text,
    names_must_show_something_and_not_hide_or_reorder,
);
