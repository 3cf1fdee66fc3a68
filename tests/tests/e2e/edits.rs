//! Edits: the sender replaces their text message's body; every device learns it as an `edit`
//! entry of the log, every read path shows the new body and `edited_at`, refusals change
//! nothing, racing edits end as the one with the higher seq, and a recall erases every version.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::{Backend, spawn_server, spawn_server_with};

async fn sent(api: &Api, who: &Login, conv: &str, id: &str, body: Value) -> u64 {
    let (status, ack) = send(api, who, conv, id, "text", body).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

/// `POST .../edit` over REST: status and body.
async fn edit(api: &Api, who: &Login, conv: &str, seq: u64, body: Value) -> (u16, Value) {
    let path = format!("/api/v1/conversations/{conv}/messages/{seq}/edit");
    api.call("POST", &path, Some(&who.access_token), Some(json!({ "body": body }))).await
}

async fn edited(api: &Api, who: &Login, conv: &str, seq: u64, text: &str) -> u64 {
    let (status, ack) = edit(api, who, conv, seq, json!({ "text": text })).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

async fn versions(api: &Api, who: &Login, conv: &str, seq: u64) -> (u16, Value) {
    let path = format!("/api/v1/conversations/{conv}/messages/{seq}/edits");
    api.call("GET", &path, Some(&who.access_token), None).await
}

async fn message(api: &Api, who: &Login, conv: &str, seq: u64) -> Value {
    let all = api.all_messages(who, conv).await;
    all.into_iter().find(|m| m["seq"] == seq).unwrap_or_else(|| panic!("no message {seq} in {conv}"))
}

/// The next pushed message of `kind`, skipping other frames.
async fn next_of_kind(ws: &mut WsClient, kind: &str) -> Value {
    loop {
        let (frame, _) = ws.wait_for("msg").await;
        if frame["message"]["kind"] == kind {
            return frame["message"].clone();
        }
    }
}

/// `(unread, mention_count)` of `conv` in `who`'s list; unread is checked against the log.
async fn counts(api: &Api, who: &Login, conv: &str) -> (u64, u64) {
    let rows = api.conversations(who).await;
    let row = rows.iter().find(|r| r["conv"] == conv).unwrap_or_else(|| panic!("{conv} not listed"));
    let unread = row["unread"].as_u64().unwrap();
    assert_eq!(unread, api.unread_from_log(who, conv, row["read_seq"].as_u64().unwrap()).await, "{row}");
    (unread, row["mention_count"].as_u64().unwrap())
}

async fn edits_reach_every_device_and_every_read_path(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let alice2 = api.login("alice", "a2").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let mut a1 = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let mut a2 = WsClient::connect(&srv.ws_url(), &alice2.access_token).await;
    let mut b1 = WsClient::connect(&srv.ws_url(), &bob.access_token).await;

    let hello = sent(api, &alice, &conv, "a-1", json!({"text": "helo"})).await;
    let bob_before = counts(api, &bob, &conv).await;
    // Over the socket: answered by the ack of the entry; every device, the editor's own too,
    // gets the entry pushed.
    let id = a1.next_id();
    a1.send(json!({"type": "edit", "id": id, "conv": conv, "seq": hello, "body": {"text": "hello"}})).await;
    let (ack, before_ack) = a1.wait_for("ack").await;
    assert_eq!(ack["id"], id.as_str(), "{ack}");
    let entry_seq = ack["seq"].as_u64().unwrap();
    assert_eq!(entry_seq, hello + 1);
    // The editor's own push may come before or after its ack.
    let early = before_ack.into_iter().find(|f| f["type"] == "msg" && f["message"]["kind"] == "edit");
    let mut entries = vec![match early {
        Some(frame) => frame["message"].clone(),
        None => next_of_kind(&mut a1, "edit").await,
    }];
    for ws in [&mut a2, &mut b1] {
        entries.push(next_of_kind(ws, "edit").await);
    }
    for entry in entries {
        assert_eq!(entry["seq"], entry_seq);
        assert_eq!(entry["sender"], alice.user_id.as_str());
        assert_eq!(entry["body"]["seq"], hello);
        assert_eq!(entry["body"]["body"], json!({"text": "hello"}));
        assert!(entry["body"]["edited_at"].as_i64().is_some(), "{entry}");
    }
    // History and sync show the new body and when it changed; an edit is never unread.
    let edited_at = message(api, &bob, &conv, entry_seq).await["body"]["edited_at"].clone();
    for who in [&alice, &bob] {
        let m = message(api, who, &conv, hello).await;
        assert_eq!((&m["body"], &m["edited_at"]), (&json!({"text": "hello"}), &edited_at), "{m}");
    }
    let page = b1.sync(&conv, 0, 10).await;
    let synced = page["messages"].as_array().unwrap();
    assert_eq!(synced[0]["body"]["text"], "hello");
    assert_eq!(synced[0]["edited_at"], edited_at);
    assert_eq!((synced[1]["kind"].as_str(), synced.len()), (Some("edit"), 2));
    assert_eq!(counts(api, &bob, &conv).await, bob_before, "the edit is not unread");
    let list = api.conversations(&bob).await;
    assert_eq!(list[0]["last_message"]["kind"], "edit", "{list:?}");

    // A device that was offline gets the later edit from sync, in order, after the message.
    a2.close().await;
    let second = edited(api, &alice, &conv, hello, "hello there").await;
    let mut a2 = WsClient::connect(&srv.ws_url(), &alice2.access_token).await;
    let page = a2.sync(&conv, entry_seq, 10).await;
    let caught_up = page["messages"].as_array().unwrap();
    assert_eq!(caught_up.len(), 1, "{page}");
    assert_eq!((caught_up[0]["seq"].as_u64(), &caught_up[0]["kind"]), (Some(second), &json!("edit")));
    assert_eq!(caught_up[0]["body"]["body"]["text"], "hello there");

    // The versions: the original first, the current body last; the sender only, in a chat.
    let (status, body) = versions(api, &alice, &conv, hello).await;
    assert_eq!(status, 200, "{body}");
    let list = body["versions"].as_array().unwrap();
    let texts: Vec<&str> = list.iter().map(|v| v["body"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["helo", "hello", "hello there"]);
    assert_eq!(list.iter().map(|v| v["version"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(list[0]["ts"].as_i64().is_some() && list[0].get("edited_at").is_none(), "{body}");
    assert_eq!(list[1]["edited_at"], edited_at);
    assert_eq!(list[2]["edited_at"], message(api, &bob, &conv, hello).await["edited_at"]);
    assert_eq!(code(&versions(api, &bob, &conv, hello).await.1), Some("forbidden"));
    assert_eq!(code(&versions(api, &carol, &conv, hello).await.1), Some("not_member"));
    let (status, body) = versions(api, &bob, &conv, 1).await;
    assert_eq!(status, 403, "bob may not see alice's versions: {body}");
}

async fn group_edits_keep_the_reply_and_move_mentions(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    let conv = format!("g:{gid}");
    let question = sent(api, &bob, &conv, "b-1", json!({"text": "when?"})).await;
    let other = sent(api, &carol, &conv, "c-1", json!({"text": "other"})).await;
    let reply = sent(api, &alice, &conv, "a-1", json!({"text": "soon", "reply_to": {"seq": question}})).await;
    let quote = message(api, &bob, &conv, reply).await["body"]["reply_to"].clone();
    let before = counts(api, &carol, &conv).await;

    // reply_to cannot be changed: the original's stays, quote and all.
    let tries = json!({"text": "@carol soon", "mentions": [carol.user_id], "reply_to": {"seq": other}});
    let (status, ack) = edit(api, &alice, &conv, reply, tries).await;
    assert_eq!(status, 201, "{ack}");
    let m = message(api, &carol, &conv, reply).await;
    assert_eq!(m["body"]["reply_to"], quote, "{m}");
    assert_eq!(m["body"]["mentions"], json!([carol.user_id]));
    // The added mention counts (through the edited row), the entry itself does not.
    assert_eq!(counts(api, &carol, &conv).await, (before.0, before.1 + 1));
    edited(api, &alice, &conv, reply, "soon, no mention").await;
    assert_eq!(counts(api, &carol, &conv).await, before);
    assert_eq!(message(api, &carol, &conv, reply).await["body"]["reply_to"], quote);

    // Versions in a group: the sender and owners/admins; other members are refused.
    assert_eq!(versions(api, &alice, &conv, reply).await.1["versions"].as_array().unwrap().len(), 3);
    assert!(edited(api, &bob, &conv, question, "when exactly?").await > reply);
    let (status, body) = versions(api, &alice, &conv, question).await;
    assert_eq!(status, 200, "the owner sees a member's versions: {body}");
    assert_eq!(body["versions"][1]["body"]["text"], "when exactly?");
    assert_eq!(code(&versions(api, &carol, &conv, reply).await.1), Some("forbidden"));
    assert_eq!(code(&versions(api, &dave, &conv, reply).await.1), Some("not_member"));
    // A message never edited has one version: itself.
    let (_, body) = versions(api, &carol, &conv, other).await;
    assert_eq!(
        body["versions"],
        json!([{"version": 1, "body": {"text": "other"}, "ts": message(api, &carol, &conv, other).await["ts"]}])
    );
}

async fn refused_edits_change_nothing(backend: Backend) {
    let srv = spawn_server_with(backend, |s| s.limits.edit_window = Duration::from_secs(60)).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let gid = create_group(api, &alice, &[&bob, &carol, &dave], json!({})).await;
    let conv = format!("g:{gid}");
    let bobs = sent(api, &bob, &conv, "b-1", json!({"text": "bob's"})).await;
    let carols = sent(api, &carol, &conv, "c-1", json!({"text": "carol's"})).await;
    let daves = sent(api, &dave, &conv, "d-1", json!({"text": "dave's"})).await;
    let (status, custom) = send(api, &bob, &conv, "b-2", "custom", json!({"card": 1})).await;
    assert_eq!(status, 201, "{custom}");
    let custom = custom["seq"].as_u64().unwrap();
    let gone = sent(api, &bob, &conv, "b-3", json!({"text": "gone"})).await;
    let path = format!("/api/v1/conversations/{conv}/messages/{gone}/recall");
    assert_eq!(api.call("POST", &path, Some(&bob.access_token), None).await.0, 201);
    let before = api.all_messages(&alice, &conv).await;
    let text = |t: &str| json!({ "text": t });

    let refusals: Vec<(&str, &Login, u64, Value, &str)> = vec![
        ("no such message", &bob, 999, text("x"), "seq_out_of_range"),
        ("recalled", &bob, gone, text("x"), "conflict"),
        ("not a text", &bob, custom, text("x"), "forbidden"),
        ("a group notice", &alice, 1, text("x"), "forbidden"),
        ("someone else's", &alice, bobs, text("x"), "forbidden"),
        ("blank text", &bob, bobs, text("  "), "invalid_field"),
        ("not an object", &bob, bobs, json!("x"), "invalid_field"),
        ("too long", &bob, bobs, text(&"x".repeat(5000)), "body_too_large"),
        ("mentions an outsider", &bob, bobs, json!({"text": "x", "mentions": ["u_nobody"]}), "invalid_field"),
        ("mention_all by a member", &bob, bobs, json!({"text": "x", "mention_all": true}), "forbidden"),
    ];
    for (why, who, seq, body, want) in refusals {
        let (status, err) = edit(api, who, &conv, seq, body.clone()).await;
        assert_eq!(code(&err), Some(want), "{why}: {status} {err}");
        assert!(status >= 400, "{why}");
        // A body refused is refused the same way as a send of it.
        if matches!(want, "invalid_field" | "body_too_large") {
            let (_, as_send) = send(api, who, &conv, "never", "text", body).await;
            assert_eq!(code(&as_send), Some(want), "{why}: a send says {as_send}");
        }
    }
    // The same refusals over the socket, answered with the frame's id.
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let id = ws.next_id();
    ws.send(json!({"type": "edit", "id": id, "conv": conv, "seq": bobs, "body": {"text": "mine now"}})).await;
    let (err, _) = ws.wait_for("error").await;
    assert_eq!((err["id"].as_str(), err["code"].as_str()), (Some(id.as_str()), Some("forbidden")), "{err}");

    // Muted, left, dissolved: as for sends.
    let base = format!("/api/v1/groups/{gid}");
    let mute = json!({"mute_secs": 600});
    let (status, body) =
        api.call("PATCH", &format!("{base}/members/{}", carol.user_id), Some(&alice.access_token), Some(mute)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(code(&edit(api, &carol, &conv, carols, text("x")).await.1), Some("muted"));
    let (status, body) = api.call("POST", &format!("{base}/leave"), Some(&dave.access_token), None).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(code(&edit(api, &dave, &conv, daves, text("x")).await.1), Some("not_member"));
    // Past the window: refused, saying why.
    srv.advance(Duration::from_secs(61));
    let (status, err) = edit(api, &bob, &conv, bobs, text("late")).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("window"), "{err}");
    let after = api.all_messages(&alice, &conv).await;
    assert_eq!(after[..before.len()], before[..], "nothing changed");
    assert!(after.iter().all(|m| m["kind"] != "edit"), "no edit entry was written: {after:?}");

    let fresh = sent(api, &bob, &conv, "b-4", text("fresh")).await;
    let (status, body) = api.call("DELETE", &base, Some(&alice.access_token), None).await;
    assert!(status < 300, "{body}");
    assert_eq!(code(&edit(api, &bob, &conv, fresh, text("x")).await.1), Some("group_dissolved"));
    assert_eq!(message(api, &alice, &conv, fresh).await["body"], text("fresh"));
}

async fn recall_after_edits_erases_every_version(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    let conv = format!("g:{gid}");
    let secret = sent(api, &bob, &conv, "b-1", json!({"text": "secret-1"})).await;
    let reply = sent(api, &carol, &conv, "c-1", json!({"text": "ok", "reply_to": {"seq": secret}})).await;
    let e1 = edited(api, &bob, &conv, secret, "secret-2").await;
    let e2 = edited(api, &bob, &conv, secret, "secret-3").await;
    assert_eq!(versions(api, &bob, &conv, secret).await.1["versions"].as_array().unwrap().len(), 3);

    let path = format!("/api/v1/conversations/{conv}/messages/{secret}/recall");
    assert_eq!(api.call("POST", &path, Some(&bob.access_token), None).await.0, 201);
    for who in [&alice, &bob, &carol] {
        let all = api.all_messages(who, &conv).await;
        let seen = serde_json::to_string(&all).unwrap();
        assert!(!seen.contains("secret"), "{}: {seen}", who.user_id);
        for seq in [e1, e2] {
            let entry = all.iter().find(|m| m["seq"] == seq).unwrap();
            assert_eq!((&entry["kind"], &entry["body"]), (&json!("edit"), &json!({ "seq": secret })));
        }
        let target = all.iter().find(|m| m["seq"] == secret).unwrap();
        assert_eq!(target["kind"], "recalled");
        assert!(target.get("edited_at").is_none(), "{target}");
        assert_eq!(
            all.iter().find(|m| m["seq"] == reply).unwrap()["body"]["reply_to"]["quote"],
            json!({"recalled": true})
        );
    }
    for who in [&alice, &bob] {
        let (status, body) = versions(api, who, &conv, secret).await;
        assert_eq!((status, &body), (200, &json!({"versions": []})));
    }
    // Editing it now is a conflict.
    assert_eq!(code(&edit(api, &bob, &conv, secret, json!({"text": "back"})).await.1), Some("conflict"));
}

/// Two devices (on two instances in cluster mode) edit one message at once, many times: the row
/// always ends as the edit entry with the higher seq.
async fn racing_edits_end_as_the_higher_seq(backend: Backend) {
    let srv = spawn_server(backend).await;
    let peer = srv.peer().await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let alice2 = api.login("alice", "a2").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let target = sent(api, &alice, &conv, "a-1", json!({"text": "v0"})).await;
    let mut one = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let mut two = WsClient::connect(&peer.as_ref().unwrap_or(&srv).ws_url(), &alice2.access_token).await;
    for round in 0..8 {
        let (x, y) = (format!("one-{round}"), format!("two-{round}"));
        let frame =
            |id: &str, t: &str| json!({"type": "edit", "id": id, "conv": conv, "seq": target, "body": {"text": t}});
        let (ida, idb) = (one.next_id(), two.next_id());
        tokio::join!(one.send(frame(&ida, &x)), two.send(frame(&idb, &y)));
        let (acks, ackb) = tokio::join!(one.wait_for("ack"), two.wait_for("ack"));
        let (sa, sb) = (acks.0["seq"].as_u64().unwrap(), ackb.0["seq"].as_u64().unwrap());
        let winner = if sa > sb { &x } else { &y };
        let m = message(api, &bob, &conv, target).await;
        assert_eq!(m["body"]["text"], winner.as_str(), "round {round}: seqs {sa} and {sb}");
        let (_, body) = versions(api, &alice, &conv, target).await;
        assert_eq!(body["versions"].as_array().unwrap().last().unwrap()["body"]["text"], winner.as_str());
    }
}

tidings_tests::both_modes!(
    edits_reach_every_device_and_every_read_path,
    group_edits_keep_the_reply_and_move_mentions,
    refused_edits_change_nothing,
    recall_after_edits_erases_every_version,
    racing_edits_end_as_the_higher_seq,
);
