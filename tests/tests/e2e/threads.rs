//! Threads: replies naming their root, the root's summary on every read path, thread pages,
//! followers' read positions and the list's `threads` count, with two devices and a reconnect,
//! and refusals that change nothing.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::{Backend, spawn_server};

async fn text(api: &Api, who: &Login, conv: &str, id: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({ "text": id });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    send(api, who, conv, id, "text", body).await
}

async fn reply(api: &Api, who: &Login, conv: &str, id: &str, root: u64) -> u64 {
    let (status, ack) = text(api, who, conv, id, json!({ "thread_root": root })).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

async fn thread(api: &Api, who: &Login, conv: &str, root: u64, query: &str) -> (u16, Value) {
    api.call("GET", &format!("/api/v1/conversations/{conv}/threads/{root}{query}"), Some(&who.access_token), None).await
}

async fn read_thread(api: &Api, who: &Login, conv: &str, root: u64, seq: u64) -> Value {
    let path = format!("/api/v1/conversations/{conv}/threads/{root}/read");
    let (status, body) = api.call("POST", &path, Some(&who.access_token), Some(json!({ "seq": seq }))).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The list's `threads` count of `conv` for `who`.
async fn threads_count(api: &Api, who: &Login, conv: &str) -> u64 {
    let row = api.conversations(who).await.into_iter().find(|r| r["conv"] == conv).unwrap();
    row["threads"].as_u64().unwrap()
}

/// Message `seq` as the history shows it.
async fn in_history(api: &Api, who: &Login, conv: &str, seq: u64) -> Value {
    api.all_messages(who, conv).await.into_iter().find(|m| m["seq"] == seq).unwrap()
}

async fn a_group_threads_and_follows(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let alice2 = api.login("alice", "a2").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let gid = create_group(api, &alice, &[&bob, &carol, &dave], json!({})).await;
    let conv = format!("g:{gid}");
    let mut dave_ws = WsClient::connect(&srv.ws_url(), &dave.access_token).await;

    let root = text(api, &alice, &conv, "root", json!({})).await.1["seq"].as_u64().unwrap();
    let b1 = reply(api, &bob, &conv, "b-1", root).await;
    let c1 = reply(api, &carol, &conv, "c-1", root).await;
    // A reply in a thread may quote another reply.
    let (status, ack) = text(api, &bob, &conv, "b-2", json!({ "thread_root": root, "reply_to": { "seq": c1 } })).await;
    assert_eq!(status, 201, "{ack}");
    let b2 = ack["seq"].as_u64().unwrap();

    // Replies are messages of the conversation, pushed to every member with their root named.
    let pushed = dave_ws.messages(4).await;
    assert_eq!(pushed[3]["body"]["thread_root"], json!(root), "{pushed:?}");
    assert_eq!(pushed[3]["body"]["reply_to"]["quote"]["excerpt"], json!("c-1"));

    // History and sync show the root with its summary.
    let summary = json!({ "replies": 3, "last_ts": in_history(api, &bob, &conv, b2).await["ts"], "last_seq": b2,
        "participants": [bob.user_id, carol.user_id] });
    assert_eq!(in_history(api, &dave, &conv, root).await["thread"], summary);
    assert!(in_history(api, &dave, &conv, b1).await.get("thread").is_none(), "a reply is no root");
    dave_ws.close().await;
    let mut dave_ws = WsClient::connect(&srv.ws_url(), &dave.access_token).await;
    let synced = dave_ws.sync(&conv, 0, 50).await;
    let synced_root = synced["messages"].as_array().unwrap().iter().find(|m| m["seq"] == root).unwrap().clone();
    assert_eq!(synced_root["thread"], summary);

    // The thread pages newest first, each page ascending.
    let (status, page) = thread(api, &dave, &conv, root, "?limit=2").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["root"]["seq"], json!(root));
    assert_eq!(page["root"]["thread"], summary);
    let seqs: Vec<u64> = page["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert_eq!((seqs, page["has_more"].as_bool()), (vec![c1, b2], Some(true)));
    let (_, older) = thread(api, &dave, &conv, root, &format!("?limit=2&before_seq={c1}")).await;
    let seqs: Vec<u64> = older["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert_eq!((seqs, older["has_more"].as_bool()), (vec![b1], Some(false)));

    // Followers: alice wrote the root (3 replies by others unread: 1 thread), bob replied last
    // (nothing unread), carol replied before bob's second reply (1), dave follows nothing.
    for (who, want) in [(&alice, 1), (&alice2, 1), (&bob, 0), (&carol, 1), (&dave, 0)] {
        assert_eq!(threads_count(api, who, &conv).await, want, "{}", who.user_id);
    }
    // Reading the conversation does not read its threads; reading the thread does, for every
    // device of the reader, and a position never moves back.
    let last = api.conversations(&alice).await.into_iter().find(|r| r["conv"] == conv).unwrap()["max_seq"].clone();
    let path = format!("/api/v1/conversations/{conv}/read");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), Some(json!({ "seq": last }))).await.0, 200);
    assert_eq!(threads_count(api, &alice, &conv).await, 1);
    let mut alice2_ws = WsClient::connect(&srv.ws_url(), &alice2.access_token).await;
    alice2_ws.sync(&conv, 0, 1).await;
    assert_eq!(
        read_thread(api, &alice, &conv, root, c1).await,
        json!({"read_seq": c1, "following": true, "threads": 1})
    );
    assert_eq!(
        read_thread(api, &alice, &conv, root, b2).await,
        json!({"read_seq": b2, "following": true, "threads": 0})
    );
    // Her other device hears of both moves, with the count each leaves.
    for (seq, threads) in [(c1, 1), (b2, 0)] {
        let (frame, _) = alice2_ws.wait_for("thread_read").await;
        assert_eq!(frame, json!({"type": "thread_read", "conv": conv, "root": root, "seq": seq, "threads": threads}));
    }
    assert_eq!(read_thread(api, &alice2, &conv, root, b1).await["read_seq"], json!(b2), "never back");
    assert_eq!(threads_count(api, &alice2, &conv).await, 0);
    assert_eq!(
        read_thread(api, &dave, &conv, root, b2).await,
        json!({"read_seq": 0, "following": false, "threads": 0})
    );

    // A new reply by carol: unread for alice and bob, not for carol herself.
    let c2 = reply(api, &carol, &conv, "c-2", root).await;
    for (who, want) in [(&alice, 1), (&bob, 1), (&carol, 0), (&dave, 0)] {
        assert_eq!(threads_count(api, who, &conv).await, want, "{}", who.user_id);
    }
    // Her recall takes it out of the thread and out of the counts; the summary drops it.
    let path = format!("/api/v1/conversations/{conv}/messages/{c2}/recall");
    assert_eq!(api.call("POST", &path, Some(&carol.access_token), None).await.0, 201);
    assert_eq!(threads_count(api, &alice, &conv).await, 0);
    let after = in_history(api, &bob, &conv, root).await["thread"].clone();
    assert_eq!((after["replies"].clone(), after["last_seq"].clone()), (json!(3), json!(b2)));
    let (_, page) = thread(api, &bob, &conv, root, "").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 3, "{page}");

    // An edit keeps the reply in its thread whatever body it sends.
    let edit = format!("/api/v1/conversations/{conv}/messages/{b1}/edit");
    let (status, body) =
        api.call("POST", &edit, Some(&bob.access_token), Some(json!({ "body": { "text": "b-1 again" } }))).await;
    assert_eq!(status, 201, "{body}");
    let edited = in_history(api, &dave, &conv, b1).await;
    assert_eq!(
        (edited["body"]["text"].clone(), edited["body"]["thread_root"].clone()),
        (json!("b-1 again"), json!(root))
    );
}

async fn bad_thread_requests_change_nothing(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let outsider = api.user("eve", "e1").await;
    let gid = create_group(api, &alice, &[&bob], json!({})).await;
    let conv = format!("g:{gid}");
    let root = text(api, &alice, &conv, "root", json!({})).await.1["seq"].as_u64().unwrap();
    let inner = reply(api, &bob, &conv, "in", root).await;
    let gone = text(api, &alice, &conv, "gone", json!({})).await.1["seq"].as_u64().unwrap();
    let path = format!("/api/v1/conversations/{conv}/messages/{gone}/recall");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), None).await.0, 201);
    let notice = gone + 1;
    let before = api.all_messages(&alice, &conv).await.len();

    let cases = [
        (json!(999), 400, "invalid_field"),
        (json!(inner), 400, "invalid_field"),
        (json!(notice), 400, "invalid_field"),
        (json!(gone), 409, "conflict"),
        (json!("1"), 400, "invalid_field"),
        (json!(-1), 400, "invalid_field"),
        (json!(0), 400, "invalid_field"),
    ];
    for (i, (root_value, status, want)) in cases.into_iter().enumerate() {
        let (got, body) = text(api, &bob, &conv, &format!("bad-{i}"), json!({ "thread_root": root_value })).await;
        assert_eq!((got, code(&body)), (status, Some(want)), "{root_value}: {body}");
    }
    assert_eq!(api.all_messages(&alice, &conv).await.len(), before, "nothing was written");

    // Thread pages: a reply is no root, a seq past the log is out of range, outsiders are not
    // members.
    assert_eq!(code(&thread(api, &bob, &conv, inner, "").await.1), Some("not_found"));
    assert_eq!(code(&thread(api, &bob, &conv, 999, "").await.1), Some("seq_out_of_range"));
    assert_eq!(code(&thread(api, &outsider, &conv, root, "").await.1), Some("not_member"));
    assert_eq!(code(&thread(api, &bob, &conv, root, "?limit=0").await.1), Some("invalid_field"));
    let path = format!("/api/v1/conversations/{conv}/threads/{root}/read");
    for (body, want) in [
        (json!({ "seq": root - 1 }), "invalid_field"),
        (json!({ "seq": "x" }), "invalid_field"),
        (json!({ "seq": 999 }), "seq_out_of_range"),
    ] {
        let (status, err) = api.call("POST", &path, Some(&bob.access_token), Some(body)).await;
        assert_eq!((status, code(&err)), (400, Some(want)), "{err}");
    }
    assert_eq!(threads_count(api, &alice, &conv).await, 1, "bob's reply is still unread for alice");
}

tidings_tests::both_modes!(a_group_threads_and_follows, bad_thread_requests_change_nothing);
