//! Replies keep a snapshot of what they quote until the quoted message is recalled; the
//! conversation list counts unread mentions exactly.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::media::upload_ok;
use tidings_tests::{Backend, spawn_server};

async fn sent(api: &Api, who: &Login, conv: &str, id: &str, kind: &str, body: Value) -> u64 {
    let (status, ack) = send(api, who, conv, id, kind, body).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

async fn message(api: &Api, who: &Login, conv: &str, seq: u64) -> Value {
    let all = api.all_messages(who, conv).await;
    all.into_iter().find(|m| m["seq"] == seq).unwrap_or_else(|| panic!("no message {seq} in {conv}"))
}

/// Alice, Bob and Carol, and the group Alice made of the three.
async fn trio(api: &Api) -> (Login, Login, Login, String) {
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    (alice, bob, carol, format!("g:{gid}"))
}

async fn replies_keep_a_quote_until_it_is_recalled(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let (alice, bob, carol, conv) = trio(api).await;
    let mut carol_ws = WsClient::connect(&srv.ws_url(), &carol.access_token).await;

    let long = "the plan: ".to_owned() + &"x".repeat(200);
    let plan = sent(api, &alice, &conv, "a-1", "text", json!({"text": long})).await;
    let file_id = upload_ok(api, &alice, "file", "application/pdf", b"%PDF-1.4 plan".to_vec()).await;
    let file =
        sent(api, &alice, &conv, "a-2", "file", json!({"media_id": file_id, "name": "plan.pdf", "size": 13})).await;
    // A quote the client makes up is replaced by the server's.
    let forged = json!({"seq": plan, "quote": {"sender": carol.user_id, "excerpt": "forged"}});
    let reply = sent(api, &bob, &conv, "b-1", "text", json!({"text": "agreed", "reply_to": forged})).await;
    let to_file = sent(api, &carol, &conv, "c-1", "text", json!({"text": "got it", "reply_to": {"seq": file}})).await;

    let expected_excerpt: String = long.chars().take(100).collect();
    for who in [&alice, &bob, &carol] {
        let m = message(api, who, &conv, reply).await;
        assert_eq!(
            m["body"]["reply_to"],
            json!({"seq": plan, "quote": {"sender": alice.user_id, "kind": "text", "excerpt": expected_excerpt}}),
            "{m}"
        );
    }
    let m = message(api, &bob, &conv, to_file).await;
    assert_eq!(m["body"]["reply_to"]["quote"], json!({"sender": alice.user_id, "kind": "file", "excerpt": "plan.pdf"}));
    // The push carries the quote too.
    let pushed = loop {
        let (frame, _) = carol_ws.wait_for("msg").await;
        if frame["message"]["seq"] == reply {
            break frame["message"].clone();
        }
    };
    assert_eq!(pushed["body"]["reply_to"]["quote"]["excerpt"], expected_excerpt.as_str());

    // Recalling the plan erases its quotes: nothing of it is left in anybody's history.
    let path = format!("/api/v1/conversations/{conv}/messages/{plan}/recall");
    let (status, body) = api.call("POST", &path, Some(&alice.access_token), None).await;
    assert_eq!(status, 201, "{body}");
    for who in [&alice, &bob, &carol] {
        let all = api.all_messages(who, &conv).await;
        let text = serde_json::to_string(&all).unwrap();
        assert!(!text.contains("the plan"), "{text}");
        let m = all.iter().find(|m| m["seq"] == reply).unwrap();
        assert_eq!(m["body"]["reply_to"], json!({"seq": plan, "quote": {"recalled": true}}));
        assert_eq!(m["body"]["text"], "agreed", "the reply itself stays");
    }
    // The other quote is untouched; a sync page shows the same as history.
    assert_eq!(message(api, &alice, &conv, to_file).await["body"]["reply_to"]["quote"]["excerpt"], "plan.pdf");
    let id = carol_ws.next_id();
    carol_ws.send(json!({"type": "sync", "id": id, "conv": conv, "after_seq": reply - 1, "limit": 10})).await;
    let (page, _) = carol_ws.wait_for("sync_result").await;
    let synced = page["messages"].as_array().unwrap().iter().find(|m| m["seq"] == reply).unwrap().clone();
    assert_eq!(synced["body"]["reply_to"]["quote"], json!({"recalled": true}));

    // A reply to a message already recalled quotes it as recalled.
    let late =
        sent(api, &carol, &conv, "c-2", "text", json!({"text": "what was it?", "reply_to": {"seq": plan}})).await;
    assert_eq!(message(api, &bob, &conv, late).await["body"]["reply_to"]["quote"], json!({"recalled": true}));
    // Recalling a reply does not touch what it quoted; quoting nothing visible is refused.
    let path = format!("/api/v1/conversations/{conv}/messages/{to_file}/recall");
    assert_eq!(api.call("POST", &path, Some(&carol.access_token), None).await.0, 201);
    assert_eq!(message(api, &bob, &conv, file).await["kind"], "file");
    let (status, err) = send(api, &bob, &conv, "b-2", "text", json!({"text": "?", "reply_to": {"seq": 999}})).await;
    assert_eq!((status, code(&err)), (400, Some("invalid_field")), "{err}");
}

/// `(unread, mention_count, mentioned)` of `conv` in `who`'s list.
async fn counts(api: &Api, who: &Login, conv: &str) -> (u64, u64, bool) {
    let rows = api.conversations(who).await;
    let row = rows.iter().find(|r| r["conv"] == conv).unwrap_or_else(|| panic!("{conv} not listed: {rows:?}"));
    (row["unread"].as_u64().unwrap(), row["mention_count"].as_u64().unwrap(), row["mentioned"].as_bool().unwrap())
}

async fn mention_counts_are_exact_and_cleared_by_read(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let (alice, bob, carol, conv) = trio(api).await;
    let (base_unread, _, _) = counts(api, &carol, &conv).await;

    let to_carol = json!({"text": "@carol look", "mentions": [carol.user_id]});
    let first = sent(api, &bob, &conv, "b-1", "text", to_carol.clone()).await;
    sent(api, &bob, &conv, "b-2", "text", json!({"text": "plain"})).await;
    let second = sent(
        api,
        &alice,
        &conv,
        "a-1",
        "text",
        json!({"text": "@carol again", "mentions": [carol.user_id, bob.user_id]}),
    )
    .await;
    sent(api, &alice, &conv, "a-2", "text", json!({"text": "@all", "mention_all": true})).await;
    sent(api, &bob, &conv, "b-3", "text", json!({"text": "@alice only", "mentions": [alice.user_id]})).await;
    // Carol's own mention of herself is no mention for her.
    sent(api, &carol, &conv, "c-1", "text", to_carol).await;
    assert_eq!(counts(api, &carol, &conv).await, (base_unread + 5, 3, true));
    assert_eq!(counts(api, &bob, &conv).await.1, 2, "bob: alice's mention and @all");
    assert_eq!(counts(api, &alice, &conv).await.1, 1, "alice: bob's mention");

    // Reads clear mentions as they clear unread; a recalled mention leaves the count.
    let path = format!("/api/v1/conversations/{conv}/read");
    let (status, body) = api.call("POST", &path, Some(&carol.access_token), Some(json!({"seq": first}))).await;
    assert!(status < 300, "{body}");
    assert_eq!(counts(api, &carol, &conv).await.1, 2);
    let path = format!("/api/v1/conversations/{conv}/messages/{second}/recall");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), None).await.0, 201);
    assert_eq!(counts(api, &carol, &conv).await.1, 1, "only @all is left");
    let (status, _) = api.call("POST", "/api/v1/conversations/read-all", Some(&carol.access_token), None).await;
    assert!(status < 300);
    assert_eq!(counts(api, &carol, &conv).await, (0, 0, false));
}

tidings_tests::both_modes!(replies_keep_a_quote_until_it_is_recalled, mention_counts_are_exact_and_cleared_by_read);
