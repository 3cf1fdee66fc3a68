//! Each story starts a real server, puts the SDK in front of it (often through the proxy, to
//! control the network) and checks what the SDK and the server end up with.

use serde_json::json;
use tidings_sdk::{ClientEvent, ConnectionState, MessageStatus};
use tidings_tests::client::direct;
use tidings_tests::{Backend, both_modes, spawn_server, spawn_server_with};

use crate::proxy::Proxy;
use crate::support::{App, post_text, sdk_texts, sdk_unread, server_texts, server_unread, stored_count, until};

both_modes!(reconnects_after_a_server_restart_and_loses_nothing);
async fn reconnects_after_a_server_restart_and_loses_nothing(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let proxy = Proxy::start(srv.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![proxy.base()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;

    post_text(&srv.api, &bob, &conv, "b-1", "before").await;
    app.new_text("before").await;

    // The server goes down; while it is (as far as the SDK can tell) unreachable, both sides write.
    proxy.set_refuse(true);
    let srv = srv.restart().await;
    proxy.set_upstream(srv.port());
    app.wait("disconnected", |e| matches!(e, ClientEvent::Connection { state: ConnectionState::Disconnected { .. } }))
        .await;
    post_text(&srv.api, &bob, &conv, "b-2", "during 1").await;
    post_text(&srv.api, &bob, &conv, "b-3", "during 2").await;
    let mine = app.client.send_text(conv.clone(), "sent while down".into()).await.unwrap();
    assert_eq!(mine.status, MessageStatus::Sending);
    assert_eq!(mine.seq, None);

    proxy.set_refuse(false);
    app.connected().await;
    let seq = app.sent(&mine.client_msg_id).await;
    app.new_text("during 1").await;
    app.new_text("during 2").await;

    let server = server_texts(&srv.api, &alice, &conv).await;
    assert_eq!(server.len(), 4, "{server:?}");
    assert_eq!(stored_count(&srv.api, &alice, &conv, &mine.client_msg_id).await, 1);
    assert!(server.contains(&(seq, "sent while down".to_owned())));
    assert_eq!(sdk_texts(&app.client, &conv).await, server, "the SDK's store matches the server's log");
    until("cursor 4", || async { app.client.cursor(conv.clone()).await.unwrap() == 4 }).await;
    app.client.shutdown().await;
}

#[tokio::test]
async fn fails_over_to_the_second_address_when_the_first_instance_dies() {
    let Some(backend) = Backend::cluster("sdk::failover") else { return };
    let first = spawn_server(backend).await;
    let second = first.peer().await.unwrap();
    let bob = second.api.user("bob", "b1").await;
    let alice = second.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let (first_url, second_url) =
        (format!("http://127.0.0.1:{}", first.port()), format!("http://127.0.0.1:{}", second.port()));
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![first_url.clone(), second_url.clone()], dir.path(), "a-phone").await;
    app.client.login("alice".into(), crate::support::PASSWORD.into()).await.unwrap();
    app.client.connect().await.unwrap();
    assert_eq!(app.connected().await, first_url);

    post_text(&second.api, &bob, &conv, "b-1", "one").await;
    app.new_text("one").await;

    first.stop().await;
    assert_eq!(app.connected().await, second_url, "the SDK moves to the live instance");
    post_text(&second.api, &bob, &conv, "b-2", "two").await;
    app.new_text("two").await;
    let mine = app.client.send_text(conv.clone(), "three".into()).await.unwrap();
    let seq = app.sent(&mine.client_msg_id).await;

    let server = server_texts(&second.api, &alice, &conv).await;
    assert_eq!(server, vec![(1, "one".into()), (2, "two".into()), (seq, "three".into())]);
    assert_eq!(sdk_texts(&app.client, &conv).await, server);
    app.client.shutdown().await;
}

both_modes!(a_lost_ack_is_retried_with_the_same_id_and_stored_once);
async fn a_lost_ack_is_retried_with_the_same_id_and_stored_once(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let proxy = Proxy::start(srv.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![proxy.base()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;

    // The server stores the message and acks; the ack is lost with the connection.
    proxy.drop_next(r#""type":"ack""#, true);
    let mine = app.client.send_text(conv.clone(), "exactly once".into()).await.unwrap();
    app.wait("disconnected", |e| matches!(e, ClientEvent::Connection { state: ConnectionState::Disconnected { .. } }))
        .await;
    assert_eq!(proxy.dropped(), 1, "the ack was dropped");
    let seq = app.sent(&mine.client_msg_id).await;

    assert_eq!(stored_count(&srv.api, &alice, &conv, &mine.client_msg_id).await, 1, "the retry stored nothing new");
    assert_eq!(server_texts(&srv.api, &alice, &conv).await, vec![(seq, "exactly once".to_owned())]);
    let local = app.client.message_by_client_id(mine.client_msg_id.clone()).await.unwrap().unwrap();
    assert_eq!((local.status, local.seq), (MessageStatus::Sent, Some(seq)));
    assert_eq!(app.client.outbox_len().await.unwrap(), 0);
    app.client.shutdown().await;
}

both_modes!(a_gap_in_pushes_is_filled_by_sync);
async fn a_gap_in_pushes_is_filled_by_sync(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let proxy = Proxy::start(srv.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![proxy.base()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    post_text(&srv.api, &bob, &conv, "b-1", "hello").await;
    app.new_text("hello").await;
    until("cursor 1", || async { app.client.cursor(conv.clone()).await.unwrap() == 1 }).await;

    // The push of seq 2 never arrives; seq 3 does, so the SDK sees the gap and syncs it.
    proxy.drop_next("DROPPED", false);
    post_text(&srv.api, &bob, &conv, "b-2", "DROPPED").await;
    post_text(&srv.api, &bob, &conv, "b-3", "after the gap").await;
    app.new_text("after the gap").await;
    let filled = app.new_text("DROPPED").await;
    assert_eq!(filled, 2);
    assert_eq!(proxy.dropped(), 1, "the push really was dropped");
    // The gap's sync (a sync of seq 1 alone may come first: the conversation list at connect
    // can already show bob's first message).
    let progress = app
        .wait("sync progress", |e| {
            matches!(e, ClientEvent::SyncProgress { conv: c, done: true, to_seq, .. } if *c == conv && *to_seq >= 3)
        })
        .await;
    assert!(matches!(progress, ClientEvent::SyncProgress { from_seq: 1, to_seq: 3, .. }), "{progress:?}");
    assert!(
        !app.seen.iter().any(|e| matches!(e, ClientEvent::Connection { state: ConnectionState::Disconnected { .. } })),
        "filled without a reconnect"
    );
    assert_eq!(sdk_texts(&app.client, &conv).await, server_texts(&srv.api, &alice, &conv).await);
    app.client.shutdown().await;
}

both_modes!(a_missed_push_in_a_quiet_conversation_is_caught_up_at_the_next_pong);
async fn a_missed_push_in_a_quiet_conversation_is_caught_up_at_the_next_pong(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let proxy = Proxy::start(srv.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::with(vec![proxy.base()], dir.path(), "a-phone", |c| c.heartbeat_secs = 1).await;
    app.login_and_connect("alice").await;
    post_text(&srv.api, &bob, &conv, "b-1", "hello").await;
    app.new_text("hello").await;

    // Every push is lost from now on, and no later message shows a gap: only the pong's change
    // counter can tell the SDK that something happened.
    proxy.drop_every(r#""type":"msg""#);
    post_text(&srv.api, &bob, &conv, "b-2", "nobody pushed this").await;
    let seq = app.new_text("nobody pushed this").await;
    assert_eq!(seq, 2);
    assert!(proxy.dropped() >= 1, "the push really was dropped");
    assert!(
        !app.seen.iter().any(|e| matches!(e, ClientEvent::Connection { state: ConnectionState::Disconnected { .. } })),
        "caught up without a reconnect"
    );
    assert_eq!(sdk_texts(&app.client, &conv).await, server_texts(&srv.api, &alice, &conv).await);
    app.client.shutdown().await;
}

both_modes!(the_outbox_and_the_cursor_survive_an_sdk_restart);
async fn the_outbox_and_the_cursor_survive_an_sdk_restart(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let proxy = Proxy::start(srv.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut first = App::new(vec![proxy.base()], dir.path(), "a-phone").await;
    first.login_and_connect("alice").await;
    for i in 1..=3 {
        post_text(&srv.api, &bob, &conv, &format!("b-{i}"), &format!("m{i}")).await;
        first.new_text(&format!("m{i}")).await;
    }

    // Offline: two messages go into the outbox, then the app is closed.
    proxy.set_refuse(true);
    proxy.sever();
    first
        .wait("disconnected", |e| matches!(e, ClientEvent::Connection { state: ConnectionState::Disconnected { .. } }))
        .await;
    let q1 = first.client.send_text(conv.clone(), "queued 1".into()).await.unwrap();
    let q2 = first.client.send_text(conv.clone(), "queued 2".into()).await.unwrap();
    first.client.shutdown().await;
    drop(first);
    post_text(&srv.api, &bob, &conv, "b-4", "while closed").await;

    // A new SDK on the same data dir: logged in, with history, cursor and outbox, before any network.
    let mut second = App::new(vec![proxy.base()], dir.path(), "a-phone").await;
    assert_eq!(second.client.user_id(), Some(alice.user_id.clone()));
    assert_eq!(second.client.outbox_len().await.unwrap(), 2);
    assert_eq!(second.client.cursor(conv.clone()).await.unwrap(), 3);
    let offline = second.client.history(conv.clone(), None, 50).await.unwrap();
    let shown: Vec<(Option<u64>, MessageStatus)> = offline.iter().map(|m| (m.seq, m.status)).collect();
    assert_eq!(
        shown,
        vec![
            (Some(1), MessageStatus::Received),
            (Some(2), MessageStatus::Received),
            (Some(3), MessageStatus::Received),
            (None, MessageStatus::Sending),
            (None, MessageStatus::Sending)
        ]
    );
    assert_eq!(second.client.total_unread().await.unwrap(), 3);

    proxy.set_refuse(false);
    second.connect().await;
    let s1 = second.sent(&q1.client_msg_id).await;
    let s2 = second.sent(&q2.client_msg_id).await;
    assert!(s1 < s2, "the outbox keeps its order");
    second.new_text("while closed").await;
    let first_sync =
        match second.wait("sync", |e| matches!(e, ClientEvent::SyncProgress { conv: c, .. } if *c == conv)).await {
            ClientEvent::SyncProgress { from_seq, .. } => from_seq,
            _ => unreachable!(),
        };
    assert_eq!(first_sync, 3, "sync resumed from the saved cursor");

    for q in [&q1, &q2] {
        assert_eq!(stored_count(&srv.api, &alice, &conv, &q.client_msg_id).await, 1);
    }
    let server = server_texts(&srv.api, &alice, &conv).await;
    assert_eq!(server.len(), 6, "{server:?}");
    assert_eq!(sdk_texts(&second.client, &conv).await, server);
    assert_eq!(second.client.outbox_len().await.unwrap(), 0);
    second.client.shutdown().await;
}

both_modes!(unread_counts_match_the_server);
async fn unread_counts_match_the_server(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![format!("http://127.0.0.1:{}", srv.port())], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;

    for i in 1..=5 {
        post_text(&srv.api, &bob, &conv, &format!("b-{i}"), &format!("d{i}")).await;
    }
    let (status, group) = srv
        .api
        .call(
            "POST",
            "/api/v1/groups",
            Some(&bob.access_token),
            Some(json!({"name": "Team", "members": [alice.user_id]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let gconv = group["conv"].as_str().unwrap().to_owned();
    post_text(&srv.api, &bob, &gconv, "g-1", "g1").await;
    post_text(&srv.api, &bob, &gconv, "g-2", "g2").await;
    app.new_text("d5").await;
    app.new_text("g2").await;

    // Alice reads up to 2, bob recalls 4 (unread and gone), alice writes (never unread for her).
    app.client.mark_read(conv.clone(), 2).await.unwrap();
    let (status, body) = srv
        .api
        .call("POST", &format!("/api/v1/conversations/{conv}/messages/4/recall"), Some(&bob.access_token), None)
        .await;
    assert_eq!(status, 201, "{body}");
    app.wait("recall", |e| matches!(e, ClientEvent::Recalled { seq: 4, .. })).await;
    let mine = app.client.send_text(conv.clone(), "mine".into()).await.unwrap();
    app.sent(&mine.client_msg_id).await;

    let server = server_unread(&srv.api, &alice).await;
    let direct_unread = server.iter().find(|(c, _)| *c == conv).map(|(_, n)| *n);
    assert_eq!(direct_unread, Some(2), "server: d3 and d5 are unread; {server:?}");
    assert_eq!(sdk_unread(&app.client).await, server);
    let total: u64 = server.iter().map(|(_, n)| n).sum();
    assert_eq!(app.client.total_unread().await.unwrap(), total);
    let recalled = app.client.history(conv.clone(), Some(5), 1).await.unwrap();
    assert_eq!(recalled[0].kind, "recalled");

    // Offline and after a restart, the store gives the same counts.
    app.client.shutdown().await;
    let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), "a-phone").await;
    assert_eq!(sdk_unread(&offline.client).await, server);
    offline.client.shutdown().await;
}

both_modes!(short_lived_tokens_are_refreshed_and_a_remote_logout_stops_the_client);
async fn short_lived_tokens_are_refreshed_and_a_remote_logout_stops_the_client(backend: Backend) {
    let srv = spawn_server_with(backend, |s| s.auth.access_ttl = std::time::Duration::from_secs(2)).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let proxy = Proxy::start(srv.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![proxy.base()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;

    // Well past the first token's life: REST calls and a new handshake still work.
    tokio::time::sleep(std::time::Duration::from_millis(4_500)).await;
    assert_eq!(app.client.friends().await.unwrap(), vec![]);
    proxy.sever();
    app.connected().await;
    // (The test's own REST users need fresh tokens too.)
    let bob = srv.api.login("bob", "b1").await;
    let alice = srv.api.login("alice", "a-rest").await;
    post_text(&srv.api, &bob, &conv, "b-1", "still here").await;
    let seq = app.new_text("still here").await;
    app.client.mark_read(conv.clone(), seq).await.unwrap();
    let server = server_unread(&srv.api, &alice).await;
    assert_eq!(server, vec![(conv.clone(), 0)], "the read reached the server");
    assert_eq!(app.client.user_id(), Some(alice.user_id.clone()));

    // Another device of alice logs this one out: the SDK reports it and stops.
    let alice = srv.api.login("alice", "a-rest2").await;
    let (status, body) = srv.api.call("DELETE", "/api/v1/me/devices/a-phone", Some(&alice.access_token), None).await;
    assert_eq!(status, 204, "{body}");
    let kicked =
        app.wait("kicked", |e| matches!(e, ClientEvent::Connection { state: ConnectionState::Kicked { .. } })).await;
    assert_eq!(kicked, ClientEvent::Connection { state: ConnectionState::Kicked { reason: "remote_logout".into() } });
    assert_eq!(app.client.user_id(), None, "the session is forgotten");
    assert_eq!(app.client.friends().await, Err(tidings_sdk::SdkError::NotLoggedIn));
    app.client.shutdown().await;
}

both_modes!(refused_sends_fail_at_once_and_unanswered_ones_after_bounded_retries);
async fn refused_sends_fail_at_once_and_unanswered_ones_after_bounded_retries(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let proxy = Proxy::start(srv.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::with(vec![proxy.base()], dir.path(), "a-phone", |c| {
        c.max_send_attempts = 3;
        c.ack_timeout_ms = 700;
        // No pong during the test: a moved change counter would make the SDK catch up, find the
        // message stored and mark it sent, which is not what this test is about.
        c.heartbeat_secs = 120;
    })
    .await;
    app.login_and_connect("alice").await;

    // A refusal is final: no retries, the code is the reason, and the queue moves on.
    let nowhere = format!("d:{}:u_01NOBODY0000000000000000000", alice.user_id);
    let refused = app.client.send_text(nowhere, "to nobody".into()).await.unwrap();
    let ok = app.client.send_text(conv.clone(), "after the refusal".into()).await.unwrap();
    assert_eq!(app.failed(&refused.client_msg_id).await, "unknown_conversation");
    app.sent(&ok.client_msg_id).await;

    // Acks never arrive: the same client_msg_id goes out max_send_attempts times, then `failed`.
    proxy.drop_every(r#""type":"ack""#);
    let lost = app.client.send_text(conv.clone(), "acks lost".into()).await.unwrap();
    assert_eq!(app.failed(&lost.client_msg_id).await, "retries_exhausted");
    assert_eq!(proxy.dropped(), 3, "one frame per attempt");
    assert_eq!(stored_count(&srv.api, &alice, &conv, &lost.client_msg_id).await, 1, "retries never duplicate");
    assert_eq!(app.client.outbox_len().await.unwrap(), 0);

    // `retry` requeues it; with acks flowing again the duplicate ack marks it sent, same seq.
    proxy.clear();
    app.client.retry(lost.client_msg_id.clone()).await.unwrap();
    let seq = app.sent(&lost.client_msg_id).await;
    assert_eq!(
        server_texts(&srv.api, &alice, &conv).await,
        vec![(1, "after the refusal".into()), (seq, "acks lost".into())]
    );
    assert_eq!(
        app.client.retry(lost.client_msg_id.clone()).await,
        Err(tidings_sdk::SdkError::InvalidInput { message: "no failed message with that client_msg_id".into() })
    );
    app.client.shutdown().await;
}

both_modes!(history_pages_come_from_the_server_once_then_from_the_store);
async fn history_pages_come_from_the_server_once_then_from_the_store(backend: Backend) {
    let srv = spawn_server(backend).await;
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    for i in 1..=30 {
        post_text(&srv.api, &bob, &conv, &format!("b-{i}"), &format!("h{i}")).await;
    }
    // Alice read everything on another device: a new install syncs nothing and pages on demand.
    let (status, body) = srv
        .api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/read"),
            Some(&alice.access_token),
            Some(json!({"seq": 30})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![format!("http://127.0.0.1:{}", srv.port())], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let progress =
        app.wait("sync", |e| matches!(e, ClientEvent::SyncProgress { conv: c, done: true, .. } if *c == conv)).await;
    assert!(matches!(progress, ClientEvent::SyncProgress { from_seq: 30, to_seq: 30, .. }), "{progress:?}");
    assert!(!app.seen.iter().any(|e| matches!(e, ClientEvent::NewMessage { .. })), "old history is not announced");

    let texts = |page: &[tidings_sdk::Message]| page.iter().map(|m| m.text().unwrap()).collect::<Vec<_>>();
    let expect = |from: u64, to: u64| (from..=to).map(|i| format!("h{i}")).collect::<Vec<_>>();
    let newest = app.client.history(conv.clone(), None, 10).await.unwrap();
    assert_eq!(texts(&newest), expect(21, 30));
    let older = app.client.history(conv.clone(), Some(21), 10).await.unwrap();
    assert_eq!(texts(&older), expect(11, 20));
    assert_eq!(app.client.conversation(conv.clone()).await.unwrap().unwrap().unread, 0);
    app.client.shutdown().await;

    // Offline, the pages already fetched come from the store; the rest is simply not there.
    let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), "a-phone").await;
    assert_eq!(texts(&offline.client.history(conv.clone(), Some(21), 10).await.unwrap()), expect(11, 20));
    assert_eq!(texts(&offline.client.history(conv.clone(), None, 20).await.unwrap()), expect(11, 30));
    assert!(offline.client.history(conv.clone(), Some(11), 10).await.unwrap().is_empty());
    offline.client.shutdown().await;
}

#[tokio::test]
async fn a_reconnect_frame_moves_it_to_the_hinted_address() {
    let Some(backend) = Backend::cluster("sdk::drain_hint") else { return };
    // The hint names a proxy that will lead to the second instance, which is not up yet.
    let hinted = Proxy::start(1).await;
    let hint = hinted.base();
    let mut first = spawn_server_with(backend, move |s| {
        s.drain.reconnect_hint = Some(hint.clone());
        s.drain.timeout = std::time::Duration::from_secs(5);
    })
    .await;
    let second = first.peer().await.unwrap();
    hinted.set_upstream(second.port());
    let bob = second.api.user("bob", "b1").await;
    let alice = second.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let first_url = format!("http://127.0.0.1:{}", first.port());
    let dir = tempfile::tempdir().unwrap();
    // Only the first instance is configured: the second is known to the SDK through the hint alone.
    let mut app = App::new(vec![first_url.clone()], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let before = app.client.send_text(conv.clone(), "before".into()).await.unwrap();
    app.sent(&before.client_msg_id).await;

    first.drain().await;
    assert_eq!(app.connected().await, hinted.base(), "the SDK follows the reconnect frame's url");
    let after = app.client.send_text(conv.clone(), "after".into()).await.unwrap();
    let seq = app.sent(&after.client_msg_id).await;
    assert_eq!(seq, 2);
    let server = server_texts(&second.api, &alice, &conv).await;
    assert_eq!(server, vec![(1, "before".into()), (2, "after".into())]);
    app.client.shutdown().await;
}

both_modes!(media_goes_up_with_one_client_and_down_with_the_other);
async fn media_goes_up_with_one_client_and_down_with_the_other(backend: Backend) {
    // Instances share uploads through an S3-compatible store (a fake one on loopback here).
    let srv = spawn_server_with(backend, tidings_tests::media::use_fake_s3).await;
    let peer = srv.peer().await;
    let there = peer.as_ref().unwrap_or(&srv);
    let alice = srv.api.user("alice", "a-rest").await;
    let bob = srv.api.user("bob", "b-rest").await;
    srv.api.register("eve").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let (da, db, de) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = App::new(vec![format!("http://127.0.0.1:{}", srv.port())], da.path(), "a-phone").await;
    let mut b = App::new(vec![format!("http://127.0.0.1:{}", there.port())], db.path(), "b-phone").await;
    let mut e = App::new(vec![format!("http://127.0.0.1:{}", there.port())], de.path(), "e-phone").await;
    a.login_and_connect("alice").await;
    b.login_and_connect("bob").await;
    e.login_and_connect("eve").await;

    // Refusals come back with the server's codes.
    let wrong = a.client.upload_media("image".into(), "image/png".into(), b"not a picture".to_vec(), None).await;
    assert!(
        matches!(&wrong, Err(tidings_sdk::SdkError::Server { code, .. }) if code == "media_type_mismatch"),
        "{wrong:?}"
    );
    assert!(a.client.upload_media("sticker".into(), "image/png".into(), vec![1], None).await.is_err());

    let picture = tidings_tests::media::png(40, 20);
    let up = a.client.upload_media("image".into(), "image/png".into(), picture.clone(), None).await.unwrap();
    assert_eq!((up.kind.as_str(), up.width, up.height, up.size), ("image", Some(40), Some(20), picture.len() as u64));
    assert!(up.thumbnail);
    let sent = a.client.send_media(conv.clone(), up.clone(), None).await.unwrap();
    a.sent(&sent.client_msg_id).await;
    let got =
        b.wait("the image", |ev| matches!(ev, ClientEvent::NewMessage { message } if message.kind == "image")).await;
    let ClientEvent::NewMessage { message } = got else { unreachable!() };
    let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
    assert_eq!((body["width"].as_u64(), body["height"].as_u64()), (Some(40), Some(20)));
    let media_id = body["media_id"].as_str().unwrap().to_owned();
    assert_eq!(b.client.download_media(media_id.clone()).await.unwrap(), picture, "bob gets the same bytes");
    let thumb = b.client.download_thumbnail(media_id.clone()).await.unwrap();
    assert_eq!(&thumb[..8], b"\x89PNG\r\n\x1a\n");
    // Eve is in no conversation where it was sent.
    let refused = e.client.download_media(media_id.clone()).await;
    assert!(
        matches!(&refused, Err(tidings_sdk::SdkError::Server { code, .. }) if code == "media_not_found"),
        "{refused:?}"
    );

    // A file keeps its name; a voice note needs its duration.
    let notes = b"meeting notes".to_vec();
    let file = a
        .client
        .upload_media("file".into(), "text/plain".into(), notes.clone(), Some("notes 1.txt".into()))
        .await
        .unwrap();
    assert_eq!(file.name.as_deref(), Some("notes 1.txt"));
    let sent = a.client.send_media(conv.clone(), file.clone(), None).await.unwrap();
    a.sent(&sent.client_msg_id).await;
    assert_eq!(b.client.download_media(file.media_id.clone()).await.unwrap(), notes);
    let voice =
        a.client.upload_media("voice".into(), "audio/ogg".into(), tidings_tests::media::ogg(500), None).await.unwrap();
    assert!(a.client.send_media(conv.clone(), voice, None).await.is_err(), "voice needs duration_ms");
    for app in [a, b, e] {
        app.client.shutdown().await;
    }
}

both_modes!(a_list_longer_than_a_page_reaches_the_client_whole);
async fn a_list_longer_than_a_page_reaches_the_client_whole(backend: Backend) {
    // Pages of three rows: seven conversations take three pages.
    let srv = spawn_server_with(backend, |s| s.limits.max_conversations = 3).await;
    let alice = srv.api.user("alice", "a-rest").await;
    let mut convs = Vec::new();
    for i in 0..7 {
        let peer = srv.api.user(&format!("peer{i}"), "p1").await;
        let conv = direct(&alice.user_id, &peer.user_id);
        post_text(&srv.api, &peer, &conv, &format!("p-{i}"), "hello").await;
        convs.push(conv);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![format!("http://127.0.0.1:{}", srv.port())], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let listed = || async { app.client.conversations().await.unwrap().into_iter().map(|c| c.conv).collect::<Vec<_>>() };
    until("every conversation in the client's list", || async { listed().await.len() >= convs.len() }).await;
    let mut seen = listed().await;
    seen.sort();
    convs.sort();
    assert_eq!(seen, convs);
}
