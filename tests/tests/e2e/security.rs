//! Hostile clients: text frames that are not UTF-8, sockets that open and never speak, sockets
//! that stall mid-handshake, and authenticated clients that never read. None of them may
//! starve the others, and none of them may store anything.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tidings_interfaces::settings::Settings;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::{Backend, TestServer, spawn_server, spawn_server_with};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// A bounded wait for anything in this file.
const LIMIT: Duration = Duration::from_secs(30);

async fn invalid_utf8_in_a_text_frame_closes_only_that_socket(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut bob = WsClient::connect(&srv.ws_url(), &b.access_token).await;

    let url = format!("{}?token={}", srv.ws_url(), a.access_token);
    let (mut raw, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    // A send frame whose text payload carries bytes that are not UTF-8.
    let mut payload =
        format!(r#"{{"type":"send","id":"x","conv":"{conv}","client_msg_id":"u1","kind":"text","body":{{"text":""#)
            .into_bytes();
    payload.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    payload.extend_from_slice(br#""}}"#);
    raw.send(Message::Frame(Frame::message(payload, OpCode::Data(Data::Text), true))).await.unwrap();
    let closed = tokio::time::timeout(LIMIT, async {
        loop {
            match raw.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the server closes a socket that breaks UTF-8");
    assert_eq!(closed, Some(1007), "RFC 6455 closes bad UTF-8 with 1007");

    // Nothing was stored, and bob's socket is untouched.
    assert!(srv.api.all_messages(&b, &conv).await.is_empty());
    bob.send(json!({"type": "ping"})).await;
    bob.expect("pong").await;
    let mut alice = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    alice.send_text(&conv, "u2", "valid").await;
    alice.expect("ack").await;
    assert_eq!(bob.expect("msg").await["message"]["body"]["text"], "valid");
}
tidings_tests::both_modes!(invalid_utf8_in_a_text_frame_closes_only_that_socket);

/// Large messages, so a reader that stalls fills every buffer on the way (kernel, actix, the
/// hub's queue) within a few hundred of them.
fn large_messages(s: &mut Settings) {
    s.limits.outbound_queue = 64;
    s.limits.max_text_chars = 60_000;
    s.limits.max_body_bytes = 65_000;
}

/// A WebSocket whose receive buffer is tiny and which never reads: the server's outbound queue
/// for it fills after a few frames.
async fn stalled_reader(srv: &TestServer, token: &str) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(format!("127.0.0.1:{}", srv.port()).parse().unwrap()).await.unwrap();
    let url = format!("{}?token={token}", srv.ws_url());
    tokio_tungstenite::client_async(url, stream).await.unwrap().0
}

async fn idle_half_open_and_stalled_clients_do_not_starve_a_chat(backend: Backend) {
    let srv = spawn_server_with(backend, large_messages).await;
    let api = &srv.api;
    let a = api.user("alice", "a1").await;
    let b = api.user("bob", "b1").await;
    let mut slow_logins = Vec::new();
    for i in 0..6 {
        slow_logins.push(api.user(&format!("slow{i}"), "s1").await);
    }
    let mut members: Vec<String> = slow_logins.iter().map(|l| l.user_id.clone()).collect();
    members.push(b.user_id.clone());
    let (status, group) = api
        .call("POST", "/api/v1/groups", Some(&a.access_token), Some(json!({"name": "Crowd", "members": members})))
        .await;
    assert_eq!(status, 201, "{group}");
    let group_conv = format!("g:{}", group["group_id"].as_str().unwrap());

    // 150 sockets that connect and never speak, 150 that stop in the middle of the handshake.
    let addr = format!("127.0.0.1:{}", srv.port());
    let mut silent = Vec::new();
    for i in 0..300 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 0 {
            s.write_all(b"GET /ws HTTP/1.1\r\nHost: tidings\r\nUpgrade: websocket\r\n").await.unwrap();
        }
        silent.push(s);
    }
    // Six members who never read their socket.
    let mut stalled = Vec::new();
    for l in &slow_logins {
        stalled.push(stalled_reader(&srv, &l.access_token).await);
    }

    // Alice floods the group with large messages; bob reads everything, in order.
    let mut alice = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut bob = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    let big = "x".repeat(60_000);
    let started = Instant::now();
    let total = 300;
    let window = 16;
    let (mut sent, mut acked) = (0, 0);
    let mut seen = Vec::new();
    while acked < total || seen.len() < total {
        assert!(started.elapsed() < LIMIT * 2, "the chat stalled: {acked} acks, {} received", seen.len());
        // Bob's own reading (a 60 KB frame parsed per push, in a debug build) must not be
        // outrun by alice's acks: his queue holds 64 frames, and this test is about the
        // *other* sockets not starving the chat, not about bob being a slow consumer.
        while sent < total && sent - acked < window && sent - seen.len() < 2 * window {
            alice.send_text(&group_conv, &format!("g{sent}"), &big).await;
            sent += 1;
        }
        tokio::select! {
            f = alice.next() => {
                let f: Value = f.expect("alice's socket stays open");
                if f["type"] == "ack" { acked += 1; }
            }
            f = bob.next() => {
                let f: Value = f.expect("bob's socket stays open");
                if f["type"] == "msg" { seen.push(f["message"]["seq"].as_u64().unwrap()); }
            }
        }
    }
    assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "bob got every message once, in order");

    // A direct chat started now still answers at once.
    let dm = direct(&a.user_id, &b.user_id);
    let t = Instant::now();
    alice.send_text(&dm, "dm-1", "still there?").await;
    alice.expect("ack").await;
    assert_eq!(bob.expect("msg").await["message"]["body"]["text"], "still there?");
    assert!(t.elapsed() < Duration::from_secs(5), "a direct message took {:?}", t.elapsed());

    // The stalled readers were cut off as slow consumers: reading now finds the end (a 1013
    // close frame if it still fit in the socket) well before the last message.
    for mut s in stalled {
        let (got, code) = tokio::time::timeout(LIMIT, async {
            let mut got = 0;
            loop {
                match s.next().await {
                    Some(Ok(Message::Close(frame))) => return (got, frame.map(|f| u16::from(f.code))),
                    Some(Ok(Message::Text(_))) => got += 1,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return (got, None),
                }
            }
        })
        .await
        .expect("a stalled reader's connection ends");
        assert!(got < total, "a stalled reader was cut off, not buffered without bound: {got} of {total}");
        assert!(matches!(code, None | Some(1013)), "closed with {code:?}");
    }
    // New clients still get in while the silent sockets hang around.
    let late = api.user("late", "l1").await;
    let mut late_ws = WsClient::connect(&srv.ws_url(), &late.access_token).await;
    late_ws.send(json!({"type": "ping"})).await;
    late_ws.expect("pong").await;
    drop(silent);
    // A stalled member resyncs from the log and finds everything.
    let mut again = WsClient::connect(&srv.ws_url(), &slow_logins[0].access_token).await;
    let page = again.sync(&group_conv, 0, 200).await;
    let seqs: Vec<u64> = page["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=200).collect::<Vec<u64>>(), "the log has everything from the start");
}
tidings_tests::both_modes!(idle_half_open_and_stalled_clients_do_not_starve_a_chat);
