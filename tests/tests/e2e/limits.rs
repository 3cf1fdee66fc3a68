//! Send rate limits: a burst, then the sustained rate; rejections say when to retry and store
//! nothing; in a cluster the limit holds across instances.

use std::time::Duration;

use serde_json::json;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::processes::ClusterProcesses;
use tidings_tests::{Backend, spawn_server_with};

async fn sends_beyond_the_rate_are_refused_until_it_allows(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        s.limits.send_per_sec = 2.0;
        s.limits.send_burst = 3;
    })
    .await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;

    for i in 0..5 {
        ws.send_text(&conv, &format!("r{i}"), "hi").await;
    }
    let mut acked = 0;
    let mut waits = Vec::new();
    for _ in 0..5 {
        let frame = ws.next().await.unwrap();
        match frame["type"].as_str() {
            Some("ack") => acked += 1,
            Some("error") => {
                assert_eq!(frame["code"], "rate_limited", "{frame}");
                waits.push(frame["retry_after_ms"].as_u64().unwrap());
            }
            _ => panic!("unexpected {frame}"),
        }
    }
    assert_eq!((acked, waits.len()), (3, 2), "the burst is 3");
    assert!(waits.iter().all(|w| (1..=1000).contains(w)), "{waits:?}");
    assert_eq!(srv.api.all_messages(&a, &conv).await.len(), 3, "refused sends stored nothing");

    // Over REST the same budget applies, with 429 and Retry-After.
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (status, body) = srv
        .api
        .call(
            "POST",
            &path,
            Some(&a.access_token),
            Some(json!({"client_msg_id": "rest", "kind": "text", "body": {"text": "x"}})),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert!(body["error"]["retry_after_ms"].as_u64().is_some());

    tokio::time::sleep(Duration::from_millis(waits.iter().copied().max().unwrap_or(500) + 50)).await;
    ws.send_text(&conv, "later", "after waiting").await;
    assert_eq!(ws.expect("ack").await["seq"], 4);
    // Other users have their own budget.
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    b_ws.send_text(&conv, "bob-1", "mine").await;
    assert_eq!(b_ws.wait_for("ack").await.0["seq"], 5);
}

tidings_tests::both_modes!(sends_beyond_the_rate_are_refused_until_it_allows);

#[tokio::test]
async fn devices_on_different_instances_share_one_budget() {
    let Some(_) = Backend::cluster("limits::shared_budget") else { return };
    let bin = env!("CARGO_BIN_EXE_tidings-e2e-server");
    let c = ClusterProcesses::start(
        bin,
        2,
        &[("TIDINGS_LIMITS__SEND_PER_SEC", "0.2"), ("TIDINGS_LIMITS__SEND_BURST", "4")],
    )
    .await;
    let a1 = c.at(0).api.user("alice", "a1").await;
    let a2 = c.at(1).api.login("alice", "a2").await;
    let b = c.at(0).api.user("bob", "b1").await;
    let conv = direct(&a1.user_id, &b.user_id);
    let ws1 = WsClient::connect(&c.at(0).ws_url(), &a1.access_token).await;
    let ws2 = WsClient::connect(&c.at(1).ws_url(), &a2.access_token).await;
    let mut accepted = 0;
    let mut sockets = [ws1, ws2];
    for i in 0..6 {
        let ws = &mut sockets[i % 2];
        ws.send_text(&conv, &format!("s{i}"), "hi").await;
        let (answer, _) = ws.wait_for_any(&["ack", "error"]).await;
        if answer["type"] == "ack" {
            accepted += 1;
        } else {
            assert_eq!(answer["code"], "rate_limited", "{answer}");
        }
    }
    assert_eq!(accepted, 4, "one budget of 4 for alice, whichever instance her devices use");
}

/// Sends `n` from `ws` without waiting, then counts acks and `rate_limited` refusals.
async fn burst(ws: &mut WsClient, conv: &str, tag: &str, n: usize) -> (usize, usize) {
    for i in 0..n {
        ws.send_text(conv, &format!("{tag}{i}"), "hi").await;
    }
    let (mut acked, mut refused) = (0, 0);
    for _ in 0..n {
        let (answer, _) = ws.wait_for_any(&["ack", "error"]).await;
        if answer["type"] == "ack" {
            acked += 1;
        } else {
            assert_eq!(answer["code"], "rate_limited", "{answer}");
            refused += 1;
        }
    }
    (acked, refused)
}

#[tokio::test]
async fn a_busy_sender_leasing_ahead_never_gets_past_the_budget() {
    let Some(_) = Backend::cluster("limits::leases") else { return };
    let bin = env!("CARGO_BIN_EXE_tidings-e2e-server");
    // A burst of 16 is leased up to 4 requests at a time.
    let c = ClusterProcesses::start(
        bin,
        2,
        &[("TIDINGS_LIMITS__SEND_PER_SEC", "0.01"), ("TIDINGS_LIMITS__SEND_BURST", "16")],
    )
    .await;
    let a1 = c.at(0).api.user("alice", "a1").await;
    let b = c.at(0).api.user("bob", "b1").await;
    let conv = direct(&a1.user_id, &b.user_id);

    // One instance spends every request it leases before asking again: exactly the burst.
    let mut ws1 = WsClient::connect(&c.at(0).ws_url(), &a1.access_token).await;
    assert_eq!(burst(&mut ws1, &conv, "one", 24).await, (16, 8));
    assert_eq!(c.at(0).api.all_messages(&b, &conv).await.len(), 16);

    // Bob's budget, spread over two instances at once: leases taken and not spent can only
    // make it stricter, never let more through.
    let b2 = c.at(1).api.login("bob", "b2").await;
    let mut on0 = WsClient::connect(&c.at(0).ws_url(), &b.access_token).await;
    let mut on1 = WsClient::connect(&c.at(1).ws_url(), &b2.access_token).await;
    let ((acked0, _), (acked1, _)) = tokio::join!(burst(&mut on0, &conv, "x", 12), burst(&mut on1, &conv, "y", 12));
    assert!(acked0 + acked1 <= 16, "{acked0} + {acked1} acked: more than the budget");
    assert!(acked0 + acked1 >= 16 - 2 * 3, "{acked0} + {acked1}: at most 3 leased and unspent per instance");
    assert_eq!(c.at(1).api.all_messages(&b, &conv).await.len(), 16 + acked0 + acked1);
}
