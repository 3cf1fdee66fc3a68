//! The HTTP contract's holes closed by the security hardening, each over a real socket: the
//! security headers every response carries, malformed path segments and bodies answered in the
//! JSON error format, page sizes, undeclared methods, login timing and budgets, and a quiet log
//! for requests the parser cannot read. Media safety is in `media_safety.rs`.

use tidings_interfaces::Settings;
use tidings_tests::client::direct;
use tidings_tests::media::{fetch, upload};
use tidings_tests::{Backend, spawn_server, spawn_server_with};

/// Every answer, a handler's, an error or the fallback 404, carries the API's security headers.
async fn every_response_carries_the_security_headers(backend: Backend) {
    let srv = spawn_server(backend).await;
    let alice = srv.api.user("alice", "a1").await;
    let me = format!("/api/v1/users/{}", alice.user_id);
    for (path, token, status) in [
        ("/healthz", None, 200),
        (me.as_str(), Some(alice.access_token.as_str()), 200),
        (me.as_str(), None, 401),
        ("/no/such/route", None, 404),
    ] {
        let got = fetch(srv.port(), path, token, &[]).await;
        assert_eq!(got.status, status, "{path}");
        assert_eq!(got.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(got.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(got.header("referrer-policy"), "no-referrer", "{path}");
        assert!(got.header("content-security-policy").contains("frame-ancestors 'none'"), "{path}");
    }
}

/// A path segment that does not parse is a 400 `invalid_field` in the JSON error format (it was
/// actix's plain-text 404), and changes nothing.
async fn malformed_path_segments_get_json_errors(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    for (method, path) in [
        ("GET", format!("/api/v1/conversations/{conv}/messages/-1/reads")),
        ("POST", format!("/api/v1/conversations/{conv}/messages/abc/recall")),
        ("GET", format!("/api/v1/conversations/{conv}/messages/18446744073709551616/reads")),
    ] {
        let (status, body) = srv.api.call(method, &path, Some(&a.access_token), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_field")), "{method} {path}: {body}");
    }
    assert!(srv.api.all_messages(&a, &conv).await.is_empty());
}

/// `limit=0` is refused on the conversation list as on every other list; a huge one is capped.
async fn a_page_of_nothing_is_refused(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    for path in ["/api/v1/conversations?limit=0", "/api/v1/friends?limit=0", "/api/v1/blocks?limit=0"] {
        let (status, body) = srv.api.call("GET", path, Some(&a.access_token), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_field")), "{path}: {body}");
    }
    let (status, body) =
        srv.api.call("GET", "/api/v1/conversations?limit=4294967295", Some(&a.access_token), None).await;
    assert_eq!(status, 200, "{body}");
}

tidings_tests::both_modes!(
    every_response_carries_the_security_headers,
    malformed_path_segments_get_json_errors,
    a_page_of_nothing_is_refused,
);

/// Real password hashing cost (the suite's default is the cheapest argon2), so a login that
/// skips the hash shows in its timing.
fn real_hash_cost(s: &mut Settings) {
    s.auth.argon2_memory_kib = 16 * 1024;
    s.auth.argon2_iterations = 2;
}

async fn login_status(srv: &tidings_tests::TestServer, username: &str, password: &str) -> (u16, String) {
    let body =
        serde_json::json!({"username": username, "password": password, "device_id": "d1", "platform": "desktop"});
    let (status, body) = srv.api.call("POST", "/api/v1/auth/login", None, Some(body)).await;
    (status, body["error"]["code"].as_str().unwrap_or("").to_owned())
}

/// How long the slowest of the fastest half of `n` logins took: the median's upper side, which
/// a busy moment of the machine does not move much.
async fn typical_login(srv: &tidings_tests::TestServer, usernames: &[String], password: &str) -> std::time::Duration {
    let mut took = Vec::new();
    for username in usernames {
        let started = std::time::Instant::now();
        assert_eq!(login_status(srv, username, password).await, (401, "invalid_credentials".into()), "{username}");
        took.push(started.elapsed());
    }
    took.sort();
    took[took.len() / 2]
}

/// A login of an unknown account costs a password hash, like a wrong password: the answer's
/// timing does not tell which accounts exist. (It answered in ~1.5 ms against ~17.5 ms.)
async fn unknown_accounts_take_as_long_as_wrong_passwords(backend: Backend) {
    let srv = spawn_server_with(backend, real_hash_cost).await;
    let mut known = Vec::new();
    for i in 0..5 {
        let username = format!("known{i}");
        srv.api.user(&username, "d0").await;
        known.push(username);
    }
    let unknown: Vec<String> = (0..5).map(|i| format!("nobody{i}")).collect();
    // Once, so a lazily made decoy hash is not in the first sample.
    let _ = login_status(&srv, "warm-up-nobody", "x").await;
    let wrong = typical_login(&srv, &known, "not-the-password").await;
    let missing = typical_login(&srv, &unknown, "not-the-password").await;
    assert!(missing * 2 >= wrong, "unknown account {missing:?} against wrong password {wrong:?}");
}

/// The right password gives the account's failed-login budget back: failures before a
/// successful login do not count towards locking it later.
async fn a_successful_login_forgives_earlier_failures(backend: Backend) {
    let srv = spawn_server(backend).await;
    srv.api.user("alice", "a1").await;
    for round in 0..3 {
        for attempt in 0..4 {
            let got = login_status(&srv, "alice", "wrong").await;
            assert_eq!(got, (401, "invalid_credentials".into()), "round {round}, attempt {attempt}");
        }
        assert_eq!(login_status(&srv, "alice", "correct-horse").await.0, 200, "round {round}");
    }
    // The budget still holds: five failures in a row lock the account for a while.
    for _ in 0..5 {
        let _ = login_status(&srv, "alice", "wrong").await;
    }
    assert_eq!(login_status(&srv, "alice", "correct-horse").await, (429, "rate_limited".into()));
}

tidings_tests::both_modes!(
    unknown_accounts_take_as_long_as_wrong_passwords,
    a_successful_login_forgives_earlier_failures
);

/// Malformed request lines get a 400 and leave no ERROR line in the server's log: anyone could
/// otherwise write error lines into it at will.
#[tokio::test]
async fn malformed_requests_do_not_write_errors_to_the_log() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (inst, _dir) = tidings_tests::processes::spawn_embedded(env!("CARGO_BIN_EXE_tidings-e2e-server"), &[]);
    let garbage: [&[u8]; 3] =
        [b"GARBAGE\x01 / HTTP/1.1\r\n\r\n", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", b"GET /\x00 HTTP/1.1\r\n\r\n"];
    for raw in garbage {
        let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", inst.port)).await.expect("connect");
        socket.write_all(raw).await.expect("write");
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), socket.read_to_end(&mut answer)).await;
        assert!(answer.starts_with(b"HTTP/1.1 400"), "{}", String::from_utf8_lossy(&answer));
    }
    // The server still answers, and its log has no error in it.
    let got = tidings_tests::media::fetch(inst.port, "/healthz", None, &[]).await;
    assert_eq!(got.status, 200);
    let log = inst.log();
    assert!(!log.contains("\"ERROR\""), "error lines in the log:\n{log}");
}

/// JSON bodies are `application/json` in UTF-8 only: another charset or a `+json` type is 415
/// `bad_json` and creates nothing; `charset=utf-8` (any case) is fine. A media upload still
/// takes whatever type its file has.
async fn json_bodies_are_utf8_application_json(backend: Backend) {
    let srv = spawn_server(backend).await;
    let register = |name: &str| format!(r#"{{"username":"{name}","password":"correct-horse"}}"#).into_bytes();
    for (i, content_type) in
        ["application/json; charset=utf-16", "application/vnd.api+json", "text/json", "application/x-json"]
            .into_iter()
            .enumerate()
    {
        let name = format!("refused{i}");
        let (status, body) = srv.api.call_raw("/api/v1/auth/register", None, content_type, register(&name)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (415, Some("bad_json")), "{content_type}: {body}");
        let login =
            serde_json::json!({"username": name, "password": "correct-horse", "device_id": "d", "platform": "desktop"});
        assert_eq!(srv.api.call("POST", "/api/v1/auth/login", None, Some(login)).await.0, 401, "{content_type}");
    }
    for (i, content_type) in ["application/json", "application/json; charset=UTF-8"].into_iter().enumerate() {
        let (status, body) =
            srv.api.call_raw("/api/v1/auth/register", None, content_type, register(&format!("taken{i}"))).await;
        assert_eq!(status, 201, "{content_type}: {body}");
    }
    let alice = srv.api.user("alice", "a1").await;
    let geojson = br#"{"type":"Point","coordinates":[1,2]}"#.to_vec();
    let (status, body) = upload(&srv.api, &alice, "kind=file&name=p.geojson", "application/geo+json", geojson).await;
    assert_eq!(status, 201, "{body}");
}

tidings_tests::both_modes!(json_bodies_are_utf8_application_json);

/// A known path asked with a method it does not have is 405 `method_not_allowed` with `Allow`;
/// an unknown path stays 404 `not_found`.
async fn undeclared_methods_are_405(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let client = reqwest::Client::new();
    for (method, path, allow) in [
        ("TRACE", "/api/v1/auth/login", "POST"),
        ("DELETE", "/api/v1/conversations", "GET"),
        ("PUT", "/api/v1/groups", "GET, POST"),
    ] {
        let resp = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("http://127.0.0.1:{}{path}", srv.port()),
            )
            .bearer_auth(&a.access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method} {path}");
        let got_allow = resp.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let mut got: Vec<&str> = got_allow.split(", ").collect();
        let mut want: Vec<&str> = allow.split(", ").collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{method} {path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed", "{method} {path}");
    }
    let (status, body) = srv.api.call("GET", "/api/v1/no-such-thing", Some(&a.access_token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}

tidings_tests::both_modes!(undeclared_methods_are_405);

/// `after_seq` and `before_seq` together ask for a window (both excluded), where they were
/// refused: every combination the document allows is a valid request.
async fn history_windows(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    for i in 1..=6 {
        assert_eq!(srv.api.send_text(&a, &conv, &format!("w{i}"), &format!("m{i}")).await.0, 201);
    }
    let window = |q: &str| format!("/api/v1/conversations/{conv}/messages?{q}");
    for (query, seqs, has_more) in [
        ("after_seq=1&before_seq=5", vec![2, 3, 4], false),
        ("after_seq=1&before_seq=6&limit=2", vec![2, 3], true),
        ("after_seq=3&before_seq=4", vec![], false),
        ("after_seq=5&before_seq=2", vec![], false),
        ("after_seq=0&before_seq=100", vec![1, 2, 3, 4, 5, 6], false),
    ] {
        let (status, body) = srv.api.call("GET", &window(query), Some(&b.access_token), None).await;
        assert_eq!(status, 200, "{query}: {body}");
        let got: Vec<u64> = body["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_u64().unwrap()).collect();
        assert_eq!((got, body["has_more"].as_bool()), (seqs, Some(has_more)), "{query}");
    }
}

tidings_tests::both_modes!(history_windows);

/// A whole number written with a zero fraction (`1.0`, `1e0`) is an integer, as JSON Schema's
/// `integer` says; `1.5` is still refused.
async fn whole_numbers_with_a_fraction_are_integers(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    for i in 0..2 {
        assert_eq!(srv.api.send_text(&a, &conv, &format!("n{i}"), "hi").await.0, 201);
    }
    let read = format!("/api/v1/conversations/{conv}/read");
    let raw = |seq: &str| format!(r#"{{"seq": {seq}}}"#).into_bytes();
    let (status, body) = srv.api.call_raw(&read, Some(&b.access_token), "application/json", raw("1.0")).await;
    assert_eq!((status, body["read_seq"].as_u64()), (200, Some(1)), "{body}");
    let (status, body) = srv.api.call_raw(&read, Some(&b.access_token), "application/json", raw("2e0")).await;
    assert_eq!((status, body["read_seq"].as_u64()), (200, Some(2)), "{body}");
    let (status, body) = srv.api.call_raw(&read, Some(&b.access_token), "application/json", raw("1.5")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_field")), "{body}");
}

tidings_tests::both_modes!(whole_numbers_with_a_fraction_are_integers);

/// An unknown but well-formed conversation is 404 `unknown_conversation` on every
/// conversation route and on the socket, not 403 `not_member`.
async fn unknown_conversations_are_404(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let no_group = "g:01M956P7DFVSJ6X652V1W86EW5";
    let no_peer = direct(&a.user_id, "u_01M956P7DFVSJ6X652V1W86EW9");
    for conv in [no_group.to_owned(), no_peer] {
        let send = serde_json::json!({"client_msg_id": "x", "kind": "text", "body": {"text": "?"}});
        for (method, path, body) in [
            ("GET", format!("/api/v1/conversations/{conv}/messages"), None),
            ("POST", format!("/api/v1/conversations/{conv}/messages"), Some(send)),
            ("GET", format!("/api/v1/conversations/{conv}/messages/1/reads"), None),
            ("POST", format!("/api/v1/conversations/{conv}/messages/1/recall"), None),
            ("POST", format!("/api/v1/conversations/{conv}/read"), Some(serde_json::json!({"seq": 1}))),
            ("PATCH", format!("/api/v1/conversations/{conv}"), Some(serde_json::json!({"muted": true}))),
        ] {
            let (status, got) = srv.api.call(method, &path, Some(&a.access_token), body).await;
            assert_eq!((status, got["error"]["code"].as_str()), (404, Some("unknown_conversation")), "{method} {path}");
        }
        let mut ws = tidings_tests::WsClient::connect(&srv.ws_url(), &a.access_token).await;
        ws.send(serde_json::json!({"type": "send", "id": "s1", "conv": conv, "client_msg_id": "w1", "kind": "text",
            "body": {"text": "?"}}))
            .await;
        let (error, _) = ws.wait_for("error").await;
        assert_eq!(error["code"], "unknown_conversation", "{conv}: {error}");
        ws.send(serde_json::json!({"type": "sync", "id": "s2", "conv": conv, "after_seq": 0})).await;
        let (error, _) = ws.wait_for("error").await;
        assert_eq!(error["code"], "unknown_conversation", "{conv}: {error}");
    }
}

tidings_tests::both_modes!(unknown_conversations_are_404);
