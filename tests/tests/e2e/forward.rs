//! Forward: copies and merged forwards into other conversations, media readable by the new
//! audience, retries stored once, refusals of the source for the whole request and of a target
//! on its own.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, direct};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::media::{fetch, png, upload_ok};
use tidings_tests::{Backend, spawn_server};

async fn forward(api: &Api, who: &Login, from: &str, body: Value) -> (u16, Value) {
    api.call("POST", &format!("/api/v1/conversations/{from}/forward"), Some(&who.access_token), Some(body)).await
}

async fn sent(api: &Api, who: &Login, conv: &str, id: &str, kind: &str, body: Value) -> u64 {
    let (status, ack) = send(api, who, conv, id, kind, body).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

/// The messages of `conv` after `after`, as `who` sees them.
async fn after(api: &Api, who: &Login, conv: &str, after: u64) -> Vec<Value> {
    api.all_messages(who, conv).await.into_iter().filter(|m| m["seq"].as_u64().unwrap() > after).collect()
}

async fn max_seq(api: &Api, who: &Login, conv: &str) -> u64 {
    api.all_messages(who, conv).await.last().map_or(0, |m| m["seq"].as_u64().unwrap())
}

/// Alice, Bob and Carol, and Alice's chats with Bob and with Carol.
async fn people(api: &Api) -> (Login, Login, Login, String, String) {
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let (ab, ac) = (direct(&alice.user_id, &bob.user_id), direct(&alice.user_id, &carol.user_id));
    (alice, bob, carol, ab, ac)
}

async fn copies_and_merged_forwards_reach_their_audience(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let (alice, bob, carol, ab, ac) = people(api).await;
    let gid = create_group(api, &alice, &[&carol], json!({})).await;
    let group = format!("g:{gid}");
    let hello = sent(api, &bob, &ab, "b-1", "text", json!({"text": "hello", "mentions": [alice.user_id]})).await;
    let image_id = upload_ok(api, &bob, "image", "image/png", png(32, 24)).await;
    let image = sent(api, &bob, &ab, "b-2", "image", json!({"media_id": image_id, "width": 32, "height": 24})).await;
    let reply = sent(api, &alice, &ab, "a-1", "text", json!({"text": "nice", "reply_to": {"seq": image}})).await;
    let media_path = format!("/api/v1/media/{image_id}");
    assert_eq!(fetch(srv.port(), &media_path, Some(&carol.access_token), &[]).await.code(), "media_not_found");
    let (g0, c0) = (max_seq(api, &carol, &group).await, max_seq(api, &carol, &ac).await);

    // One copy per message, to two conversations.
    let req = json!({"seqs": [hello, image, reply], "to": [group, ac], "client_msg_id": "fw-1"});
    let (status, done) = forward(api, &alice, &ab, req.clone()).await;
    assert_eq!(status, 200, "{done}");
    for (result, (conv, base)) in done["results"].as_array().unwrap().iter().zip([(&group, g0), (&ac, c0)]) {
        assert_eq!(result["conv"], conv.as_str());
        assert!(result.get("error").is_none(), "{result}");
        assert_eq!(result["acks"].as_array().unwrap().len(), 3, "{result}");
        let copies = after(api, &carol, conv, base).await;
        assert_eq!(copies.len(), 3);
        assert!(copies.iter().all(|m| m["sender"] == alice.user_id.as_str()));
        assert_eq!(copies[0]["body"], json!({"text": "hello"}), "mentions of the old conversation are left out");
        assert_eq!(copies[1]["body"]["media_id"], image_id.as_str());
        assert_eq!(copies[2]["body"], json!({"text": "nice"}), "so is a reply's quote");
    }
    // The image is readable by the new audience now.
    assert_eq!(fetch(srv.port(), &media_path, Some(&carol.access_token), &[]).await.status, 200);
    // A retry with the same id stores nothing more.
    let (status, again) = forward(api, &alice, &ab, req).await;
    assert_eq!(status, 200, "{again}");
    assert!(again["results"][0]["acks"].as_array().unwrap().iter().all(|a| a["duplicate"] == true), "{again}");
    assert_eq!(after(api, &carol, &group, g0).await.len(), 3);

    // Merged: one `forward` message carrying the originals as they were.
    let g1 = max_seq(api, &carol, &group).await;
    let req = json!({"seqs": [image, hello], "to": [group], "merged": true, "client_msg_id": "fw-2"});
    let (status, done) = forward(api, &alice, &ab, req).await;
    assert_eq!(status, 200, "{done}");
    let stored = after(api, &carol, &group, g1).await;
    assert_eq!(stored.len(), 1);
    let merged = &stored[0];
    assert_eq!((merged["kind"].as_str(), merged["sender"].as_str()), (Some("forward"), Some(alice.user_id.as_str())));
    let items = merged["body"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0]["sender"].as_str(), items[0]["kind"].as_str()), (Some(bob.user_id.as_str()), Some("image")));
    assert_eq!(items[1]["body"]["text"], "hello");
    assert!(items[1]["ts"].as_i64().unwrap() > 0);
    // It counts as unread, can be forwarded on and recalled like any message.
    let row = api.conversations(&carol).await.into_iter().find(|r| r["conv"] == group.as_str()).unwrap();
    let read = row["read_seq"].as_u64().unwrap();
    assert_eq!(row["unread"].as_u64(), Some(api.unread_from_log(&carol, &group, read).await));
    assert_eq!(row["last_message"]["kind"], "forward");
    let merged_seq = merged["seq"].as_u64().unwrap();
    let (status, on) =
        forward(api, &carol, &group, json!({"seqs": [merged_seq], "to": [ac], "client_msg_id": "fw-3"})).await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(after(api, &alice, &ac, c0 + 3).await.last().unwrap()["kind"], "forward");
    let path = format!("/api/v1/conversations/{group}/messages/{merged_seq}/reactions");
    let (status, body) =
        api.call("POST", &path, Some(&carol.access_token), Some(json!({"emoji": "👍", "on": true}))).await;
    assert_eq!(status, 201, "reactions on a forward: {body}");
    let reacted = after(api, &carol, &group, merged_seq - 1).await;
    assert_eq!(reacted[0]["reactions"], json!([{"emoji": "👍", "count": 1, "me": true}]));
    let path = format!("/api/v1/conversations/{group}/messages/{merged_seq}/recall");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), None).await.0, 201);
}

async fn refusals_change_nothing(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let (alice, bob, carol, ab, ac) = people(api).await;
    let theirs = create_group(api, &bob, &[&carol], json!({})).await;
    let mine = create_group(api, &alice, &[&bob], json!({})).await;
    let (theirs, mine) = (format!("g:{theirs}"), format!("g:{mine}"));
    let hello = sent(api, &bob, &ab, "b-1", "text", json!({"text": "hello"})).await;
    let gone = sent(api, &bob, &ab, "b-2", "text", json!({"text": "oops"})).await;
    let path = format!("/api/v1/conversations/{ab}/messages/{gone}/recall");
    assert_eq!(api.call("POST", &path, Some(&bob.access_token), None).await.0, 201);
    let notice = api.all_messages(&alice, &mine).await[0]["seq"].as_u64().unwrap();
    let before = (max_seq(api, &alice, &ac).await, max_seq(api, &alice, &mine).await);

    let too_many: Vec<String> = (0..11).map(|i| format!("d:x{i}:y{i}")).collect();
    for (from, body, want) in [
        (&ab, json!({"seqs": [999], "to": [ac], "client_msg_id": "r1"}), (400, "seq_out_of_range")),
        (&ab, json!({"seqs": [gone], "to": [ac], "client_msg_id": "r2"}), (409, "conflict")),
        (&mine, json!({"seqs": [notice], "to": [ac], "client_msg_id": "r3"}), (403, "forbidden")),
        (&ab, json!({"seqs": [], "to": [ac], "client_msg_id": "r4"}), (400, "invalid_field")),
        (&ab, json!({"seqs": [hello, hello], "to": [ac], "client_msg_id": "r5"}), (400, "invalid_field")),
        (&ab, json!({"seqs": [hello], "to": too_many, "client_msg_id": "r6"}), (400, "invalid_field")),
        (&ab, json!({"seqs": [hello], "to": [ac, ac], "client_msg_id": "r7"}), (400, "invalid_field")),
        (&ab, json!({"seqs": [hello], "to": ["nonsense"], "client_msg_id": "r8"}), (404, "unknown_conversation")),
        (&ab, json!({"seqs": [hello], "to": [ac], "client_msg_id": "x".repeat(49)}), (400, "invalid_field")),
        (&ab, json!({"seqs": [hello], "to": [ac], "client_msg_id": "r9", "extra": 1}), (400, "invalid_field")),
    ] {
        let (status, err) = forward(api, &alice, from, body.clone()).await;
        assert_eq!((status, code(&err)), (want.0, Some(want.1)), "{body}: {err}");
    }
    // Someone outside the source conversation forwards nothing from it.
    let (status, err) = forward(api, &carol, &ab, json!({"seqs": [hello], "to": [ac], "client_msg_id": "r10"})).await;
    assert_eq!((status, code(&err)), (403, Some("not_member")), "{err}");
    assert_eq!((max_seq(api, &alice, &ac).await, max_seq(api, &alice, &mine).await), before);

    // A target the caller may not post in is refused on its own; the others go through.
    let req = json!({"seqs": [hello], "to": [theirs, mine], "client_msg_id": "ok-1"});
    let (status, done) = forward(api, &alice, &ab, req).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["results"][0]["error"]["code"], "not_member", "{done}");
    assert!(done["results"][0]["acks"].as_array().unwrap().is_empty());
    assert_eq!(done["results"][1]["acks"].as_array().unwrap().len(), 1, "{done}");
    assert_eq!(max_seq(api, &alice, &mine).await, before.1 + 1);

    // A refused target gains nothing: its members still cannot read the media.
    let image_id = upload_ok(api, &bob, "image", "image/png", png(8, 8)).await;
    let image = sent(api, &bob, &ab, "b-3", "image", json!({"media_id": image_id, "width": 8, "height": 8})).await;
    for merged in [true, false] {
        let req = json!({"seqs": [image], "to": [theirs], "merged": merged, "client_msg_id": format!("m-{merged}")});
        let (status, done) = forward(api, &alice, &ab, req).await;
        assert_eq!((status, done["results"][0]["error"]["code"].as_str()), (200, Some("not_member")), "{done}");
    }
    let media_path = format!("/api/v1/media/{image_id}");
    assert_eq!(fetch(srv.port(), &media_path, Some(&carol.access_token), &[]).await.code(), "media_not_found");
}

tidings_tests::both_modes!(copies_and_merged_forwards_reach_their_audience, refusals_change_nothing);
