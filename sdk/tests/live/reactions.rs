//! Reactions through the SDK: the app's own reaction is in the store at once; reactions made
//! while the app was offline (by others and by the user's other device) arrive by sync after
//! reconnecting, and the store's totals then equal the server's history, also offline after a
//! restart.

use serde_json::{Value, json};
use tidings_sdk::{Client, ClientEvent};
use tidings_tests::helpers::create_group;
use tidings_tests::{Api, Backend, Login, both_modes, spawn_server};

use crate::support::{App, post_text, until};

async fn react(api: &Api, who: &Login, conv: &str, seq: u64, emoji: &str, on: bool) {
    let path = format!("/api/v1/conversations/{conv}/messages/{seq}/reactions");
    let (status, body) =
        api.call("POST", &path, Some(&who.access_token), Some(json!({"emoji": emoji, "on": on}))).await;
    assert_eq!(status, 201, "{body}");
}

/// `(seq, [(emoji, count, me)])` of the text messages, as the server shows them to `who`.
async fn server_totals(api: &Api, who: &Login, conv: &str) -> Vec<(u64, Vec<(String, u64, bool)>)> {
    api.all_messages(who, conv)
        .await
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m: &Value| {
            let totals = m["reactions"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| {
                            (r["emoji"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap(), r["me"] == true)
                        })
                        .collect()
                })
                .unwrap_or_default();
            (m["seq"].as_u64().unwrap(), totals)
        })
        .collect()
}

/// The same from the SDK's store.
async fn sdk_totals(client: &Client, conv: &str) -> Vec<(u64, Vec<(String, u64, bool)>)> {
    client
        .history(conv.to_owned(), None, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "text")
        .map(|m| (m.seq.unwrap(), m.reactions.into_iter().map(|r| (r.emoji, r.count, r.me)).collect()))
        .collect()
}

both_modes!(reactions_made_offline_arrive_by_sync);
async fn reactions_made_offline_arrive_by_sync(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let alice_rest = api.user("alice", "a-rest").await;
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", srv.port());
    let mut app = App::new(vec![base.clone()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let conv = format!("g:{}", create_group(api, &bob, &[&alice_rest, &carol], json!({})).await);
    let first = post_text(api, &bob, &conv, "b-1", "first").await;
    let second = post_text(api, &bob, &conv, "b-2", "second").await;
    app.new_text("second").await;

    // The app reacts: the store has it at once, and the event says so.
    app.client.react(conv.clone(), first, "👍".into(), true).await.unwrap();
    app.wait("own reaction", |e| matches!(e, ClientEvent::Reacted { seq, on: true, .. } if *seq == first)).await;
    let mine = sdk_totals(&app.client, &conv).await;
    assert_eq!(mine[0], (first, vec![("👍".to_owned(), 1, true)]));
    // Repeating it changes nothing, here or on the server.
    app.client.react(conv.clone(), first, "👍".into(), true).await.unwrap();
    assert_eq!(sdk_totals(&app.client, &conv).await, server_totals(api, &alice_rest, &conv).await);
    // Bob's reaction arrives by push.
    react(api, &bob, &conv, second, "👀", true).await;
    app.wait("bob's push", |e| matches!(e, ClientEvent::Reacted { seq, .. } if *seq == second)).await;
    assert_eq!(sdk_totals(&app.client, &conv).await, server_totals(api, &alice_rest, &conv).await);

    // Offline: others react, and Alice's other device takes her 👍 back.
    app.client.disconnect().await;
    react(api, &bob, &conv, first, "❤️", true).await;
    react(api, &carol, &conv, first, "👍", true).await;
    react(api, &carol, &conv, second, "🎉", true).await;
    react(api, &carol, &conv, second, "🎉", false).await;
    react(api, &alice_rest, &conv, first, "👍", false).await;
    react(api, &alice_rest, &conv, second, "👀", true).await;
    post_text(api, &bob, &conv, "b-3", "third").await;

    app.connect().await;
    app.new_text("third").await;
    let server = server_totals(api, &alice_rest, &conv).await;
    assert_eq!(
        server[..2],
        [
            // Ties: Bob's ❤️ is on longer than Carol's 👍.
            (first, vec![("❤️".to_owned(), 1, false), ("👍".to_owned(), 1, false)]),
            (second, vec![("👀".to_owned(), 2, true)]),
        ]
    );
    let client = app.client.clone();
    let (c, s) = (conv.as_str(), &server);
    until("the store's totals equal the server's", move || {
        let client = client.clone();
        async move { sdk_totals(&client, c).await == *s }
    })
    .await;
    // Reactions are no unread messages, in the store as on the server.
    let server_unread = crate::support::server_unread(api, &alice_rest).await;
    assert_eq!(crate::support::sdk_unread(&app.client).await, server_unread);
    // The list's last message is not a reaction.
    let row = app.client.conversations().await.unwrap().into_iter().find(|r| r.conv == conv).unwrap();
    assert_eq!(row.last_message.unwrap().text().as_deref(), Some("third"));

    // After a restart, offline, the store still shows them.
    app.client.shutdown().await;
    let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), "a-phone").await;
    assert_eq!(sdk_totals(&offline.client, &conv).await, server);
    offline.client.shutdown().await;
}
