//! A server too busy to take a send answers `busy`; the SDK keeps the message, retries it with
//! exponential backoff (not at a fixed pace, not in a tight loop) and delivers it once.
//!
//! The server is made busy for real: the test holds SQLite's write lock from outside, so the
//! server's commit stage waits for it and its bounded queues fill; every send after that is
//! refused `busy` until the lock is released. SQLite only (the lock is a file lock).

use std::time::Duration;

use serde_json::json;
use sqlx::Connection as _;
use tidings_sdk::MessageStatus;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::{Backend, spawn_server_with};

use crate::support::{App, stored_count};

/// `tidings_ws_errors_total{code="busy"}` on the server's `/metrics`.
async fn busy_answers(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("tidings_ws_errors_total{code=\"busy\"} "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test]
async fn a_busy_refusal_is_retried_with_growing_pauses_and_stored_once() {
    let srv = spawn_server_with(Backend::Embedded, |s| {
        s.pipeline.queue_capacity = Some(1);
        s.pipeline.max_batch = 1;
        s.limits.send_per_sec = 1_000.0;
        s.limits.send_burst = 1_000;
    })
    .await;
    let base = format!("http://127.0.0.1:{}", srv.port());
    let bob = srv.api.user("bob", "b1").await;
    let alice = srv.api.user("alice", "a-rest").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::with(vec![base.clone()], dir.path(), "a-phone", |c| {
        c.backoff_initial_ms = 20;
        c.backoff_max_ms = 2_000;
        c.max_send_attempts = 100;
    })
    .await;
    app.login_and_connect("alice").await;
    let mut flood = WsClient::connect(&srv.ws_url(), &bob.access_token).await;

    // Hold the write lock: the server's writer waits on it (its busy timeout is 10 s).
    let db = format!("sqlite://{}", srv.data_dir().join("tidings.db").display());
    let mut lock = sqlx::SqliteConnection::connect(&db).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut lock).await.unwrap();

    // Fill the pipeline one send at a time, pausing after each so the stages take it on, until
    // one is refused: then every stage and the one-send queue are full, and stay full while the
    // lock is held (a burst could be refused while a later stage still had room).
    let (mut flood_sent, mut flood_busy) = (0u64, 0u64);
    while flood_busy == 0 && flood_sent < 40 {
        flood.send_text(&conv, &format!("flood-{flood_sent}"), "load").await;
        flood_sent += 1;
        match flood.next_within(Duration::from_millis(500)).await {
            None => {} // taken on: it waits behind the lock
            Some(Some(frame)) => {
                assert_eq!((&frame["type"], &frame["code"]), (&json!("error"), &json!("busy")), "{frame}");
                flood_busy += 1;
            }
            Some(None) => panic!("the flood's connection closed"),
        }
    }
    assert_eq!(flood_busy, 1, "the server is saturated after {flood_sent} sends");

    // The SDK's send is refused too, and retried while the server stays busy.
    let before = busy_answers(&base).await;
    let mine = app.client.send_text(conv.clone(), "under load".into()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let refused = busy_answers(&base).await - before;
    let local = app.client.message_by_client_id(mine.client_msg_id.clone()).await.unwrap().unwrap();
    assert_eq!(local.status, MessageStatus::Sending, "a busy refusal does not fail the message");
    // Pauses of 10-20, 20-40, 40-80, ... ms: at least four tries in 1.5 s (a fixed 1 s pause
    // gives two), and no tight loop (which gives hundreds).
    assert!((4..=12).contains(&refused), "{refused} tries in 1.5 s");

    sqlx::raw_sql("COMMIT").execute(&mut lock).await.unwrap();
    let seq = app.sent(&mine.client_msg_id).await;
    assert!(seq > 0);
    assert_eq!(stored_count(&srv.api, &alice, &conv, &mine.client_msg_id).await, 1, "stored once");
    // Every flood send is answered once: acked (and stored) or refused.
    let mut flood_acked = 0u64;
    while let Some(Some(frame)) = flood.next_within(Duration::from_secs(3)).await {
        match frame["type"].as_str() {
            Some("ack") => flood_acked += 1,
            Some("error") => flood_busy += 1,
            _ => {}
        }
    }
    assert_eq!(flood_acked + flood_busy, flood_sent);
    let stored = srv.api.all_messages(&alice, &conv).await;
    assert_eq!(stored.len() as u64, flood_acked + 1, "the accepted flood and the SDK's message");
    app.client.shutdown().await;
}
