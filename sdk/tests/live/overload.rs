//! A server too busy to take a send answers `busy`; the SDK keeps the message, retries it with
//! exponential backoff (not at a fixed pace, not in a tight loop) and delivers it once.
//!
//! The server is made busy for real: the test holds SQLite's write lock from outside, so the
//! server's commit stage waits for it and its bounded queues fill; every send after that is
//! refused `busy` until the lock is released. SQLite only (the lock is a file lock).

use std::time::Duration;

use serde_json::Value;
use sqlx::Connection as _;
use tidings_sdk::MessageStatus;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::server::spawn_server_with;

use crate::support::{App, stored_count, until};

/// `tidings_ws_errors_total{code="busy"}` on the server's `/metrics`.
async fn busy_answers(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("tidings_ws_errors_total{code=\"busy\"} "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test]
async fn a_busy_refusal_is_retried_with_growing_pauses_and_stored_once() {
    let srv = spawn_server_with(|s| {
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

    // Fill the stages and the one-send queue; the rest of the flood is refused.
    for i in 0..30 {
        flood.send_text(&conv, &format!("flood-{i}"), "load").await;
    }
    let mut flood_busy = 0u64;
    while let Some(Some(frame)) = flood.next_within(Duration::from_secs(2)).await {
        if frame["type"] == "error" {
            assert_eq!(frame["code"], "busy", "{frame}");
            flood_busy += 1;
        }
    }
    assert!(flood_busy > 0, "the server is saturated");
    assert_eq!(busy_answers(&base).await, flood_busy);

    // The SDK's send is refused too, and retried while the server stays busy.
    let mine = app.client.send_text(conv.clone(), "under load".into()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let refused = busy_answers(&base).await - flood_busy;
    let local = app.client.message_by_client_id(mine.client_msg_id.clone()).await.unwrap().unwrap();
    assert_eq!(local.status, MessageStatus::Sending, "a busy refusal does not fail the message");
    // Pauses of 10-20, 20-40, 40-80, ... ms: at least four tries in 1.5 s (a fixed 1 s pause
    // gives two), and no tight loop (which gives hundreds).
    assert!((4..=12).contains(&refused), "{refused} tries in 1.5 s");

    sqlx::raw_sql("COMMIT").execute(&mut lock).await.unwrap();
    let seq = app.sent(&mine.client_msg_id).await;
    assert!(seq > 0);
    assert_eq!(stored_count(&srv.api, &alice, &conv, &mine.client_msg_id).await, 1, "stored once");
    until("the flood's accepted sends are acked", || async {
        srv.api.all_messages(&alice, &conv).await.iter().filter(|m| m["client_msg_id"] != Value::Null).count() as u64
            == 30 - flood_busy + 1
    })
    .await;
    app.client.shutdown().await;
}
