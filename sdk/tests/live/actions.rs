//! Message actions through the SDK: mention counts equal the server's, before and after a
//! restart; a reply shows its quote at once and loses it when the quoted message is recalled.

use serde_json::{Value, json};
use tidings_sdk::ClientEvent;
use tidings_tests::helpers::create_group;
use tidings_tests::{Api, Backend, Login, both_modes, spawn_server};

use crate::support::{App, post_text};

/// `(conv, unread, mention_count)` of every row of `who`'s server list.
async fn server_counts(api: &Api, who: &Login) -> Vec<(String, u64, u64)> {
    let mut rows: Vec<(String, u64, u64)> = api
        .conversations(who)
        .await
        .iter()
        .map(|c: &Value| {
            (
                c["conv"].as_str().unwrap().to_owned(),
                c["unread"].as_u64().unwrap(),
                c["mention_count"].as_u64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

async fn sdk_counts(app: &App) -> Vec<(String, u64, u64)> {
    let mut rows: Vec<(String, u64, u64)> =
        app.client.conversations().await.unwrap().into_iter().map(|c| (c.conv, c.unread, c.mention_count)).collect();
    rows.sort();
    rows
}

async fn post(api: &Api, who: &Login, conv: &str, id: &str, body: Value) -> u64 {
    let path = format!("/api/v1/conversations/{conv}/messages");
    let req = json!({"client_msg_id": id, "kind": "text", "body": body});
    let (status, ack) = api.call("POST", &path, Some(&who.access_token), Some(req)).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

both_modes!(mention_counts_and_quotes_match_the_server);
async fn mention_counts_and_quotes_match_the_server(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let alice = api.user("alice", "a-rest").await;
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", srv.port());
    let mut app = App::new(vec![base.clone()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let conv = format!("g:{}", create_group(api, &bob, &[&alice, &carol], json!({})).await);

    let plan = post_text(api, &bob, &conv, "b-1", "the plan").await;
    post(api, &bob, &conv, "b-2", json!({"text": "@alice", "mentions": [alice.user_id]})).await;
    let recalled = post(api, &carol, &conv, "c-1", json!({"text": "@alice too", "mentions": [alice.user_id]})).await;
    post(api, &bob, &conv, "b-3", json!({"text": "@all", "mention_all": true})).await;
    post(api, &bob, &conv, "b-4", json!({"text": "@carol", "mentions": [carol.user_id]})).await;
    app.new_text("@carol").await;

    // Alice replies from the app: the quote is there before the server answers.
    let body = json!({"text": "which plan?", "reply_to": {"seq": plan}}).to_string();
    let reply = app.client.send_message(conv.clone(), "text".into(), body).await.unwrap();
    let local: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(local["reply_to"]["quote"], json!({"sender": bob.user_id, "kind": "text", "excerpt": "the plan"}));
    let reply_seq = app.sent(&reply.client_msg_id).await;

    // Carol recalls her mention, bob recalls the plan: counts and quotes follow.
    for (who, seq) in [(&carol, recalled), (&bob, plan)] {
        let path = format!("/api/v1/conversations/{conv}/messages/{seq}/recall");
        let (status, body) = api.call("POST", &path, Some(&who.access_token), None).await;
        assert_eq!(status, 201, "{body}");
        app.wait("recall", |e| matches!(e, ClientEvent::Recalled { seq: s, .. } if *s == seq)).await;
    }
    let server = server_counts(api, &alice).await;
    assert!(server.iter().any(|(c, _, mentions)| *c == conv && *mentions == 2), "{server:?}");
    assert_eq!(sdk_counts(&app).await, server);
    let mine = app.client.history(conv.clone(), Some(reply_seq + 1), 1).await.unwrap();
    let stored: Value = serde_json::from_str(&mine[0].body).unwrap();
    assert_eq!(stored["reply_to"], json!({"seq": plan, "quote": {"recalled": true}}));

    // Read up to the first mention; then offline, after a restart, the counts hold.
    app.client.mark_read(conv.clone(), plan + 1).await.unwrap();
    let (me, wanted) = (&alice, conv.as_str());
    crate::support::until("the server sees the read", move || async move {
        server_counts(api, me).await.iter().any(|(c, _, m)| c == wanted && *m == 1)
    })
    .await;
    let server = server_counts(api, &alice).await;
    assert_eq!(sdk_counts(&app).await, server);
    app.client.shutdown().await;
    let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), "a-phone").await;
    assert_eq!(sdk_counts(&offline).await, server);
    offline.client.shutdown().await;
}

both_modes!(pins_reach_the_store_and_stay_readable_offline);
async fn pins_reach_the_store_and_stay_readable_offline(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "b1").await;
    let alice = api.user("alice", "a-rest").await;
    let conv = tidings_tests::client::direct(&alice.user_id, &bob.user_id);
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", srv.port());
    let mut app = App::new(vec![base.clone()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let first = post_text(api, &bob, &conv, "b-1", "first").await;
    let second = post_text(api, &bob, &conv, "b-2", "second").await;
    app.new_text("second").await;

    // The app pins; the entry comes back to this device as to the peer.
    app.client.pin(conv.clone(), first).await.unwrap();
    app.wait("pin", |e| matches!(e, ClientEvent::Pinned { seq, on: true, .. } if *seq == first)).await;
    // The peer pins while the app is away; after reconnecting, sync brings the entry.
    app.client.disconnect().await;
    let path = format!("/api/v1/conversations/{conv}/pins");
    let (status, body) = api.call("POST", &path, Some(&bob.access_token), Some(json!({"seq": second}))).await;
    assert_eq!(status, 201, "{body}");
    app.connect().await;
    app.wait("second pin", |e| matches!(e, ClientEvent::Pinned { seq, on: true, .. } if *seq == second)).await;
    let pins = app.client.pins(conv.clone()).await.unwrap();
    let listed: Vec<(u64, String)> = pins.iter().map(|p| (p.message.seq.unwrap(), p.pinned_by.clone())).collect();
    assert_eq!(listed, vec![(second, bob.user_id.clone()), (first, alice.user_id.clone())]);
    assert_eq!(pins[0].message.text().as_deref(), Some("second"));
    // Pin entries are not unread.
    assert_eq!(app.client.conversations().await.unwrap()[0].unread, 2);

    // Offline, the store answers the same.
    app.client.shutdown().await;
    let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), "a-phone").await;
    let again = offline.client.pins(conv.clone()).await.unwrap();
    assert_eq!(again.iter().map(|p| (p.message.seq.unwrap(), p.pinned_by.clone())).collect::<Vec<_>>(), listed);
    offline.client.shutdown().await;
}

both_modes!(a_forward_reaches_the_store_of_the_forwarding_device);
async fn a_forward_reaches_the_store_of_the_forwarding_device(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let alice = api.user("alice", "a-rest").await;
    let ab = tidings_tests::client::direct(&alice.user_id, &bob.user_id);
    let ac = tidings_tests::client::direct(&alice.user_id, &carol.user_id);
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![format!("http://127.0.0.1:{}", srv.port())], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let first = post_text(api, &bob, &ab, "b-1", "minutes").await;
    let second = post_text(api, &bob, &ab, "b-2", "agenda").await;
    app.new_text("agenda").await;

    let outcomes =
        app.client.forward(ab.clone(), vec![first, second], vec![ac.clone()], true, "fw-1".into()).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!((outcomes[0].conv.as_str(), outcomes[0].seqs.len(), &outcomes[0].error_code), (ac.as_str(), 1, &None));
    let seq = outcomes[0].seqs[0];
    // The forward comes into this device's store by sync, as the server has it.
    crate::support::until("the forward is stored", || {
        let client = app.client.clone();
        let ac = ac.clone();
        async move { client.history(ac, None, 10).await.unwrap().iter().any(|m| m.seq == Some(seq)) }
    })
    .await;
    let page = app.client.history(ac.clone(), None, 10).await.unwrap();
    let stored = page.iter().find(|m| m.seq == Some(seq)).unwrap();
    let body: Value = serde_json::from_str(&stored.body).unwrap();
    assert_eq!(stored.kind, "forward");
    assert_eq!(body["items"][1]["body"]["text"], "agenda");
    assert_eq!(body, api.all_messages(&carol, &ac).await.last().unwrap()["body"]);
    // A refused target comes back with its code; nothing else is lost.
    let gid = create_group(api, &bob, &[&carol], json!({})).await;
    let outcomes =
        app.client.forward(ab.clone(), vec![first], vec![format!("g:{gid}")], false, "fw-2".into()).await.unwrap();
    assert_eq!(outcomes[0].error_code.as_deref(), Some("not_member"));
    app.client.shutdown().await;
}
