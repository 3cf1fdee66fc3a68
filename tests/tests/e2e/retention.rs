//! Retention: with a maximum age, a background job purges old messages; history, sync and the
//! conversation list then report the floor `min_seq` (the lowest seq kept), newer messages stay,
//! and unread counts only what is kept. With no maximum age nothing is ever purged.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::{Backend, spawn_server_with};

async fn send(api: &Api, who: &Login, conv: &str, cmid: &str) -> u64 {
    let (status, ack) = api.send_text(who, conv, cmid, cmid).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

async fn history(api: &Api, who: &Login, conv: &str, query: &str) -> Value {
    let (status, page) =
        api.call("GET", &format!("/api/v1/conversations/{conv}/messages?{query}"), Some(&who.access_token), None).await;
    assert_eq!(status, 200, "{page}");
    page
}

fn seqs(messages: &Value) -> Vec<u64> {
    messages.as_array().unwrap().iter().map(|m| m["seq"].as_u64().unwrap()).collect()
}

async fn row(api: &Api, who: &Login, conv: &str) -> Value {
    api.conversations(who).await.into_iter().find(|r| r["conv"] == conv).unwrap_or(Value::Null)
}

async fn old_messages_are_purged_and_the_floor_is_reported(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        s.retention.max_age = std::time::Duration::from_secs(3);
        s.retention.interval = std::time::Duration::from_secs(1);
        s.retention.batch_size = 2; // several bounded batches for one conversation
    })
    .await;
    // In a cluster both instances run the job; their passes must not disturb each other.
    let peer = srv.peer().await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    for i in 1..=3 {
        assert_eq!(send(api, &alice, &conv, &format!("old{i}")).await, i);
    }
    let (status, _) = api
        .call("POST", &format!("/api/v1/conversations/{conv}/read"), Some(&bob.access_token), Some(json!({"seq": 1})))
        .await;
    assert_eq!(status, 200);
    let fresh = history(api, &bob, &conv, "after_seq=0").await;
    assert_eq!(seqs(&fresh["messages"]), vec![1, 2, 3]);
    assert!(fresh.get("min_seq").is_none(), "nothing trimmed yet: {fresh}");
    let listed = row(api, &bob, &conv).await;
    assert_eq!((listed["unread"].as_u64(), listed.get("min_seq")), (Some(2), None), "{listed}");

    // The job purges them once they are older than the maximum age.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let page = history(api, &bob, &conv, "after_seq=0").await;
        if page["min_seq"] == 4 && seqs(&page["messages"]).is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not purged in time: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let listed = row(api, &bob, &conv).await;
    assert_eq!((listed["unread"].as_u64(), listed["min_seq"].as_u64()), (Some(0), Some(4)), "{listed}");
    assert!(listed.get("last_message").is_none(), "{listed}");

    // After a restart (counters re-seed from storage, whose log is now empty), new messages
    // continue the seqs (no reuse) and are kept.
    let srv = srv.restart().await;
    let far = peer.as_ref().unwrap_or(&srv);
    let api = &srv.api;
    assert_eq!(send(api, &alice, &conv, "new4").await, 4);
    assert_eq!(send(api, &alice, &conv, "new5").await, 5);
    let page = history(api, &bob, &conv, "after_seq=1").await;
    assert_eq!((seqs(&page["messages"]), page["min_seq"].as_u64()), (vec![4, 5], Some(4)), "{page}");
    let page = history(api, &bob, &conv, "before_seq=5&limit=10").await;
    assert_eq!((seqs(&page["messages"]), page["min_seq"].as_u64()), (vec![4], Some(4)), "{page}");
    let mut ws = WsClient::connect(&far.ws_url(), &bob.access_token).await;
    let synced = ws.sync(&conv, 0, 50).await;
    assert_eq!((seqs(&synced["messages"]), synced["min_seq"].as_u64()), (vec![4, 5], Some(4)), "{synced}");
    let listed = row(api, &bob, &conv).await;
    assert_eq!(
        (listed["unread"].as_u64(), listed["min_seq"].as_u64()),
        (Some(2), Some(4)),
        "unread counts what is kept"
    );
    assert_eq!(listed["last_message"]["seq"], 5);
    // The sender's view agrees.
    let theirs = history(api, &alice, &conv, "after_seq=0").await;
    assert_eq!((seqs(&theirs["messages"]), theirs["min_seq"].as_u64()), (vec![4, 5], Some(4)));
    ws.close().await;
}

async fn retention_zero_keeps_everything(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        s.retention.max_age = std::time::Duration::ZERO;
        s.retention.interval = std::time::Duration::from_secs(1);
    })
    .await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    send(api, &alice, &conv, "k1").await;
    send(api, &alice, &conv, "k2").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let page = history(api, &bob, &conv, "after_seq=0").await;
    assert_eq!(seqs(&page["messages"]), vec![1, 2]);
    assert!(page.get("min_seq").is_none(), "{page}");
    let listed = row(api, &bob, &conv).await;
    assert_eq!((listed["unread"].as_u64(), listed.get("min_seq")), (Some(2), None), "{listed}");
}

tidings_tests::both_modes!(old_messages_are_purged_and_the_floor_is_reported, retention_zero_keeps_everything);
