//! Threads through the SDK: a reply sent in a thread, replies from others arriving by push with
//! `ThreadUpdated`, the root's summary in the store (online and after a reconnect), a thread page,
//! and the `threads` count following a thread read made on another device.

use serde_json::json;
use tidings_sdk::ClientEvent;
use tidings_tests::helpers::{create_group, send};
use tidings_tests::{Backend, both_modes, spawn_server};

use crate::support::{App, post_text, until};

both_modes!(a_thread_through_the_sdk_and_another_device);
async fn a_thread_through_the_sdk_and_another_device(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "b1").await;
    let alice_rest = api.user("alice", "a-rest").await;
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", srv.port());
    let mut app = App::new(vec![base], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let conv = format!("g:{}", create_group(api, &bob, &[&alice_rest], json!({})).await);
    let root = app.client.send_text(conv.clone(), "a plan".into()).await.unwrap();
    let root = app.sent(&root.client_msg_id).await;

    // Bob replies in Alice's thread: the app hears of it and the root's summary counts it.
    let (status, ack) = send(api, &bob, &conv, "b-1", "text", json!({"text": "ok", "thread_root": root})).await;
    assert_eq!(status, 201, "{ack}");
    let b1 = ack["seq"].as_u64().unwrap();
    let update = |e: &ClientEvent| matches!(e, ClientEvent::ThreadUpdated { root: r, .. } if *r == root);
    app.wait("bob's reply", update).await;
    // The app replies too, through its outbox.
    let mine = app.client.send_thread_reply(conv.clone(), root, "agreed".into()).await.unwrap();
    let mine = app.sent(&mine.client_msg_id).await;
    let page = app.client.thread(conv.clone(), root, None, 10).await.unwrap();
    let summary = page.root.thread.clone().unwrap();
    assert_eq!((summary.replies, summary.last_seq), (2, mine));
    assert_eq!(summary.participants, vec![bob.user_id.clone(), alice_rest.user_id.clone()]);
    let seqs: Vec<u64> = page.replies.iter().filter_map(|m| m.seq).collect();
    assert_eq!((seqs, page.has_more), (vec![b1, mine], false));
    let stored = app.client.history(conv.clone(), None, 10).await.unwrap();
    let stored_root = stored.iter().find(|m| m.seq == Some(root)).unwrap();
    assert_eq!(stored_root.thread.as_ref(), Some(&summary), "history shows the same summary");

    // A mention of Alice in the thread is announced as one.
    let (status, ack) = send(
        api,
        &bob,
        &conv,
        "b-m",
        "text",
        json!({"text": "see", "thread_root": root, "mentions": [alice_rest.user_id]}),
    )
    .await;
    assert_eq!(status, 201, "{ack}");
    let by = bob.user_id.clone();
    app.wait("the mention", |e| matches!(e, ClientEvent::Mentioned { by: b, .. } if *b == by)).await;

    // Offline, Bob replies again; after the reconnect the list says one unread thread.
    app.client.disconnect().await;
    post_text(api, &bob, &conv, "b-2", "one more").await;
    let (status, ack) = send(api, &bob, &conv, "b-3", "text", json!({"text": "and", "thread_root": root})).await;
    assert_eq!(status, 201, "{ack}");
    let b3 = ack["seq"].as_u64().unwrap();
    app.connect().await;
    let client = app.client.clone();
    let c = conv.clone();
    until("the unread thread is counted", move || {
        let (client, c) = (client.clone(), c.clone());
        async move { client.conversation(c).await.unwrap().is_some_and(|row| row.threads == 1) }
    })
    .await;
    let stored = app.client.history(conv.clone(), None, 10).await.unwrap();
    let t = stored.iter().find(|m| m.seq == Some(root)).unwrap().thread.clone().unwrap();
    assert_eq!((t.replies, t.last_seq), (4, b3), "synced replies count in the store");

    // Alice reads the thread on her other device: the app's count follows the push.
    let path = format!("/api/v1/conversations/{conv}/threads/{root}/read");
    let (status, body) = api.call("POST", &path, Some(&alice_rest.access_token), Some(json!({"seq": b3}))).await;
    assert_eq!((status, body["threads"].as_u64()), (200, Some(0)), "{body}");
    let client = app.client.clone();
    until("the thread read reaches the app", move || {
        let (client, c) = (client.clone(), conv.clone());
        async move { client.conversation(c).await.unwrap().is_some_and(|row| row.threads == 0) }
    })
    .await;
}
