//! Multi-instance behaviour: real `tidings` processes sharing MariaDB, Redis and RabbitMQ.
//! Each test skips plainly without those services (and fails instead under `CI=true`).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Login, WsClient, direct};
use tidings_tests::helpers::seqs;
use tidings_tests::processes::{ClusterProcesses, cut_amqp_connection};
use tidings_tests::{Backend, spawn_server};

const BIN: &str = env!("CARGO_BIN_EXE_tidings-e2e-server");
const QUIET: Duration = Duration::from_millis(400);

/// Sends `n` texts from `ws` with `gap` between them, then collects every ack:
/// `client_msg_id -> seq` of the acked ones.
async fn send_stream(ws: &mut WsClient, conv: &str, tag: &str, n: usize, gap: Duration) -> BTreeMap<String, u64> {
    for i in 0..n {
        ws.send_text(conv, &format!("{tag}-{i}"), &format!("{tag} {i}")).await;
        tokio::time::sleep(gap).await;
    }
    let mut acked = BTreeMap::new();
    while acked.len() < n {
        let (ack, _) = ws.wait_for("ack").await;
        acked.insert(ack["client_msg_id"].as_str().unwrap().to_owned(), ack["seq"].as_u64().unwrap());
    }
    acked
}

/// Reads `msg` frames until the connection drops or nothing comes for `idle`.
async fn collect_until_quiet(mut ws: WsClient, idle: Duration) -> Vec<Value> {
    let mut got = Vec::new();
    while let Some(Some(frame)) = ws.next_within(idle).await {
        if frame["type"] == "msg" {
            got.push(frame["message"].clone());
        }
    }
    got
}

/// Everything after `after` through sync on a fresh connection.
async fn sync_all(ws_url: &str, who: &Login, conv: &str) -> Vec<Value> {
    let mut ws = WsClient::connect(ws_url, &who.access_token).await;
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        let id = ws.next_id();
        ws.send(json!({"type": "sync", "id": id, "conv": conv, "after_seq": cursor, "limit": 200})).await;
        let (page, _) = ws.wait_for("sync_result").await;
        let msgs = page["messages"].as_array().unwrap().clone();
        if let Some(last) = msgs.last() {
            cursor = last["seq"].as_u64().unwrap();
        }
        out.extend(msgs);
        if !page["has_more"].as_bool().unwrap() {
            return out;
        }
    }
}

#[tokio::test]
async fn users_on_different_instances_chat_and_each_device_gets_each_message_once() {
    let Some(_) = Backend::cluster("cluster::three_instances") else { return };
    let c = ClusterProcesses::start(BIN, 3, &[]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(1).api.user("bob", "b1").await;
    let b2 = c.at(2).api.login("bob", "b2").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&c.at(1).ws_url(), &b.access_token).await;
    let mut b2_ws = WsClient::connect(&c.at(2).ws_url(), &b2.access_token).await;

    let acked = send_stream(&mut a_ws, &conv, "x", 20, Duration::ZERO).await;
    let want: Vec<u64> = (1..=20).collect();
    assert_eq!(acked.values().copied().collect::<HashSet<_>>().len(), 20);
    assert_eq!(seqs(&b_ws.messages(20).await), want, "bob on instance 2");
    assert_eq!(seqs(&b2_ws.messages(20).await), want, "bob's second device on instance 3");
    b_ws.expect_silence(QUIET).await;
    b2_ws.expect_silence(QUIET).await;

    // A retry of an acked send through another instance gets the original ack.
    let a2 = c.at(2).api.login("alice", "a2").await;
    let mut a2_ws = WsClient::connect(&c.at(2).ws_url(), &a2.access_token).await;
    a2_ws.send_text(&conv, "x-7", "x 7").await;
    let (retry, _) = a2_ws.wait_for("ack").await;
    assert_eq!((retry["seq"].as_u64(), retry["duplicate"].as_bool()), (Some(acked["x-7"]), Some(true)));
    b_ws.expect_silence(QUIET).await;

    b2_ws.send_text(&conv, "reply", "from instance 3").await;
    assert_eq!(b2_ws.expect("ack").await["seq"], 21);
    assert_eq!(a_ws.expect("msg").await["message"]["seq"], 21);
    assert_eq!(b_ws.expect("msg").await["message"]["seq"], 21, "bob's other device sees his own send");
    b2_ws.send(json!({"type": "read", "conv": conv, "seq": 21})).await;
    assert_eq!(a_ws.expect("read").await["user_id"], b.user_id.as_str(), "read receipt across instances");
}

#[tokio::test]
async fn killing_an_instance_during_traffic_loses_and_duplicates_nothing() {
    let Some(_) = Backend::cluster("cluster::sigkill") else { return };
    let mut c = ClusterProcesses::start(BIN, 3, &[]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(1).api.user("bob", "b-victim").await;
    let b2 = c.at(2).api.login("bob", "b-survivor").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;
    let victim = tokio::spawn(collect_until_quiet(
        WsClient::connect(&c.at(1).ws_url(), &b.access_token).await,
        Duration::from_secs(5),
    ));
    let survivor = tokio::spawn(collect_until_quiet(
        WsClient::connect(&c.at(2).ws_url(), &b2.access_token).await,
        Duration::from_secs(3),
    ));
    let (i3_url, i1_url) = (c.at(2).ws_url(), c.at(0).ws_url());

    let sender = tokio::spawn(async move { send_stream(&mut a_ws, &conv, "k", 150, Duration::from_millis(4)).await });
    tokio::time::sleep(Duration::from_millis(250)).await;
    c.instances[1].kill();
    let acked = sender.await.unwrap();
    let conv = direct(&a.user_id, &b.user_id);

    let acked_seqs: Vec<u64> = {
        let mut v: Vec<u64> = acked.values().copied().collect();
        v.sort_unstable();
        v
    };
    assert_eq!(acked_seqs, (1..=150).collect::<Vec<u64>>(), "every send acked once, no seq reused");

    // The victim's device saw part of the stream, in order, then lost its instance.
    let before_kill = seqs(&victim.await.unwrap());
    assert!(before_kill.windows(2).all(|w| w[0] < w[1]), "pushes in order: {before_kill:?}");
    // It reconnects to a surviving instance and syncs: with what it had, exactly the acked set.
    let synced = sync_all(&i3_url, &b, &conv).await;
    assert_eq!(seqs(&synced), acked_seqs, "after sync the victim has every acked message once, in order");
    let by_cmid: BTreeMap<String, u64> =
        synced.iter().map(|m| (m["client_msg_id"].as_str().unwrap().to_owned(), m["seq"].as_u64().unwrap())).collect();
    assert_eq!(by_cmid, acked, "stored exactly what was acked");

    // The device on a surviving instance got every push exactly once, in order.
    assert_eq!(seqs(&survivor.await.unwrap()), acked_seqs);
    assert_eq!(seqs(&sync_all(&i1_url, &a, &conv).await), acked_seqs, "the sender's view agrees");
}

#[tokio::test]
async fn a_redis_wipe_during_traffic_reuses_no_seq_and_routes_come_back() {
    let Some(_) = Backend::cluster("cluster::redis_wipe") else { return };
    let c = ClusterProcesses::start(BIN, 2, &[("TIDINGS_CLUSTER__ROUTE_TTL", "3s")]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(1).api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;
    let b_ws = WsClient::connect(&c.at(1).ws_url(), &b.access_token).await;

    let resources = c.resources.clone();
    let wiper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        resources.flush_redis().await;
    });
    let acked = send_stream(&mut a_ws, &conv, "w", 80, Duration::from_millis(5)).await;
    wiper.await.unwrap();
    let unique: HashSet<u64> = acked.values().copied().collect();
    assert_eq!(unique.len(), 80, "no seq handed out twice");
    let history = c.at(0).api.all_messages(&a, &conv).await;
    let stored: BTreeMap<String, u64> =
        history.iter().map(|m| (m["client_msg_id"].as_str().unwrap().to_owned(), m["seq"].as_u64().unwrap())).collect();
    assert_eq!(stored, acked, "every acked message stored once, with the acked seq");
    let pushed = collect_until_quiet(b_ws, Duration::from_millis(1500)).await;
    assert!(seqs(&pushed).windows(2).all(|w| w[0] < w[1]));

    // Routes are re-asserted by the periodic refresh (TTL 3 s: every second): pushes flow again
    // without reconnecting. Probes sent before the refresh are unroutable (the log keeps them);
    // under a loaded machine the refresh may come late, so probe until one arrives.
    let mut b_ws = WsClient::connect(&c.at(1).ws_url(), &b.access_token).await;
    c.resources.flush_redis().await;
    let mut resumed = None;
    for attempt in 0..40 {
        let id = format!("after-wipe-{attempt}");
        a_ws.send_text(&conv, &id, "routes are back").await;
        a_ws.wait_for("ack").await;
        if let Some(Some(frame)) = b_ws.next_within(Duration::from_millis(250)).await {
            assert_eq!(frame["type"], "msg", "{frame}");
            resumed = Some((attempt, frame["message"]["client_msg_id"].as_str().unwrap().to_owned()));
            break;
        }
    }
    let (attempt, got) = resumed.expect("pushes resumed within 10 s of the wipe, without reconnecting");
    assert!(got.starts_with("after-wipe-"), "{got} (after {attempt} probes)");
}

#[tokio::test]
async fn cut_broker_connections_recover_without_a_restart() {
    let Some(_) = Backend::cluster("cluster::amqp_cut") else { return };
    let c = ClusterProcesses::start(BIN, 2, &[]).await;
    let a = c.at(0).api.user("alice", "a1").await;
    let b = c.at(1).api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&c.at(0).ws_url(), &a.access_token).await;
    let mut b_ws = WsClient::connect(&c.at(1).ws_url(), &b.access_token).await;
    a_ws.send_text(&conv, "before", "before the cut").await;
    a_ws.wait_for("ack").await;
    assert_eq!(b_ws.expect("msg").await["message"]["client_msg_id"], "before");

    for victim in ["i2", "i1"] {
        cut_amqp_connection(victim);
        // Sends keep working meanwhile (the log does not need the broker); pushes resume once
        // the instance has reconnected and re-declared its queue.
        let mut resumed = false;
        for attempt in 0..50 {
            a_ws.send_text(&conv, &format!("probe-{victim}-{attempt}"), "probe").await;
            a_ws.wait_for("ack").await;
            if let Some(Some(frame)) = b_ws.next_within(Duration::from_millis(200)).await {
                assert_eq!(frame["type"], "msg");
                resumed = true;
                break;
            }
        }
        assert!(resumed, "pushes did not resume after cutting {victim}'s broker connection");
        while let Some(Some(_)) = b_ws.next_within(Duration::from_millis(300)).await {}
    }
    // Whatever was sent during the gaps reaches bob at the latest on his next sync.
    let history = c.at(0).api.all_messages(&a, &conv).await;
    let synced = sync_all(&c.at(1).ws_url(), &b, &conv).await;
    assert_eq!(seqs(&synced), seqs(&history));
    assert_eq!(seqs(&synced), (1..=history.len() as u64).collect::<Vec<u64>>());
}

#[tokio::test]
async fn a_seq_counter_set_back_is_detected_and_healed() {
    let Some(backend) = Backend::cluster("cluster::seq_collision") else { return };
    let srv = spawn_server(backend).await;
    let a = srv.api.user("alice", "a1").await;
    let b = srv.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut ws = WsClient::connect(&srv.ws_url(), &a.access_token).await;
    let first = send_stream(&mut ws, &conv, "one", 5, Duration::ZERO).await;
    assert_eq!(first.values().copied().max(), Some(5));

    srv.cluster().unwrap().set_seq_counter(&conv, 2).await;
    let second = send_stream(&mut ws, &conv, "two", 4, Duration::ZERO).await;
    let mut got: Vec<u64> = second.values().copied().collect();
    got.sort_unstable();
    assert_eq!(got, vec![6, 7, 8, 9], "collisions re-seeded the counter past the log");
    assert_eq!(seqs(&srv.api.all_messages(&b, &conv).await), (1..=9).collect::<Vec<u64>>());
}

#[tokio::test]
async fn a_block_or_policy_change_through_one_instance_holds_at_once_on_another() {
    let Some(_) = Backend::cluster("cluster::gates") else { return };
    let c = ClusterProcesses::start(BIN, 2, &[]).await;
    let (sending, writing) = (c.at(0), c.at(1));
    let a = sending.api.user("alice", "a1").await;
    let b = writing.api.user("bob", "b1").await;
    let conv = direct(&a.user_id, &b.user_id);
    let mut a_ws = WsClient::connect(&sending.ws_url(), &a.access_token).await;
    let bob_path = format!("/api/v1/blocks/{}", a.user_id);

    // Several rounds, each sending right after the change: the sending instance has just
    // checked (and remembered) the gate the other way, and must not trust it.
    for round in 0..5 {
        a_ws.send_text(&conv, &format!("open-{round}"), "hello").await;
        a_ws.expect("ack").await;
        let (status, _) = writing.api.call("PUT", &bob_path, Some(&b.access_token), None).await;
        assert_eq!(status, 204);
        a_ws.send_text(&conv, &format!("blocked-{round}"), "still there?").await;
        assert_eq!(a_ws.expect_error().await, "blocked", "round {round}: the block holds on the other instance");
        let (status, _) = writing.api.call("DELETE", &bob_path, Some(&b.access_token), None).await;
        assert_eq!(status, 204);
    }

    // A policy change: friends only, made through the other instance.
    a_ws.send_text(&conv, "before-policy", "hi").await;
    a_ws.expect("ack").await;
    let (status, _) = writing
        .api
        .call("PUT", "/api/v1/me/privacy", Some(&b.access_token), Some(json!({"dm_policy": "friends"})))
        .await;
    assert_eq!(status, 200);
    a_ws.send_text(&conv, "after-policy", "hi again").await;
    assert_eq!(a_ws.expect_error().await, "not_friends");
    let stored: Vec<String> = writing
        .api
        .all_messages(&b, &conv)
        .await
        .iter()
        .map(|m| m["client_msg_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(stored.len(), 6, "only the allowed messages were stored: {stored:?}");
    assert!(stored.iter().all(|id| id.starts_with("open-") || id == "before-policy"), "{stored:?}");
}

#[tokio::test]
async fn a_group_mute_kick_or_dissolution_through_one_instance_holds_at_once_on_another() {
    let Some(_) = Backend::cluster("cluster::group_gates") else { return };
    let c = ClusterProcesses::start(BIN, 2, &[]).await;
    let (sending, writing) = (c.at(0), c.at(1));
    let owner = writing.api.user("owner", "o1").await;
    let ann = sending.api.user("ann", "a1").await;
    let body = json!({"name": "Team", "members": [ann.user_id]});
    let (status, group) = writing.api.call("POST", "/api/v1/groups", Some(&owner.access_token), Some(body)).await;
    assert_eq!(status, 201, "{group}");
    let gid = group["group_id"].as_str().unwrap();
    let (conv, base) = (format!("g:{gid}"), format!("/api/v1/groups/{gid}"));
    let ann_member = format!("{base}/members/{}", ann.user_id);
    let mut ann_ws = WsClient::connect(&sending.ws_url(), &ann.access_token).await;
    let by_owner = |method: &'static str, path: String, body: Option<Value>| {
        let api = writing.api.clone();
        let token = owner.access_token.clone();
        async move { api.call(method, &path, Some(&token), body).await.0 }
    };

    // Each change right after a send that made the sending instance remember the gate.
    for round in 0..3 {
        ann_ws.send_text(&conv, &format!("open-{round}"), "hello").await;
        ann_ws.wait_for("ack").await;
        assert_eq!(by_owner("PATCH", ann_member.clone(), Some(json!({"mute_secs": 600}))).await, 200);
        ann_ws.send_text(&conv, &format!("muted-{round}"), "mmmph").await;
        assert_eq!(ann_ws.wait_for("error").await.0["code"], "muted", "round {round}: the mute holds");
        assert_eq!(by_owner("PATCH", ann_member.clone(), Some(json!({"mute_secs": 0}))).await, 200);
    }
    ann_ws.send_text(&conv, "before-mute-all", "hi").await;
    ann_ws.wait_for("ack").await;
    assert_eq!(by_owner("PATCH", base.clone(), Some(json!({"mute_all": true}))).await, 200);
    ann_ws.send_text(&conv, "under-mute-all", "hi?").await;
    assert_eq!(ann_ws.wait_for("error").await.0["code"], "muted");
    assert_eq!(by_owner("PATCH", base.clone(), Some(json!({"mute_all": false}))).await, 200);
    ann_ws.send_text(&conv, "before-kick", "hi").await;
    ann_ws.wait_for("ack").await;
    assert_eq!(by_owner("DELETE", ann_member.clone(), None).await, 204);
    ann_ws.send_text(&conv, "after-kick", "let me in").await;
    assert_eq!(ann_ws.wait_for("error").await.0["code"], "not_member");
    assert_eq!(by_owner("POST", format!("{base}/members"), Some(json!({"user_ids": [ann.user_id]}))).await, 200);
    ann_ws.send_text(&conv, "back-again", "thanks").await;
    ann_ws.wait_for("ack").await;
    assert_eq!(by_owner("DELETE", base.clone(), None).await, 204);
    ann_ws.send_text(&conv, "after-dissolve", "anyone?").await;
    assert_eq!(ann_ws.wait_for("error").await.0["code"], "group_dissolved");

    let stored: Vec<String> = writing
        .api
        .all_messages(&owner, &conv)
        .await
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["client_msg_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let allowed = ["open-0", "open-1", "open-2", "before-mute-all", "before-kick", "back-again"];
    assert_eq!(stored, allowed, "only the allowed messages were stored");
}

#[tokio::test]
async fn a_shared_redis_connection_that_dies_is_replaced() {
    use deadpool_redis::redis;
    let Some(_) = Backend::cluster("cluster::redis_conn") else { return };
    // One slot, so every call shares the one connection.
    let shared = tidings_infrastructure::cluster::connect_redis(
        &tidings_tests::backend::redis_url(),
        1,
        std::time::Duration::from_secs(5),
    )
    .await
    .expect("redis");
    let id = async |shared: &tidings_infrastructure::cluster::RedisPool| -> Result<i64, String> {
        let mut conn = shared.get().await.map_err(|e| e.to_string())?;
        redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await.map_err(|e| e.to_string())
    };
    let first = id(&shared).await.expect("a connection");
    assert_eq!(id(&shared).await, Ok(first), "calls share the connection");

    // Redis drops it (as on a restart or a network cut), from another client.
    let outside = tidings_tests::backend::redis_pool();
    let mut killer = outside.get().await.expect("redis");
    let killed: i64 = redis::cmd("CLIENT").arg("KILL").arg("ID").arg(first).query_async(&mut killer).await.unwrap();
    assert_eq!(killed, 1);

    // A call may fail while the loss is noticed; the next ones run on a fresh connection.
    let mut replaced = None;
    for _ in 0..3 {
        if let Ok(now) = id(&shared).await {
            replaced = Some(now);
            break;
        }
    }
    let now = replaced.expect("a fresh connection within three calls");
    assert_ne!(now, first, "a new connection took the dead one's place");
    assert_eq!(id(&shared).await, Ok(now));
}

/// Reads frames until `acks` acks and `pushes` message pushes have arrived; returns the pushes'
/// seqs in arrival order.
async fn acks_and_pushes(ws: &mut WsClient, acks: usize, pushes: usize) -> Vec<u64> {
    let (mut acked, mut pushed) = (0, Vec::new());
    while acked < acks || pushed.len() < pushes {
        let frame = ws.next().await.unwrap_or_else(|| panic!("closed after {acked} acks and {} pushes", pushed.len()));
        match frame["type"].as_str() {
            Some("ack") => acked += 1,
            Some("msg") => pushed.push(frame["message"]["seq"].as_u64().unwrap()),
            _ => panic!("unexpected frame: {frame}"),
        }
    }
    pushed
}

/// Two members connected to different instances send to one group at the same time. Each
/// instance commits its own sends, so the pushes of one conversation reach every instance from
/// two directions (straight from its own commits, and through RabbitMQ); every device still
/// gets them in seq order.
#[tokio::test]
async fn concurrent_group_sends_from_two_instances_arrive_in_seq_order_everywhere() {
    let Some(_) = Backend::cluster("cluster::push_order") else { return };
    // A generous wait: only an ordering fault, not a slow machine, can fail this.
    let c = ClusterProcesses::start(BIN, 2, &[("TIDINGS_CLUSTER__PUSH_ORDER_WAIT", "5s")]).await;
    let ann = c.at(0).api.user("ann", "a1").await;
    let bob = c.at(1).api.user("bob", "b1").await;
    let cat = c.at(0).api.user("cat", "c1").await;
    let dan = c.at(1).api.user("dan", "d1").await;
    let body = json!({"name": "Busy", "members": [bob.user_id, cat.user_id, dan.user_id]});
    let (status, group) = c.at(0).api.call("POST", "/api/v1/groups", Some(&ann.access_token), Some(body)).await;
    assert_eq!(status, 201, "{group}");
    let conv = format!("g:{}", group["group_id"].as_str().unwrap());
    let mut ann_ws = WsClient::connect(&c.at(0).ws_url(), &ann.access_token).await;
    let mut bob_ws = WsClient::connect(&c.at(1).ws_url(), &bob.access_token).await;
    let mut cat_ws = WsClient::connect(&c.at(0).ws_url(), &cat.access_token).await;
    let mut dan_ws = WsClient::connect(&c.at(1).ws_url(), &dan.access_token).await;

    // Everyone has seen one message of the conversation before the race starts.
    ann_ws.send_text(&conv, "warm", "warm").await;
    let base = ann_ws.wait_for("ack").await.0["seq"].as_u64().unwrap();
    for ws in [&mut bob_ws, &mut cat_ws, &mut dan_ws] {
        loop {
            let (msg, _) = ws.wait_for("msg").await;
            if msg["message"]["client_msg_id"] == "warm" {
                break;
            }
        }
    }

    const N: usize = 100;
    let (ann_got, bob_got) = tokio::join!(
        async {
            for i in 0..N {
                ann_ws.send_text(&conv, &format!("ann-race-{i}"), "from instance 1").await;
            }
            acks_and_pushes(&mut ann_ws, N, N).await
        },
        async {
            for i in 0..N {
                bob_ws.send_text(&conv, &format!("bob-race-{i}"), "from instance 2").await;
            }
            acks_and_pushes(&mut bob_ws, N, N).await
        },
    );
    let all: Vec<u64> = (base + 1..=base + 2 * N as u64).collect();
    let is_increasing = |seqs: &[u64]| seqs.windows(2).all(|w| w[0] < w[1]);
    assert!(is_increasing(&ann_got), "ann (instance 1) got bob's sends out of order: {ann_got:?}");
    assert!(is_increasing(&bob_got), "bob (instance 2) got ann's sends out of order: {bob_got:?}");
    assert_eq!(seqs(&cat_ws.messages(2 * N).await), all, "cat on instance 1");
    assert_eq!(seqs(&dan_ws.messages(2 * N).await), all, "dan on instance 2");
}
