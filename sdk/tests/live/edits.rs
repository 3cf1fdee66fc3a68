//! Edits through the SDK: the app edits its own message and sees the server's body; edits made
//! elsewhere while the app was offline arrive on reconnect; the store's texts, `edited_at` and
//! counts equal the server's.

use serde_json::{Value, json};
use tidings_sdk::{ClientEvent, SdkError};
use tidings_tests::helpers::create_group;
use tidings_tests::{Api, Backend, Login, both_modes, spawn_server};

use crate::support::{App, post_text, until};

async fn edit(api: &Api, who: &Login, conv: &str, seq: u64, body: Value) {
    let path = format!("/api/v1/conversations/{conv}/messages/{seq}/edit");
    let (status, ack) = api.call("POST", &path, Some(&who.access_token), Some(json!({ "body": body }))).await;
    assert_eq!(status, 201, "{ack}");
}

/// `(seq, kind, body, edited_at)` of every message, as the server has it.
async fn server_view(api: &Api, who: &Login, conv: &str) -> Vec<(u64, String, Value, Option<i64>)> {
    api.all_messages(who, conv)
        .await
        .iter()
        .map(|m| {
            (
                m["seq"].as_u64().unwrap(),
                m["kind"].as_str().unwrap().to_owned(),
                m["body"].clone(),
                m["edited_at"].as_i64(),
            )
        })
        .collect()
}

/// The same, as the app's store has it.
async fn sdk_view(app: &App, conv: &str) -> Vec<(u64, String, Value, Option<i64>)> {
    let mut rows: Vec<_> = app
        .client
        .history(conv.to_owned(), None, 200)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| Some((m.seq?, m.kind, serde_json::from_str(&m.body).unwrap(), m.edited_at)))
        .collect();
    rows.sort_by_key(|r| r.0);
    rows
}

/// `(unread, mention_count)` of `conv` on the server and in the app.
async fn both_counts(api: &Api, who: &Login, app: &App, conv: &str) -> ((u64, u64), (u64, u64)) {
    let rows = api.conversations(who).await;
    let row = rows.iter().find(|r| r["conv"] == conv).unwrap();
    let server = (row["unread"].as_u64().unwrap(), row["mention_count"].as_u64().unwrap());
    let mine = app.client.conversation(conv.to_owned()).await.unwrap().unwrap();
    (server, (mine.unread, mine.mention_count))
}

both_modes!(edits_reach_the_store_online_and_after_a_reconnect);
async fn edits_reach_the_store_online_and_after_a_reconnect(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let alice = api.user("alice", "a-rest").await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![format!("http://127.0.0.1:{}", srv.port())], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let conv = format!("g:{}", create_group(api, &bob, &[&alice, &carol], json!({})).await);

    // The app edits its own message: the store has the server's body and edited_at at once.
    let draft = app.client.send_text(conv.clone(), "draft".into()).await.unwrap();
    let mine = app.sent(&draft.client_msg_id).await;
    app.client.edit(conv.clone(), mine, "final".into()).await.unwrap();
    app.wait(
        "own edit",
        |e| matches!(e, ClientEvent::Edited { seq, body, .. } if *seq == mine && body.contains("final")),
    )
    .await;
    assert_eq!(sdk_view(&app, &conv).await, server_view(api, &alice, &conv).await);
    let stored = app.client.history(conv.clone(), Some(mine + 1), 1).await.unwrap();
    assert_eq!((stored[0].text().as_deref(), stored[0].edited_at.is_some()), (Some("final"), true));
    // Someone else's message is refused, and nothing changes.
    let theirs = post_text(api, &bob, &conv, "b-1", "bob's").await;
    app.new_text("bob's").await;
    match app.client.edit(conv.clone(), theirs, "mine now".into()).await {
        Err(SdkError::Server { code, .. }) => assert_eq!(code, "forbidden"),
        other => panic!("editing bob's message: {other:?}"),
    }

    // Bob adds a mention of alice by an edit: the count follows, in the app as on the server.
    edit(api, &bob, &conv, theirs, json!({"text": "@alice", "mentions": [alice.user_id]})).await;
    app.wait("bob's edit", |e| matches!(e, ClientEvent::Edited { seq, .. } if *seq == theirs)).await;
    let (server, local) = both_counts(api, &alice, &app, &conv).await;
    assert_eq!(local, server);
    assert_eq!(server.1, 1, "the added mention counts");

    // Offline: alice edits from another device, bob takes his mention back. On reconnect the
    // app syncs both entries and its store matches the server again.
    app.client.disconnect().await;
    edit(api, &alice, &conv, mine, json!({"text": "final, really"})).await;
    edit(api, &bob, &conv, theirs, json!({"text": "never mind"})).await;
    app.connect().await;
    let server = server_view(api, &alice, &conv).await;
    let (app_ref, wanted, at) = (&app, &server, conv.as_str());
    until("the store catches up", move || async move { sdk_view(app_ref, at).await == *wanted }).await;
    let stored = app.client.history(conv.clone(), Some(mine + 1), 1).await.unwrap();
    assert_eq!(stored[0].text().as_deref(), Some("final, really"));
    let (server, local) = both_counts(api, &alice, &app, &conv).await;
    assert_eq!(local, server);
    assert_eq!(server.1, 0, "the mention was edited away");
    app.client.shutdown().await;
}
