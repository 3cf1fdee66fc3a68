//! The conversation list: profiles, unread counts, mentions, previews, per-member preferences
//! shared by devices, incremental answers by version, and mark-all-read.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::{Backend, spawn_server};

async fn list(api: &Api, who: &Login, since: Option<i64>) -> (Vec<Value>, i64) {
    let path = match since {
        Some(v) => format!("/api/v1/conversations?since_version={v}"),
        None => "/api/v1/conversations".to_owned(),
    };
    let (status, body) = api.call("GET", &path, Some(&who.access_token), None).await;
    assert_eq!(status, 200, "{body}");
    (body["conversations"].as_array().unwrap().clone(), body["version"].as_i64().unwrap())
}

fn row<'a>(rows: &'a [Value], conv: &str) -> &'a Value {
    rows.iter().find(|r| r["conv"] == conv).unwrap_or_else(|| panic!("no row {conv} in {rows:?}"))
}

fn convs(rows: &[Value]) -> Vec<String> {
    rows.iter().map(|r| r["conv"].as_str().unwrap().to_owned()).collect()
}

async fn assert_unread_exact(api: &Api, who: &Login) {
    let (rows, _) = list(api, who, None).await;
    for r in &rows {
        let conv = r["conv"].as_str().unwrap();
        let want = api.unread_from_log(who, conv, r["read_seq"].as_u64().unwrap()).await;
        assert_eq!(r["unread"].as_u64(), Some(want), "unread of {conv}: {r}");
    }
}

async fn send_custom(api: &Api, who: &Login, conv: &str, id: &str, body: Value) -> u64 {
    let (status, ack) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&who.access_token),
            Some(json!({"client_msg_id": id, "kind": "custom", "body": body})),
        )
        .await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

async fn send_text(api: &Api, who: &Login, conv: &str, id: &str, text: &str) -> u64 {
    let (status, ack) = api.send_text(who, conv, id, text).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

/// Alice on two devices, Bob and Carol: the people of both stories here.
async fn alice_twice_bob_carol(api: &Api) -> (Login, Login, Login, Login) {
    let a1 = api.user("alice", "a1").await;
    let a2 = api.login("alice", "a2").await;
    (a1, a2, api.user("bob", "b1").await, api.user("carol", "c1").await)
}

async fn patch(api: &Api, who: &Login, conv: &str, body: Value) -> (u16, Value) {
    api.call("PATCH", &format!("/api/v1/conversations/{conv}"), Some(&who.access_token), Some(body)).await
}

async fn list_fields_preferences_increments_and_read_all(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let (a1, a2, b, c) = alice_twice_bob_carol(api).await;
    let x = api.user("xena", "x1").await;
    let ab = direct(&a1.user_id, &b.user_id);
    let body = json!({"name": "Team", "avatar": "media_1", "members": [a1.user_id, b.user_id]});
    let (status, group) = api.call("POST", "/api/v1/groups", Some(&c.access_token), Some(body)).await;
    assert_eq!(status, 201, "{group}");
    let gid = group["group_id"].as_str().unwrap().to_owned();
    let gc = format!("g:{gid}");

    send_text(api, &b, &ab, "b-1", "hi alice").await;
    send_custom(api, &b, &ab, "b-2", json!({"note": "ping", "mentions": [a1.user_id]})).await;
    send_text(api, &a1, &ab, "a-1", "hi bob").await;
    send_custom(api, &c, &gc, "c-1", json!({"note": "all hands", "mention_all": true})).await;
    let last = send_text(api, &b, &gc, "b-3", "on my way").await;

    let (rows, _) = list(api, &a1, None).await;
    assert_eq!(convs(&rows), vec![gc.clone(), ab.clone()], "most recent first");
    let d = row(&rows, &ab);
    assert_eq!((d["kind"].as_str(), d["peer"].as_str()), (Some("direct"), Some(b.user_id.as_str())));
    assert_eq!(d["peer_profile"], json!({"user_id": b.user_id, "display_name": "bob"}));
    assert_eq!((d["max_seq"].as_u64(), d["read_seq"].as_u64(), d["unread"].as_u64()), (Some(3), Some(0), Some(2)));
    assert_eq!(d["mentioned"], true);
    assert_eq!(d["last_message"]["body"]["text"], "hi bob");
    assert_eq!((d["muted"].as_bool(), d["pinned"].as_bool(), d.get("draft")), (Some(false), Some(false), None));
    let g = row(&rows, &gc);
    assert_eq!(g["group"], json!({"group_id": gid, "name": "Team", "avatar": "media_1"}));
    assert!(g.get("peer_profile").is_none());
    assert_eq!(g["max_seq"].as_u64(), Some(last));
    assert_eq!(g["mentioned"], true, "mention_all");
    assert_eq!(g["last_message"]["body"]["text"], "on my way");
    assert_eq!(g["unread"].as_u64(), Some(api.unread_from_log(&a1, &gc, g["read_seq"].as_u64().unwrap()).await));
    // Bob sent the mention of Alice: it is no mention for himself.
    let (bob_rows, _) = list(api, &b, None).await;
    assert_eq!(row(&bob_rows, &ab)["mentioned"], false);

    // Preferences from the second device, seen by the first; pinned rows come first.
    let (status, p) = patch(api, &a2, &ab, json!({"pinned": true, "draft": "see you at"})).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!((p["pinned"].as_bool(), p["draft"].as_str()), (Some(true), Some("see you at")));
    assert_eq!(patch(api, &a2, &gc, json!({"muted": true})).await.0, 200);
    let (rows, _) = list(api, &a1, None).await;
    assert_eq!(convs(&rows), vec![ab.clone(), gc.clone()], "pinned first");
    assert_eq!(
        (row(&rows, &ab)["pinned"].as_bool(), row(&rows, &ab)["draft"].as_str()),
        (Some(true), Some("see you at"))
    );
    assert_eq!(row(&rows, &gc)["muted"], true);
    let (bob_rows, _) = list(api, &b, None).await;
    assert_eq!((row(&bob_rows, &ab)["pinned"].as_bool(), row(&bob_rows, &ab).get("draft")), (Some(false), None));
    assert_eq!(patch(api, &a1, &ab, json!({"draft": null})).await.1["draft"], Value::Null);
    // Outsiders and bad bodies are refused.
    let (status, e) = patch(api, &x, &gc, json!({"muted": true})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("not_member")));
    let (status, e) = patch(api, &x, &ab, json!({"muted": true})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("not_member")));
    let (status, _) = patch(api, &a1, &ab, json!({"colour": "red"})).await;
    assert_eq!(status, 400);
    let (status, _) = patch(api, &a1, &ab, json!({"draft": "x".repeat(4001)})).await;
    assert_eq!(status, 400);

    // Incremental: only rows changed after the version come back. A list's version stays a
    // second behind the clock (LIST_SETTLE_MS), so the clock moves on past it between steps.
    srv.advance(Duration::from_millis(1100));
    let (_, v0) = list(api, &a1, None).await;
    let (rows, v1) = list(api, &a1, Some(v0)).await;
    assert!(rows.is_empty(), "nothing changed: {rows:?}");
    assert!(v1 >= v0);
    send_text(api, &b, &ab, "b-4", "still there?").await;
    let (rows, _) = list(api, &a1, Some(v0)).await;
    assert_eq!(convs(&rows), vec![ab.clone()], "a new message");
    assert_eq!(rows[0]["unread"].as_u64(), Some(3));
    srv.advance(Duration::from_millis(1100));
    let (_, v2) = list(api, &a1, None).await;
    assert_eq!(patch(api, &a2, &gc, json!({"draft": "later"})).await.0, 200);
    let (rows, _) = list(api, &a1, Some(v2)).await;
    assert_eq!(convs(&rows), vec![gc.clone()], "a preference change");
    srv.advance(Duration::from_millis(1100));
    let (_, v3) = list(api, &a1, None).await;

    // Mark-all-read from one device: every unread is zero and the other device hears of each.
    let mut a2_ws = WsClient::connect(&srv.ws_url(), &a2.access_token).await;
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    let (status, done) = api.call("POST", "/api/v1/conversations/read-all", Some(&a1.access_token), None).await;
    assert_eq!((status, done["conversations"].as_u64()), (200, Some(2)), "{done}");
    let mut reads = Vec::new();
    for _ in 0..2 {
        let (r, _) = a2_ws.wait_for("read").await;
        assert_eq!(r["user_id"], a1.user_id.as_str());
        reads.push((r["conv"].as_str().unwrap().to_owned(), r["seq"].as_u64().unwrap()));
    }
    reads.sort();
    let mut want = vec![(ab.clone(), 4), (gc.clone(), last)];
    want.sort();
    assert_eq!(reads, want);
    assert_eq!(b_ws.expect("read").await["conv"], ab.as_str(), "the direct peer gets the receipt");
    let (rows, _) = list(api, &a1, None).await;
    assert!(rows.iter().all(|r| r["unread"] == 0 && r["mentioned"] == false), "{rows:?}");
    let (rows, _) = list(api, &a1, Some(v3)).await;
    assert_eq!(rows.len(), 2, "reads change rows");
    let (_, again) = api.call("POST", "/api/v1/conversations/read-all", Some(&a1.access_token), None).await;
    assert_eq!(again["conversations"], 0);
}

async fn unread_counts_stay_exact_across_devices_reads_and_reconnects(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let (a1, a2, b, c) = alice_twice_bob_carol(api).await;
    let ab = direct(&a1.user_id, &b.user_id);
    let ac = direct(&a1.user_id, &c.user_id);
    let mut a1_ws = WsClient::connect(&srv.ws_url(), &a1.access_token).await;
    let mut a2_ws = WsClient::connect(&srv.ws_url(), &a2.access_token).await;

    for i in 0..5 {
        send_text(api, &b, &ab, &format!("b{i}"), "from bob").await;
        send_text(api, &a1, &ab, &format!("a{i}"), "own message").await;
        send_text(api, &c, &ac, &format!("c{i}"), "from carol").await;
    }
    assert_unread_exact(api, &a1).await;
    // A read on one device, own messages after it, then a read on the other device.
    a2_ws.send(json!({"type": "read", "conv": ab, "seq": 4})).await;
    assert_eq!(a1_ws.wait_for("read").await.0["seq"], 4);
    send_text(api, &a2, &ab, "a-own", "from my phone").await;
    assert_unread_exact(api, &a1).await;
    let (rows, _) = list(api, &a2, None).await;
    assert_eq!(row(&rows, &ab)["read_seq"], 4);
    a1_ws.send(json!({"type": "read", "conv": ac, "seq": 3})).await;
    assert_eq!(a2_ws.wait_for("read").await.0["seq"], 3);
    assert_unread_exact(api, &a1).await;
    // Reconnect one device, more traffic, mark-all-read, more traffic.
    a1_ws.close().await;
    send_text(api, &c, &ac, "c-late", "are you back?").await;
    let _a1_ws = WsClient::connect(&srv.ws_url(), &a1.access_token).await;
    assert_unread_exact(api, &a1).await;
    api.call("POST", "/api/v1/conversations/read-all", Some(&a2.access_token), None).await;
    assert_unread_exact(api, &a1).await;
    send_text(api, &b, &ab, "b-late", "one more").await;
    send_text(api, &a1, &ab, "a-late", "own again").await;
    assert_unread_exact(api, &a1).await;
    let (rows, _) = list(api, &a1, None).await;
    assert_eq!((row(&rows, &ab)["unread"].as_u64(), row(&rows, &ac)["unread"].as_u64()), (Some(1), Some(0)));
}

async fn the_list_pages_with_a_cursor(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let mut peers = Vec::new();
    for i in 0..7 {
        let peer = api.register(&format!("peer{i}")).await;
        let conv = direct(&alice.user_id, &peer);
        let (status, ack) = api.send_text(&alice, &conv, &format!("p{i}"), "hello").await;
        assert_eq!(status, 201, "{ack}");
        peers.push(conv);
    }
    // A pinned row leads the list; the cursor must carry it over pages.
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{}", peers[0]),
            Some(&alice.access_token),
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (whole, _) = list(api, &alice, None).await;
    assert_eq!(whole.len(), 7);
    assert_eq!(whole[0]["conv"], peers[0].as_str(), "pinned first");

    let mut paged = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..10 {
        let path = match &before {
            Some(cursor) => format!("/api/v1/conversations?limit=3&before={cursor}"),
            None => "/api/v1/conversations?limit=3".to_owned(),
        };
        let (status, body) = api.call("GET", &path, Some(&alice.access_token), None).await;
        assert_eq!(status, 200, "{body}");
        paged.extend(body["conversations"].as_array().unwrap().iter().cloned());
        match body["next_before"].as_str() {
            Some(next) => before = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(convs(&paged), convs(&whole), "the pages are the whole list, in order, each row once");

    for bad in ["nope", "2.5.g:team1", "1.5.d:u_b:u_a"] {
        let (status, body) =
            api.call("GET", &format!("/api/v1/conversations?before={bad}"), Some(&alice.access_token), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_field")), "{bad}: {body}");
    }
}

tidings_tests::both_modes!(
    the_list_pages_with_a_cursor,
    list_fields_preferences_increments_and_read_all,
    unread_counts_stay_exact_across_devices_reads_and_reconnects,
);
