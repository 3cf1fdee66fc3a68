//! One-to-one messaging: push, offline sync, dedupe, multi-device, reads, restart.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{WsClient, direct};
use tidings_tests::helpers::seqs;
use tidings_tests::{Backend, spawn_server};

const QUIET: Duration = Duration::from_millis(300);

async fn a_message_reaches_the_online_peer(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;

    let id = a_ws.send_text(&conv, "c-1", "hello bob").await;
    let ack = a_ws.expect("ack").await;
    assert_eq!(
        (ack["id"].as_str(), ack["seq"].as_u64(), ack["duplicate"].as_bool()),
        (Some(id.as_str()), Some(1), Some(false))
    );
    assert_eq!(ack["conv"], conv.as_str());
    assert_eq!(ack["client_msg_id"], "c-1");

    let msg = b_ws.expect("msg").await["message"].clone();
    assert_eq!(msg["conv"], conv.as_str());
    assert_eq!(msg["seq"], 1);
    assert_eq!(msg["msg_id"], ack["msg_id"]);
    assert_eq!(msg["sender"], a.user_id.as_str());
    assert_eq!(msg["kind"], "text");
    assert_eq!(msg["body"], json!({"text": "hello bob"}));
    assert_eq!(msg["ts"], ack["ts"]);

    // The sending device learns through its ack, not a push; nobody gets anything twice.
    a_ws.expect_silence(QUIET).await;
    b_ws.expect_silence(QUIET).await;
}

async fn an_offline_peer_syncs_everything_in_order_once(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;

    // Pipelined: all 200 queued before the first ack is read.
    for i in 0..200 {
        a_ws.send_text(&conv, &format!("c-{i}"), &format!("message {i}")).await;
    }
    let mut acked = Vec::new();
    for _ in 0..200 {
        let ack = a_ws.expect("ack").await;
        acked.push((ack["client_msg_id"].as_str().unwrap().to_owned(), ack["seq"].as_u64().unwrap()));
    }
    acked.sort_by_key(|(_, seq)| *seq);
    let expected: Vec<(String, u64)> = (0..200).map(|i| (format!("c-{i}"), i + 1)).collect();
    assert_eq!(acked, expected, "seqs follow send order");

    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    // Pushes of the last sends may still be on their way and arrive alongside the sync pages
    // (at-least-once): an app dedupes them by seq. The sync pages alone must be complete.
    let mut got: Vec<Value> = Vec::new();
    let mut pushed: Vec<Value> = Vec::new();
    let mut cursor = 0;
    loop {
        let id = b_ws.next_id();
        b_ws.send(json!({"type": "sync", "id": id, "conv": conv, "after_seq": cursor, "limit": 64})).await;
        let (page, before) = b_ws.wait_for("sync_result").await;
        assert_eq!(page["id"], id.as_str());
        pushed.extend(before.into_iter().map(|f| f["message"].clone()));
        let messages = page["messages"].as_array().unwrap().clone();
        if let Some(last) = messages.last() {
            cursor = last["seq"].as_u64().unwrap();
        }
        got.extend(messages);
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seqs(&got), (1..=200).collect::<Vec<u64>>());
    let texts: Vec<&str> = got.iter().map(|m| m["body"]["text"].as_str().unwrap()).collect();
    let want: Vec<String> = (0..200).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, want);
    while let Some(Some(frame)) = b_ws.next_within(QUIET).await {
        assert_eq!(frame["type"], "msg", "{frame}");
        pushed.push(frame["message"].clone());
    }
    let late = seqs(&pushed);
    assert!(late.windows(2).all(|w| w[0] < w[1]), "late pushes still in order: {late:?}");
    assert!(late.iter().all(|s| (1..=200).contains(s)), "only known messages: {late:?}");
}

async fn the_same_client_msg_id_is_stored_once(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let a2 = srv.api.login("alice", "a2").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut a2_ws = WsClient::connect(&srv.ws_url(), &a2.access_token).await;
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;

    // Sequential repeat: the original ack, flagged duplicate.
    a_ws.send_text(&conv, "same-1", "once").await;
    let first = a_ws.expect("ack").await;
    a_ws.send_text(&conv, "same-1", "once").await;
    let again = a_ws.expect("ack").await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(
        (again["seq"].clone(), again["msg_id"].clone(), again["ts"].clone()),
        (first["seq"].clone(), first["msg_id"].clone(), first["ts"].clone())
    );

    // Concurrent repeats: back to back on one socket and at the same time from another device.
    a_ws.send_text(&conv, "same-2", "twice?").await;
    a_ws.send_text(&conv, "same-2", "twice?").await;
    a2_ws.send_text(&conv, "same-2", "twice?").await;
    // Whichever device commits first, alice's other device is pushed the message, possibly
    // before its own (duplicate) acks.
    let acks = [a_ws.wait_for("ack").await.0, a_ws.wait_for("ack").await.0];
    // a2 also gets pushes of alice's sends from a1; they come before or around its ack.
    let (other, pushed_before) = a2_ws.wait_for("ack").await;
    assert!(pushed_before.iter().all(|f| f["type"] == "msg"), "{pushed_before:?}");
    let seq = acks[0]["seq"].as_u64().unwrap();
    assert!(acks.iter().chain([&other]).all(|a| a["seq"].as_u64() == Some(seq)), "{acks:?} {other}");
    let fresh = acks.iter().chain([&other]).filter(|a| a["duplicate"] == false).count();
    assert_eq!(fresh, 1, "exactly one ack is the original");

    // Over REST too.
    let (status, rest) = srv
        .api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&a.access_token),
            Some(json!({"client_msg_id": "same-2", "kind": "text", "body": {"text": "twice?"}})),
        )
        .await;
    assert_eq!((status, rest["seq"].as_u64(), rest["duplicate"].as_bool()), (200, Some(seq), Some(true)));

    let history = srv.api.all_messages(&a, &conv).await;
    assert_eq!(seqs(&history), vec![1, 2]);
    let pushed = b_ws.messages(2).await;
    assert_eq!(seqs(&pushed), vec![1, 2]);
    b_ws.expect_silence(QUIET).await;
}

async fn every_device_gets_each_message_once_and_sees_its_users_own_sends(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a-phone").await;
    let a_laptop = srv.api.login("alice", "a-laptop").await;
    let b = srv.api.user("bob", "b-phone").await;
    let b_laptop = srv.api.login("bob", "b-laptop").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a1 = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut a2 = WsClient::connect(&srv.ws_url(), &a_laptop.access_token).await;
    let mut b1 = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    let mut b2 = WsClient::connect(&srv.ws_url(), &b_laptop.access_token).await;

    for i in 0..5 {
        a1.send_text(&conv, &format!("a-{i}"), &format!("from a {i}")).await;
    }
    for _ in 0..5 {
        a1.expect("ack").await;
    }
    // Bob's phone has alice's five pushed before (or around) the ack of its own send.
    let pushed_to_b1 = b1.messages(5).await;
    b1.send_text(&conv, "b-0", "from b").await;
    assert_eq!(b1.expect("ack").await["seq"], 6);

    let want: Vec<u64> = (1..=6).collect();
    assert_eq!(seqs(&b2.messages(6).await), want, "bob's other device gets his own send too");
    assert_eq!(seqs(&a2.messages(6).await), want, "alice's second device sees her own sends");
    assert_eq!(seqs(&pushed_to_b1), (1..=5).collect::<Vec<u64>>());
    assert_eq!(seqs(&a1.messages(1).await), vec![6]);
    for ws in [&mut a1, &mut a2, &mut b1, &mut b2] {
        ws.expect_silence(QUIET).await;
    }
}

async fn reads_move_unread_counts_and_reach_the_peer_and_other_devices(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let b2 = srv.api.login("bob", "b2").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    let mut b2_ws = WsClient::connect(&srv.ws_url(), &b2.access_token).await;

    for i in 0..3 {
        a_ws.send_text(&conv, &format!("m{i}"), "hi").await;
        a_ws.expect("ack").await;
    }
    b_ws.messages(3).await;
    b2_ws.messages(3).await;

    let row = |list: Vec<Value>| list.into_iter().find(|c| c["conv"] == conv.as_str()).unwrap();
    let bob_view = row(srv.api.conversations(&b).await);
    assert_eq!(
        (bob_view["unread"].as_u64(), bob_view["max_seq"].as_u64(), bob_view["read_seq"].as_u64()),
        (Some(3), Some(3), Some(0))
    );
    assert_eq!(bob_view["peer"], a.user_id.as_str());
    assert_eq!(bob_view["kind"], "direct");
    assert_eq!(bob_view["last_message"]["seq"], 3);
    let alice_view = row(srv.api.conversations(&a).await);
    assert_eq!(alice_view["unread"], 0, "own messages are never unread");

    b_ws.send(json!({"type": "read", "conv": conv, "seq": 2})).await;
    let seen = a_ws.expect("read").await;
    assert_eq!(
        (seen["conv"].as_str(), seen["user_id"].as_str(), seen["seq"].as_u64()),
        (Some(conv.as_str()), Some(b.user_id.as_str()), Some(2))
    );
    assert_eq!(b2_ws.expect("read").await["seq"], 2, "bob's other device follows");
    b_ws.expect_silence(QUIET).await;

    let bob_view = row(srv.api.conversations(&b2).await);
    assert_eq!((bob_view["unread"].as_u64(), bob_view["read_seq"].as_u64()), (Some(1), Some(2)));

    // Reads never move backwards, and a no-op read pushes nothing.
    b_ws.send(json!({"type": "read", "conv": conv, "seq": 1})).await;
    a_ws.expect_silence(QUIET).await;
    assert_eq!(row(srv.api.conversations(&b).await)["read_seq"], 2);

    // Bob replies: his own message does not count for him, it does for alice.
    b_ws.send_text(&conv, "r1", "reply").await;
    b_ws.expect("ack").await;
    assert_eq!(row(srv.api.conversations(&b).await)["unread"], 1);
    assert_eq!(row(srv.api.conversations(&a).await)["unread"], 1);

    let (status, body) = srv
        .api
        .call("POST", &format!("/api/v1/conversations/{conv}/read"), Some(&b.access_token), Some(json!({"seq": 4})))
        .await;
    assert_eq!((status, body["read_seq"].as_u64()), (200, Some(4)));
    assert_eq!(row(srv.api.conversations(&b).await)["unread"], 0);
    assert_eq!(a_ws.expect("msg").await["message"]["seq"], 4);
    assert_eq!(a_ws.expect("read").await["seq"], 4);
}

async fn history_survives_a_restart_and_seq_continues(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    for i in 0..5 {
        a_ws.send_text(&conv, &format!("before-{i}"), &format!("before {i}")).await;
        a_ws.expect("ack").await;
    }
    a_ws.close().await;

    let srv = srv.restart().await;
    // Same signing key and sessions: the old token still works.
    let history = srv.api.all_messages(&a, &conv).await;
    assert_eq!(seqs(&history), (1..=5).collect::<Vec<u64>>());
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    a_ws.send_text(&conv, "after-0", "after").await;
    let ack = a_ws.expect("ack").await;
    assert_eq!((ack["seq"].as_u64(), ack["duplicate"].as_bool()), (Some(6), Some(false)));
    a_ws.send_text(&conv, "before-4", "before 4").await;
    let dup = a_ws.expect("ack").await;
    assert_eq!((dup["seq"].as_u64(), dup["duplicate"].as_bool()), (Some(5), Some(true)), "dedupe outlives the restart");
    let ids: HashSet<String> =
        srv.api.all_messages(&b, &conv).await.iter().map(|m| m["msg_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 6);
}

async fn rest_send_pushes_and_history_pages_both_ways(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    for i in 0..7 {
        let (status, ack) = srv
            .api
            .call(
                "POST",
                &format!("/api/v1/conversations/{conv}/messages"),
                Some(&a.access_token),
                Some(json!({"client_msg_id": format!("h{i}"), "kind": "text", "body": {"text": format!("t{i}")}})),
            )
            .await;
        assert_eq!((status, ack["seq"].as_u64()), (201, Some(i + 1)), "{ack}");
    }
    assert_eq!(seqs(&b_ws.messages(7).await), (1..=7).collect::<Vec<u64>>());

    let path = format!("/api/v1/conversations/{conv}/messages");
    let (_, page) = srv.api.call("GET", &format!("{path}?before_seq=8&limit=3"), Some(&b.access_token), None).await;
    assert_eq!((seqs(page["messages"].as_array().unwrap()), page["has_more"].as_bool()), (vec![5, 6, 7], Some(true)));
    let (_, page) = srv.api.call("GET", &format!("{path}?before_seq=3&limit=3"), Some(&b.access_token), None).await;
    assert_eq!((seqs(page["messages"].as_array().unwrap()), page["has_more"].as_bool()), (vec![1, 2], Some(false)));
    let (_, page) = srv.api.call("GET", &format!("{path}?after_seq=5"), Some(&b.access_token), None).await;
    assert_eq!((seqs(page["messages"].as_array().unwrap()), page["has_more"].as_bool()), (vec![6, 7], Some(false)));

    // A conversation with nobody's messages yet is empty, not an error.
    let c = srv.api.user("carol", "c1").await;
    let (status, page) = srv
        .api
        .call(
            "GET",
            &format!("/api/v1/conversations/{}/messages", direct(&a.user_id, &c.user_id)),
            Some(&a.access_token),
            None,
        )
        .await;
    assert_eq!((status, page["messages"].as_array().map(Vec::len)), (200, Some(0)));
}

/// Reads are written in batches: a burst of them ends at the highest, the pushes the peer sees
/// never go backwards, and a refused read in the same burst does not swallow a valid one.
async fn a_burst_of_reads_lands_at_the_highest_and_pushes_never_go_back(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    for i in 0..40 {
        a_ws.send_text(&conv, &format!("m{i}"), &format!("message {i}")).await;
        a_ws.expect("ack").await;
    }
    for _ in 0..40 {
        b_ws.expect("msg").await;
    }

    // Bob reports every message as read, as fast as the socket takes it.
    for seq in 1..=40u64 {
        b_ws.send(json!({"type": "read", "conv": conv, "seq": seq})).await;
    }
    let mut last = 0;
    while last < 40 {
        let read = a_ws.expect("read").await;
        let seq = read["seq"].as_u64().unwrap();
        assert!(seq > last, "read pushes went from {last} to {seq}");
        last = seq;
    }
    a_ws.expect_silence(QUIET).await;
    b_ws.expect_silence(QUIET).await;
    let row = |list: Vec<Value>| list[0].clone();
    assert_eq!(row(srv.api.conversations(&b).await)["read_seq"], 40);

    // Two more messages; then a read past the end and a valid one back to back.
    for i in 40..42 {
        a_ws.send_text(&conv, &format!("m{i}"), &format!("message {i}")).await;
        a_ws.expect("ack").await;
        b_ws.expect("msg").await;
    }
    b_ws.send(json!({"type": "read", "conv": conv, "seq": 99})).await;
    b_ws.send(json!({"type": "read", "conv": conv, "seq": 41})).await;
    assert_eq!(b_ws.expect_error().await, "seq_out_of_range");
    assert_eq!(a_ws.expect("read").await["seq"], 41);
    assert_eq!(row(srv.api.conversations(&b).await)["read_seq"], 41);
}

tidings_tests::both_modes!(
    a_burst_of_reads_lands_at_the_highest_and_pushes_never_go_back,
    a_message_reaches_the_online_peer,
    an_offline_peer_syncs_everything_in_order_once,
    the_same_client_msg_id_is_stored_once,
    every_device_gets_each_message_once_and_sees_its_users_own_sends,
    reads_move_unread_counts_and_reach_the_peer_and_other_devices,
    history_survives_a_restart_and_seq_continues,
    rest_send_pushes_and_history_pages_both_ways,
);
