//! Rich messaging: every kind's body rules, mentions and replies, recall (window, managers,
//! every device, nothing of the original left anywhere), unread counts with recalls, and
//! group read lists.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_interfaces::Settings;
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::media::{mp4, ogg, png, upload_ok};
use tidings_tests::{Backend, spawn_server_with};

/// Small limits so each can be passed in a test, and no send rate in the way.
fn small_limits(s: &mut Settings) {
    s.limits.send_burst = 10_000;
    s.limits.send_per_sec = 10_000.0;
    s.limits.max_text_chars = 20;
    s.limits.max_body_bytes = 200;
    s.limits.max_mentions = 2;
    s.limits.max_file_name_chars = 16;
    s.limits.max_declared_file_bytes = 1_000;
    s.limits.max_media_side = 4_096;
    s.limits.max_voice_duration = Duration::from_secs(60);
    s.limits.max_video_duration = Duration::from_secs(60);
}

async fn recall(api: &Api, who: &Login, conv: &str, seq: u64) -> (u16, Value) {
    api.call("POST", &format!("/api/v1/conversations/{conv}/messages/{seq}/recall"), Some(&who.access_token), None)
        .await
}

async fn make_admin(api: &Api, owner: &Login, gid: &str, who: &Login) {
    let path = format!("/api/v1/groups/{gid}/members/{}", who.user_id);
    let (status, body) = api.call("PATCH", &path, Some(&owner.access_token), Some(json!({"role": "admin"}))).await;
    assert_eq!(status, 200, "{body}");
}

/// Waits for the next pushed message of `kind`, skipping other frames.
async fn next_of_kind(ws: &mut WsClient, kind: &str) -> Value {
    loop {
        let (frame, _) = ws.wait_for("msg").await;
        if frame["message"]["kind"] == kind {
            return frame["message"].clone();
        }
    }
}

async fn every_kind_is_checked(backend: Backend) {
    let srv = spawn_server_with(backend, small_limits).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    let group = format!("g:{gid}");

    // Valid bodies of every kind, with mentions and replies (media messages carry real uploads).
    let image_id = upload_ok(api, &alice, "image", "image/png", png(64, 48)).await;
    let file_id = upload_ok(api, &alice, "file", "application/pdf", b"%PDF-1.4 report".to_vec()).await;
    let voice_id = upload_ok(api, &alice, "voice", "audio/ogg", ogg(200)).await;
    let video_id = upload_ok(api, &alice, "video", "video/mp4", mp4(300)).await;
    let valid = [
        ("text", json!({"text": "hello"})),
        ("text", json!({"text": "hi @bob", "mentions": [bob.user_id]})),
        ("text", json!({"text": "re", "reply_to": {"seq": 1}})),
        ("text", json!({"text": "re", "reply_to": {"conv": conv, "seq": 2}})),
        ("image", json!({"media_id": image_id, "width": 640, "height": 480})),
        ("file", json!({"media_id": file_id, "name": "report.pdf", "size": 999})),
        ("voice", json!({"media_id": voice_id, "duration_ms": 4000, "reply_to": {"seq": 1}})),
        ("video", json!({"media_id": video_id, "duration_ms": 59_000, "width": 1280, "height": 720})),
        ("custom", json!({"card": {"title": "x"}, "n": 1})),
    ];
    for (i, (kind, body)) in valid.iter().enumerate() {
        let (status, ack) = send(api, &alice, &conv, &format!("ok-{i}"), kind, body.clone()).await;
        assert_eq!((status, ack["seq"].as_u64()), (201, Some(i as u64 + 1)), "{kind} {body}: {ack}");
    }
    let stored = api.all_messages(&bob, &conv).await;
    assert_eq!(stored.len(), valid.len());
    for (m, (kind, body)) in stored.iter().zip(&valid) {
        // A reply is stored with the server's snapshot of what it quotes.
        let mut expected = body.clone();
        if let Some(seq) = body["reply_to"]["seq"].as_u64() {
            let quoted = valid[seq as usize - 1].1["text"].as_str().unwrap();
            expected["reply_to"]["quote"] = json!({"sender": alice.user_id, "kind": "text", "excerpt": quoted});
        }
        assert_eq!((&m["kind"], &m["body"]), (&json!(kind), &expected));
    }

    // Refusals: missing field, wrong type, unknown field, over the limit, per kind; then the
    // references.
    let long = "x".repeat(21);
    let refused = [
        ("text", json!({}), "invalid_field"),
        ("text", json!({"text": 5}), "invalid_field"),
        ("text", json!({"text": "a", "bold": true}), "invalid_field"),
        ("text", json!({"text": long}), "body_too_large"),
        ("image", json!({"media_id": "m", "width": 1}), "invalid_field"),
        ("image", json!({"media_id": "m", "width": "1", "height": 1}), "invalid_field"),
        ("image", json!({"media_id": "m", "width": 1, "height": 1, "alt": "x"}), "invalid_field"),
        ("image", json!({"media_id": "m", "width": 4097, "height": 1}), "body_too_large"),
        ("image", json!({"media_id": "not an id", "width": 1, "height": 1}), "invalid_field"),
        ("file", json!({"media_id": "m", "size": 1}), "invalid_field"),
        ("file", json!({"media_id": "m", "name": "a", "size": -1}), "invalid_field"),
        ("file", json!({"media_id": "m", "name": "a", "size": 1, "mime": "x"}), "invalid_field"),
        ("file", json!({"media_id": "m", "name": "a", "size": 1001}), "body_too_large"),
        ("file", json!({"media_id": "m", "name": long, "size": 1}), "body_too_large"),
        ("voice", json!({"duration_ms": 1}), "invalid_field"),
        ("voice", json!({"media_id": 7, "duration_ms": 1}), "invalid_field"),
        ("voice", json!({"media_id": "m", "duration_ms": 1, "text": "x"}), "invalid_field"),
        ("voice", json!({"media_id": "m", "duration_ms": 60_001}), "body_too_large"),
        ("video", json!({"media_id": "m", "duration_ms": 1, "width": 1}), "invalid_field"),
        ("video", json!({"media_id": "m", "duration_ms": [1], "width": 1, "height": 1}), "invalid_field"),
        ("video", json!({"media_id": "m", "duration_ms": 1, "width": 1, "height": 1, "fps": 30}), "invalid_field"),
        ("video", json!({"media_id": "m", "duration_ms": 60_001, "width": 1, "height": 1}), "body_too_large"),
        ("custom", json!("just a string"), "invalid_field"),
        ("custom", json!({"pad": "y".repeat(300)}), "body_too_large"),
        ("custom", json!({"reply_to": {"seq": 1, "x": 2}}), "invalid_field"),
        ("sticker", json!({"id": 1}), "unsupported_kind"),
        ("recall", json!({"seq": 1}), "unsupported_kind"),
        ("recalled", json!({}), "unsupported_kind"),
        ("text", json!({"text": "a", "mentions": [carol.user_id]}), "invalid_field"),
        ("text", json!({"text": "a", "mentions": ["u_nobody"]}), "invalid_field"),
        ("text", json!({"text": "a", "mentions": ["not a user"]}), "invalid_field"),
        ("text", json!({"text": "a", "mentions": [alice.user_id, bob.user_id, "u_x"]}), "body_too_large"),
        ("text", json!({"text": "a", "mention_all": true}), "invalid_field"),
        ("text", json!({"text": "a", "reply_to": {"seq": 999}}), "invalid_field"),
        ("text", json!({"text": "a", "reply_to": {"seq": 0}}), "invalid_field"),
        ("text", json!({"text": "a", "reply_to": {"conv": group, "seq": 1}}), "invalid_field"),
        ("image", json!({"media_id": "m", "width": 1, "height": 1, "reply_to": {"seq": 99}}), "invalid_field"),
    ];
    for (i, (kind, body, want)) in refused.iter().enumerate() {
        let (status, err) = send(api, &alice, &conv, &format!("bad-{i}"), kind, body.clone()).await;
        assert_eq!(code(&err), Some(*want), "{kind} {body}: {status} {err}");
        assert!(status >= 400, "{err}");
    }
    // The same over WebSocket.
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    ws.send(json!({"type": "send", "id": "w1", "conv": conv, "client_msg_id": "ws-bad", "kind": "image",
        "body": {"media_id": "m", "width": 1, "height": 1, "extra": 1}}))
        .await;
    assert_eq!(ws.expect_error().await, "invalid_field");
    assert_eq!(api.all_messages(&bob, &conv).await.len(), valid.len(), "refused sends stored nothing");

    // In a group: members may be mentioned; everyone only by owners and admins.
    let (status, ack) =
        send(api, &bob, &group, "g-1", "text", json!({"text": "hi", "mentions": [carol.user_id, alice.user_id]})).await;
    assert_eq!(status, 201, "{ack}");
    let (status, err) = send(api, &bob, &group, "g-2", "text", json!({"text": "all!", "mention_all": true})).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    let (status, ack) = send(api, &alice, &group, "g-3", "text", json!({"text": "all!", "mention_all": true})).await;
    assert_eq!(status, 201, "{ack}");
    let reply = json!({"text": "re", "reply_to": {"conv": group, "seq": ack["seq"]}});
    assert_eq!(send(api, &carol, &group, "g-4", "text", reply).await.0, 201);
    let (_, err) =
        send(api, &carol, &group, "g-5", "text", json!({"text": "re", "reply_to": {"conv": conv, "seq": 1}})).await;
    assert_eq!(code(&err), Some("invalid_field"), "{err}");
    let kinds: Vec<Value> = api.all_messages(&carol, &group).await.iter().map(|m| m["body"]["text"].clone()).collect();
    assert_eq!(kinds.iter().filter(|t| t.is_string()).count(), 3, "{kinds:?}");
}

/// All history, sync and list responses of a user, as raw JSON text.
async fn everything_seen(srv_ws: &str, api: &Api, who: &Login, conv: &str) -> String {
    let mut ws = WsClient::connect(srv_ws, &who.access_token).await;
    let sync = ws.sync(conv, 0, 200).await;
    ws.close().await;
    let path = format!("/api/v1/conversations/{conv}/messages?before_seq=1000&limit=200");
    let (_, back) = api.call("GET", &path, Some(&who.access_token), None).await;
    let history = api.all_messages(who, conv).await;
    let list = api.conversations(who).await;
    format!("{sync} {back} {} {}", Value::Array(history), Value::Array(list))
}

async fn recall_by_the_sender(backend: Backend) {
    let srv = spawn_server_with(backend, small_limits).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let alice2 = api.login("alice", "a2").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let mut a1 = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let mut a2 = WsClient::connect(&srv.ws_url(), &alice2.access_token).await;
    let mut b1 = WsClient::connect(&srv.ws_url(), &bob.access_token).await;

    a1.send_text(&conv, "s-1", "secret one").await;
    assert_eq!(a1.expect("ack").await["seq"], 1);
    let (status, _) = send(api, &alice, &conv, "s-2", "text", json!({"text": "secret two"})).await;
    assert_eq!(status, 201);
    let (status, _) = send(api, &bob, &conv, "s-3", "text", json!({"text": "bob speaks"})).await;
    assert_eq!(status, 201);
    for ws in [&mut a2, &mut b1] {
        assert_eq!(next_of_kind(ws, "text").await["seq"], 1);
    }

    // Over WebSocket: answered with the ack of the notice; every device of both learns it.
    a1.send(json!({"type": "recall", "id": "rc1", "conv": conv, "seq": 1})).await;
    let (ack, before) = a1.wait_for("ack").await;
    assert_eq!((ack["id"].as_str(), ack["seq"].as_u64()), (Some("rc1"), Some(4)), "{ack}");
    // The asking device gets the notice too, before or after its ack.
    let early = before.into_iter().find(|f| f["message"]["kind"] == "recall").map(|f| f["message"].clone());
    let a1_notice = match early {
        Some(notice) => notice,
        None => next_of_kind(&mut a1, "recall").await,
    };
    assert_eq!(a1_notice["seq"], 4);
    for ws in [&mut a2, &mut b1] {
        let notice = next_of_kind(ws, "recall").await;
        assert_eq!((notice["seq"].as_u64(), notice["sender"].as_str()), (Some(4), Some(alice.user_id.as_str())));
        assert_eq!(notice["body"], json!({"seq": 1, "by": alice.user_id}));
    }
    // Over REST.
    let (status, ack) = recall(api, &alice2, &conv, 2).await;
    assert_eq!((status, ack["seq"].as_u64()), (201, Some(5)), "{ack}");
    for ws in [&mut a1, &mut a2, &mut b1] {
        assert_eq!(next_of_kind(ws, "recall").await["body"]["seq"], 2);
    }

    // Twice: conflict; someone else's: forbidden; a notice: forbidden; nothing: out of range.
    a1.send(json!({"type": "recall", "id": "rc2", "conv": conv, "seq": 1})).await;
    let (err, _) = a1.wait_for("error").await;
    assert_eq!((err["id"].as_str(), err["code"].as_str()), (Some("rc2"), Some("conflict")), "{err}");
    assert_eq!(code(&recall(api, &alice, &conv, 2).await.1), Some("conflict"));
    let (status, err) = recall(api, &alice, &conv, 3).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    let (status, err) = recall(api, &bob, &conv, 4).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    assert_eq!(code(&recall(api, &bob, &conv, 99).await.1), Some("seq_out_of_range"));
    let carol = api.user("carol", "c1").await;
    assert_eq!(code(&recall(api, &carol, &conv, 3).await.1), Some("not_member"));

    // The originals are gone from every history, sync and list response of both users.
    let history = api.all_messages(&bob, &conv).await;
    assert_eq!((history[0]["kind"].as_str(), &history[0]["body"]), (Some("recalled"), &json!({})));
    assert_eq!(history[0]["sender"], alice.user_id.as_str());
    for who in [&alice, &bob] {
        let seen = everything_seen(&srv.ws_url(), api, who, &conv).await;
        assert!(!seen.contains("secret"), "{seen}");
        assert!(seen.contains("bob speaks"));
    }
    // A recalled message as the last one of the list shows recalled too.
    let (status, _) = recall(api, &bob, &conv, 3).await;
    assert_eq!(status, 201);
    let (status, _) = send(api, &bob, &conv, "s-6", "text", json!({"text": "later"})).await;
    assert_eq!(status, 201);
    let (_, ack) = recall(api, &bob, &conv, 7).await;
    let list = api.conversations(&alice).await;
    assert_eq!(list[0]["last_message"]["kind"], "recall", "{list:?}");
    assert_eq!(list[0]["last_message"]["seq"], ack["seq"]);
    assert!(!Value::Array(list).to_string().contains("later"));
}

async fn recall_window_and_managers(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        small_limits(s);
        s.limits.recall_window = Duration::from_secs(60);
    })
    .await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let gid = create_group(api, &alice, &[&bob, &carol, &dave], json!({})).await;
    make_admin(api, &alice, &gid, &carol).await;
    let group = format!("g:{gid}");
    let text = |t: &str| json!({"text": t});

    let (_, d1) = send(api, &alice, &conv, "d-1", "text", text("quick")).await;
    let (_, g_bob) = send(api, &bob, &group, "g-1", "text", text("bob's")).await;
    let (_, g_alice) = send(api, &alice, &group, "g-2", "text", text("alice's")).await;
    let (_, g_dave) = send(api, &dave, &group, "g-3", "text", text("dave's")).await;
    let seq = |ack: &Value| ack["seq"].as_u64().unwrap();
    // Inside the window a plain member still may not recall someone else's message.
    let (status, err) = recall(api, &dave, &group, seq(&g_bob)).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    srv.advance(Duration::from_secs(61));

    // Past the window: the sender is refused, with a message saying so.
    let (status, err) = recall(api, &alice, &conv, seq(&d1)).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("window"), "{err}");
    let (status, err) = recall(api, &bob, &group, seq(&g_bob)).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    // An admin recalls a member's message at any time, the owner anyone's (their own too).
    let mut b1 = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let (status, ack) = recall(api, &carol, &group, seq(&g_bob)).await;
    assert_eq!(status, 201, "{ack}");
    let notice = next_of_kind(&mut b1, "recall").await;
    assert_eq!(notice["body"], json!({"seq": seq(&g_bob), "by": carol.user_id}));
    assert_eq!(recall(api, &alice, &group, seq(&g_alice)).await.0, 201);
    assert_eq!(recall(api, &alice, &group, seq(&g_dave)).await.0, 201);
    assert_eq!(code(&recall(api, &carol, &group, seq(&g_dave)).await.1), Some("conflict"));
    // Group notices are system messages.
    let (status, err) = recall(api, &alice, &group, 1).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    let seen = everything_seen(&srv.ws_url(), api, &dave, &group).await;
    assert!(!seen.contains("bob's") && !seen.contains("alice's") && !seen.contains("dave's"), "{seen}");
}

async fn check_unread(api: &Api, who: &Login, conv: &str) -> u64 {
    let list = api.conversations(who).await;
    let row = list.iter().find(|r| r["conv"] == conv).unwrap_or_else(|| panic!("{conv} not listed"));
    let unread = row["unread"].as_u64().unwrap();
    let from_log = api.unread_from_log(who, conv, row["read_seq"].as_u64().unwrap()).await;
    assert_eq!(unread, from_log, "{} in {conv}: {row}", who.user_id);
    unread
}

async fn unread_counts_stay_exact(backend: Backend) {
    let srv = spawn_server_with(backend, small_limits).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let text = |t: &str| json!({"text": t});

    for i in 0..3 {
        assert_eq!(send(api, &bob, &conv, &format!("b-{i}"), "text", text("hi")).await.0, 201);
    }
    assert_eq!(send(api, &alice, &conv, "a-0", "text", text("yo")).await.0, 201);
    assert_eq!((check_unread(api, &alice, &conv).await, check_unread(api, &bob, &conv).await), (3, 1));
    // Bob recalls an unread message: it and the notice leave Alice's count; Bob's own devices
    // never count the notice.
    assert_eq!(recall(api, &bob, &conv, 2).await.0, 201);
    assert_eq!((check_unread(api, &alice, &conv).await, check_unread(api, &bob, &conv).await), (2, 1));
    // Alice recalls her own: Bob's count drops.
    assert_eq!(recall(api, &alice, &conv, 4).await.0, 201);
    assert_eq!((check_unread(api, &alice, &conv).await, check_unread(api, &bob, &conv).await), (2, 0));
    let read = json!({"seq": 1});
    let (status, _) =
        api.call("POST", &format!("/api/v1/conversations/{conv}/read"), Some(&alice.access_token), Some(read)).await;
    assert_eq!(status, 200);
    assert_eq!(check_unread(api, &alice, &conv).await, 1);

    // In a group, an admin's recall of someone's message counts for nobody.
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    let group = format!("g:{gid}");
    let (_, ack) = send(api, &bob, &group, "g-1", "text", text("hey")).await;
    assert_eq!(send(api, &carol, &group, "g-2", "text", text("ho")).await.0, 201);
    let before = check_unread(api, &carol, &group).await;
    assert_eq!(recall(api, &alice, &group, ack["seq"].as_u64().unwrap()).await.0, 201);
    assert_eq!(check_unread(api, &carol, &group).await, before - 1);
    check_unread(api, &alice, &group).await;
    check_unread(api, &bob, &group).await;
}

async fn group_read_list(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        small_limits(s);
        s.limits.receipts_max_members = 4;
    })
    .await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let eve = api.user("eve", "e1").await;
    let gid = create_group(api, &alice, &[&bob, &carol, &dave], json!({})).await;
    let group = format!("g:{gid}");
    let (_, ack) = send(api, &alice, &group, "m-1", "text", json!({"text": "read me"})).await;
    let seq = ack["seq"].as_u64().unwrap();
    let reads = |who: &Login| {
        let path = format!("/api/v1/conversations/{group}/messages/{seq}/reads");
        let token = who.access_token.clone();
        async move { api.call("GET", &path, Some(&token), None).await }
    };
    let (status, list) = reads(&alice).await;
    assert_eq!((status, list), (200, json!({"read_by": [], "count": 0, "unread_count": 3})));

    // Bob reads over REST, Carol over WebSocket.
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{group}/read"),
            Some(&bob.access_token),
            Some(json!({"seq": seq})),
        )
        .await;
    assert_eq!(status, 200);
    let mut c1 = WsClient::connect(&srv.ws_url(), &carol.access_token).await;
    c1.send(json!({"type": "read", "conv": group, "seq": seq})).await;
    let mut expected = vec![bob.user_id.clone(), carol.user_id.clone()];
    expected.sort();
    let mut got = Value::Null;
    for _ in 0..50 {
        got = reads(&dave).await.1;
        if got["count"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(got, json!({"read_by": expected, "count": 2, "unread_count": 1}));
    // Outsiders are refused; a seq past the log too.
    let (status, err) = reads(&eve).await;
    assert_eq!((status, code(&err)), (403, Some("not_member")), "{err}");
    let path = format!("/api/v1/conversations/{group}/messages/999/reads");
    assert_eq!(code(&api.call("GET", &path, Some(&alice.access_token), None).await.1), Some("seq_out_of_range"));

    // Past the size limit: refused with a clear message.
    let big = create_group(api, &alice, &[&bob, &carol, &dave, &eve], json!({})).await;
    let path = format!("/api/v1/conversations/g:{big}/messages/1/reads");
    let (status, err) = api.call("GET", &path, Some(&alice.access_token), None).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("up to 4 members"), "{err}");
}

tidings_tests::both_modes!(
    every_kind_is_checked,
    recall_by_the_sender,
    recall_window_and_managers,
    unread_counts_stay_exact,
    group_read_list
);
