//! Pushes that never go silent: routes owned by connections (a stale socket can neither
//! overwrite nor delete a newer connection's route), local delivery that does not wait on Redis,
//! routes written again as soon as Redis lost its state, and the `pong`'s change counter.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tidings_tests::client::{WsClient, direct};
use tidings_tests::faults::proxy;
use tidings_tests::processes::ClusterProcesses;
use tidings_tests::{Backend, both_modes, spawn_server};

const BIN: &str = env!("CARGO_BIN_EXE_tidings-e2e-server");

/// The `changes` of the next `pong` (other frames on the way are skipped).
async fn changes(ws: &mut WsClient) -> u64 {
    ws.send(json!({"type": "ping"})).await;
    let (pong, _) = ws.wait_for("pong").await;
    pong["changes"].as_u64().unwrap_or_else(|| panic!("pong without changes: {pong}"))
}

/// The `changes` of the pongs until it reads `want`, or the last one read after 2 s. In cluster
/// mode the counter moves in a task of its own beside the push (off the send path), so the pong
/// right after the pushes may still be a moment behind.
async fn changes_reaching(ws: &mut WsClient, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let seen = changes(ws).await;
        if seen == want || Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends one text and waits for its ack (pushes on the way are skipped).
async fn send_acked(ws: &mut WsClient, conv: &str, id: &str) -> Value {
    ws.send_text(conv, id, id).await;
    ws.wait_for("ack").await.0
}

both_modes!(the_pong_carries_a_change_counter_that_moves_with_each_message_of_the_user);
async fn the_pong_carries_a_change_counter_that_moves_with_each_message_of_the_user(backend: Backend) {
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let c = srv.api.user("carol", "c1").await;
    let mut a_ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&srv.ws_url(), &b.access_token).await;
    let mut c_ws = WsClient::connect(&srv.ws_url(), &c.access_token).await;
    let (a0, b0, c0) = (changes(&mut a_ws).await, changes(&mut b_ws).await, changes(&mut c_ws).await);
    assert_eq!(changes(&mut a_ws).await, a0, "nothing happened: the counter stands still");

    let ab = direct(&a.user_id, &b.user_id);
    for i in 0..3 {
        send_acked(&mut a_ws, &ab, &format!("m{i}")).await;
    }
    b_ws.messages(3).await;
    let (a1, b1) = (changes_reaching(&mut a_ws, a0 + 3).await, changes_reaching(&mut b_ws, b0 + 3).await);
    let c1 = changes(&mut c_ws).await;
    assert_eq!(a1, a0 + 3, "the sender's own messages move it too (their other devices hear of them)");
    assert_eq!(b1, b0 + 3, "each message to bob moves bob's counter");
    assert_eq!(c1, c0, "carol is in none of these conversations");

    // A retried send stores nothing new and moves nothing.
    send_acked(&mut a_ws, &ab, "m0").await;
    assert_eq!(changes(&mut b_ws).await, b1);
}

/// Device b1 of bob connects to instance 1, then again to instance 2 while the first socket is
/// still open (a paused instance, a half-open link): instance 1 is told to close the stale one,
/// its periodic refresh does not take the route back, and its close does not delete it.
#[tokio::test]
async fn a_stale_socket_neither_overwrites_nor_deletes_the_newer_route() {
    let Some(_) = Backend::cluster("routes::stale_socket") else { return };
    // Route TTL 3 s: each instance refreshes its routes every second.
    let c = ClusterProcesses::start(BIN, 2, &[("TIDINGS_CLUSTER__ROUTE_TTL", "3s")]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(0).api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;
    let mut stale = WsClient::connect(&c.at(0).ws_url(), &b.access_token).await;
    send_acked(&mut a_ws, &conv, "before").await;
    assert_eq!(stale.expect("msg").await["message"]["client_msg_id"], "before");

    let mut fresh = WsClient::connect(&c.at(1).ws_url(), &b.access_token).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), stale.closed()).await;
    assert!(closed.is_ok(), "the stale socket on instance 1 was closed once its device connected to instance 2");
    // Past two refreshes of instance 1: the route must still name instance 2.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for i in 0..5 {
        let id = format!("after-{i}");
        send_acked(&mut a_ws, &conv, &id).await;
        let pushed = fresh.expect("msg").await;
        assert_eq!(pushed["message"]["client_msg_id"], id.as_str(), "the newer connection gets every push");
    }
}

/// Redis loses everything: this instance's own devices keep getting their pushes at once (local
/// delivery does not read routes), and devices on other instances get theirs again within about
/// a second (the lost state is noticed and routes are written again), not at the next periodic
/// refresh (20 s with the default TTL of 60 s).
#[tokio::test]
async fn after_redis_lost_its_state_pushes_go_on_here_and_resume_across_within_seconds() {
    let Some(_) = Backend::cluster("routes::lost_state") else { return };
    let c = ClusterProcesses::start(BIN, 2, &[]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(0).api.user("bob", "b1").await;
    let b2 = c.at(1).api.login("bob", "b2").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;
    let mut b_here = WsClient::connect(&c.at(0).ws_url(), &b.access_token).await;
    let mut b_there = WsClient::connect(&c.at(1).ws_url(), &b2.access_token).await;
    send_acked(&mut a_ws, &conv, "warm").await;
    b_here.expect("msg").await;
    b_there.expect("msg").await;

    c.resources.flush_redis().await;
    send_acked(&mut a_ws, &conv, "right-after-the-flush").await;
    assert_eq!(
        b_here.expect("msg").await["message"]["client_msg_id"],
        "right-after-the-flush",
        "a device on the committing instance never waits for routes"
    );
    let flushed = Instant::now();
    let mut resumed = None;
    while flushed.elapsed() < Duration::from_secs(6) {
        let id = format!("probe-{}", flushed.elapsed().as_millis());
        send_acked(&mut a_ws, &conv, &id).await;
        b_here.expect("msg").await;
        while let Some(Some(frame)) = b_there.next_within(Duration::from_millis(200)).await {
            if frame["type"] == "msg" && frame["message"]["client_msg_id"] == id.as_str() {
                resumed = Some(flushed.elapsed());
            }
        }
        if resumed.is_some() {
            break;
        }
    }
    let after = resumed.expect("pushes to the other instance resumed within 6 s of the flush");
    assert!(after < Duration::from_secs(4), "resumed after {after:?}");
}

/// The route cache in front of Redis: instance 1 caches where bob's phone is (instance 2) when it
/// pushes to it; the phone then moves between instances 2 and 3, each move is announced, and the
/// next message from instance 1 reaches the phone at once, although the cache would trust its
/// copy for a minute (without the announcement the push would go to the old instance).
#[tokio::test]
async fn a_device_that_moves_gets_its_next_message_at_once_despite_the_route_caches() {
    let Some(_) = Backend::cluster("routes::cache_moves") else { return };
    let c = ClusterProcesses::start(
        BIN,
        3,
        &[("TIDINGS_CLUSTER__ROUTE_CACHE_SIZE", "100000"), ("TIDINGS_CLUSTER__ROUTE_CACHE_TTL", "60s")],
    )
    .await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(0).api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;

    for (round, instance) in [1usize, 2, 1, 2].into_iter().enumerate() {
        let mut b_ws = WsClient::connect(&c.at(instance).ws_url(), &b.access_token).await;
        // Connected: wait until the move is announced (50 ms batches) and heard.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let id = format!("r{round}");
        let sent = Instant::now();
        send_acked(&mut a_ws, &conv, &id).await;
        let (got, _) = b_ws.wait_for("msg").await;
        assert_eq!(got["message"]["client_msg_id"], id.as_str(), "round {round}: {got}");
        assert!(sent.elapsed() < Duration::from_secs(2), "round {round}: the push took {:?}", sent.elapsed());
        b_ws.close().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A socket opens only once its route is written: while the instance cannot reach Redis, a
/// connecting device is refused `503 busy` (not let in to wait silently for pushes that cannot
/// find it), and once Redis answers again it connects and gets every push. (Two runtime threads:
/// the proxy's tasks must run while the instance's start is awaited by blocking.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_whose_route_cannot_be_written_is_refused_and_let_in_once_redis_answers() {
    let Some(_) = Backend::cluster("routes::unwritten_route") else { return };
    let (link, own) = redis_proxy().await;
    let c = ClusterProcesses::start_each(BIN, &[], &[own]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(0).api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;

    link.set(proxy::Mode::Cut);
    let refused = WsClient::try_connect(&c.at(0).ws_url(), &b.access_token).await.err();
    assert_eq!(refused, Some(503), "a device whose route cannot be written is refused, busy");

    link.set(proxy::Mode::Pass);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut b_ws = loop {
        match WsClient::try_connect(&c.at(0).ws_url(), &b.access_token).await {
            Ok(ws) => break ws,
            Err(status) if Instant::now() < deadline => {
                assert_eq!(status, 503, "only ever refused busy while Redis comes back");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => panic!("still refused ({status}) 10 s after Redis answers again"),
        }
    };
    send_acked(&mut a_ws, &conv, "after-heal").await;
    assert_eq!(b_ws.expect("msg").await["message"]["client_msg_id"], "after-heal", "the device let in gets its push");
}

/// A push whose route lookup fails does not go silent: while one instance cannot reach Redis,
/// what it forwards (a typing indicator: nothing stored, no seq, so nothing else needs Redis)
/// goes to every instance it saw live, and the recipient's device on another instance gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_whose_route_lookup_fails_still_reaches_a_device_on_another_instance() {
    let Some(_) = Backend::cluster("routes::lookup_fails") else { return };
    let (link, own) = redis_proxy().await;
    let c = ClusterProcesses::start_each(BIN, &[], &[own, Vec::new()]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(1).api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&c.at(1).ws_url(), &b.access_token).await;
    // Both routes work: a message crosses, and instance 1 has listed instance 2 by now.
    send_acked(&mut a_ws, &conv, "warm").await;
    assert_eq!(b_ws.expect("msg").await["message"]["client_msg_id"], "warm");

    link.set(proxy::Mode::Cut);
    a_ws.send(json!({"type": "typing", "conv": conv})).await;
    let (typing, _) = b_ws.wait_for("typing").await;
    assert_eq!(typing["user_id"], a.user_id.as_str(), "the typing push crossed without a route: {typing}");
}

/// A proxy in front of Redis whose link a test can cut, and the environment that points an
/// instance at it.
async fn redis_proxy() -> (proxy::Proxy, Vec<(String, String)>) {
    let upstream = tidings_tests::backend::redis_url();
    let port = upstream.rsplit(':').next().and_then(|p| p.split('/').next()?.parse::<u16>().ok()).unwrap_or(6379);
    let proxy = proxy::Proxy::start(std::net::SocketAddr::from(([127, 0, 0, 1], port)), proxy::HangHeal::Close)
        .await
        .unwrap_or_else(|e| panic!("proxy: {e}"));
    let env = vec![("TIDINGS_REDIS_URL".to_owned(), format!("redis://127.0.0.1:{}", proxy.port()))];
    (proxy, env)
}
