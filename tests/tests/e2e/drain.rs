//! Graceful drain: SIGTERM makes a real `tidings` process tell its clients to reconnect, ack
//! every send it accepted, close with 1012 and exit 0 in time; a rolling restart of a two-instance
//! cluster under continuous sends loses and duplicates no acked message.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Closed, Login, WsClient, direct};
use tidings_tests::processes::{ClusterProcesses, Instance, spawn_embedded};
use tidings_tests::{Backend, both_modes, spawn_server_with};
use tokio::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_tidings-e2e-server");
/// `drain.timeout` of the processes under test.
const DRAIN_SECS: u64 = 6;
/// Slack on top of the drain budget for the process to be reaped.
const EXIT_SLACK: Duration = Duration::from_millis(1500);

fn drain_env() -> Vec<(&'static str, &'static str)> {
    vec![("TIDINGS_DRAIN__TIMEOUT", "6s"), ("TIDINGS_DRAIN__RECONNECT_SPREAD", "400ms")]
}

/// SIGTERM, then the process must exit 0 within the drain budget.
fn terminate_and_expect_clean_exit(inst: &mut Instance) -> Duration {
    inst.terminate();
    let within = Duration::from_secs(DRAIN_SECS) + EXIT_SLACK;
    let Some((status, took)) = inst.wait_exit(within) else {
        panic!("{} did not exit within {within:?} of SIGTERM:\n{}", inst.id, inst.log());
    };
    assert!(status.success(), "{} exited with {status}:\n{}", inst.id, inst.log());
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_tells_clients_to_reconnect_acks_what_it_accepted_and_exits_zero() {
    let hint = "http://127.0.0.1:9";
    let mut env = drain_env();
    env.push(("TIDINGS_DRAIN__RECONNECT_HINT", hint));
    let (mut inst, _dir) = spawn_embedded(BIN, &env);
    let alice = inst.api.user("alice", "a1").await;
    let bob = inst.api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let mut a_ws = WsClient::connect(&inst.ws_url(), &alice.access_token).await;
    let mut b_ws = WsClient::connect(&inst.ws_url(), &bob.access_token).await;
    let (status, ready) = inst.api.call("GET", "/readyz", None, None).await;
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));

    // A burst of pipelined sends, and the signal while they are in flight.
    const N: usize = 300;
    for i in 0..N {
        a_ws.send_text(&conv, &format!("m-{i}"), &format!("burst {i}")).await;
    }
    // Once the first is acked the server is busy with the rest.
    let first = a_ws.expect("ack").await;
    let started = Instant::now();
    inst.terminate();

    let (mut frames, how) = a_ws.frames_until_closed().await;
    frames.insert(0, first);
    assert_eq!(how, Closed::Code(1012), "drained sockets close with 1012 (service restart)");
    let reconnect: Vec<&Value> = frames.iter().filter(|f| f["type"] == "reconnect").collect();
    assert_eq!(reconnect.len(), 1, "one reconnect frame: {frames:?}");
    let r = reconnect[0];
    assert_eq!(r["reason"], "draining");
    assert_eq!(r["url"], hint, "the configured hint is passed on");
    assert!(r["after_ms"].as_u64().is_some_and(|ms| ms < 400), "after_ms within the spread: {r}");

    // Every send was answered: acked (accepted before the drain) or refused with `draining`.
    let mut acked: BTreeMap<String, u64> = BTreeMap::new();
    let mut refused = BTreeSet::new();
    let mut after_reconnect = false;
    let mut acks_after_reconnect = 0;
    for f in &frames {
        match f["type"].as_str() {
            Some("reconnect") => after_reconnect = true,
            Some("ack") => {
                acked.insert(f["client_msg_id"].as_str().unwrap().to_owned(), f["seq"].as_u64().unwrap());
                acks_after_reconnect += usize::from(after_reconnect);
            }
            Some("error") => {
                assert_eq!(f["code"], "draining", "{f}");
                assert!(after_reconnect, "refusals come after the reconnect frame");
                let id = f["id"].as_str().unwrap();
                refused.insert(id.to_owned());
            }
            other => panic!("unexpected frame {other:?}: {f}"),
        }
    }
    // Sends the server had not read when it closed get no answer (the client resends them).
    assert!(acked.len() + refused.len() <= N, "at most one answer per send");
    let mut seqs: Vec<u64> = acked.values().copied().collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=acked.len() as u64).collect::<Vec<_>>(), "acked sends hold seqs 1..n");
    let order: Vec<usize> = {
        let mut by_seq: Vec<(u64, usize)> =
            acked.iter().map(|(c, s)| (*s, c.trim_start_matches("m-").parse().unwrap())).collect();
        by_seq.sort_unstable();
        by_seq.into_iter().map(|(_, i)| i).collect()
    };
    assert_eq!(order, (0..acked.len()).collect::<Vec<_>>(), "the accepted sends are a prefix, in order");
    eprintln!(
        "drain: {} acked ({acks_after_reconnect} after the reconnect frame), {} refused, {} unanswered",
        acked.len(),
        refused.len(),
        N - acked.len() - refused.len()
    );

    // The idle client was told too, and closed the same way.
    let (b_frames, b_how) = b_ws.frames_until_closed().await;
    assert_eq!(b_how, Closed::Code(1012));
    assert!(b_frames.iter().any(|f| f["type"] == "reconnect"), "{b_frames:?}");

    let within = Duration::from_secs(DRAIN_SECS) + EXIT_SLACK;
    let Some((status, _)) = inst.wait_exit(within.saturating_sub(started.elapsed())) else {
        panic!("no exit within {within:?}:\n{}", inst.log());
    };
    assert!(status.success(), "exit status {status}:\n{}", inst.log());
    assert!(inst.log().contains("drained"), "the drain ran to its end:\n{}", inst.log());

    // Started again on the same data: exactly the acked messages are stored.
    inst.restart();
    let alice = inst.api.login("alice", "a1").await;
    let stored: BTreeMap<String, u64> = inst
        .api
        .all_messages(&alice, &conv)
        .await
        .iter()
        .map(|m| (m["client_msg_id"].as_str().unwrap().to_owned(), m["seq"].as_u64().unwrap()))
        .collect();
    assert_eq!(stored, acked, "stored exactly what was acked");
    let mut ws = WsClient::connect(&inst.ws_url(), &alice.access_token).await;
    let refused_cmid = format!("m-{}", acked.len());
    if acked.len() < N {
        // A refused send resent after the restart is stored once, next in order.
        ws.send_text(&conv, &refused_cmid, "resent").await;
        let (ack, _) = ws.wait_for("ack").await;
        assert_eq!((ack["seq"].as_u64(), ack["duplicate"].as_bool()), (Some(acked.len() as u64 + 1), Some(false)));
    }
    terminate_and_expect_clean_exit(&mut inst);
}

/// One app-like sender that survives its server going away: it keeps an ordered list of
/// unacked sends, resends them (same client_msg_id) on every new connection, and moves to the
/// other instance when its server drains or drops it.
struct Sender {
    login: Login,
    conv: String,
    tag: String,
    total: usize,
    gap: Duration,
    /// The instances' current `ws://` URLs (a restarted instance has a new port).
    urls: Arc<Mutex<Vec<String>>>,
    start_at: usize,
}

/// What a sender saw.
#[derive(Debug, Default)]
struct Sent {
    acked: BTreeMap<String, u64>,
    reconnects: usize,
    closes_1012: usize,
    refused: usize,
}

impl Sender {
    async fn run(self, deadline: Instant) -> Sent {
        let mut out = Sent::default();
        let mut pending: Vec<String> = Vec::new();
        let mut next = 0;
        let mut at = self.start_at;
        while out.acked.len() < self.total {
            assert!(Instant::now() < deadline, "{}: not done in time: {out:?}, pending {pending:?}", self.tag);
            let url = self.urls.lock().unwrap()[at % 2].clone();
            let Some(mut ws) = WsClient::connect_opt(&url, &self.login.access_token).await else {
                at += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            // Unacked sends first, in order, with their original ids.
            let mut alive = true;
            for cmid in &pending {
                alive &= ws.try_send(self.frame(cmid)).await;
            }
            let mut next_send = Instant::now();
            let mut told_to_move = false;
            while alive && out.acked.len() < self.total {
                let due = next < self.total && !told_to_move;
                let wait =
                    if due { next_send.saturating_duration_since(Instant::now()) } else { Duration::from_secs(5) };
                match ws.recv_within(wait).await {
                    None if due => {
                        let cmid = format!("{}-{next}", self.tag);
                        next += 1;
                        pending.push(cmid.clone());
                        alive = ws.try_send(self.frame(&cmid)).await;
                        next_send = Instant::now() + self.gap;
                    }
                    None => alive = false,
                    Some(Ok(f)) => match f["type"].as_str() {
                        Some("ack") => {
                            let cmid = f["client_msg_id"].as_str().unwrap().to_owned();
                            let seq = f["seq"].as_u64().unwrap();
                            if let Some(old) = out.acked.insert(cmid.clone(), seq) {
                                assert_eq!(old, seq, "{cmid} acked with two seqs");
                            }
                            pending.retain(|p| *p != cmid);
                        }
                        Some("reconnect") => {
                            out.reconnects += 1;
                            told_to_move = true;
                        }
                        Some("error") if f["code"] == "draining" => out.refused += 1,
                        _ => panic!("{}: unexpected frame {f}", self.tag),
                    },
                    Some(Err(how)) => {
                        out.closes_1012 += usize::from(how == Closed::Code(1012));
                        alive = false;
                    }
                }
            }
            // Moved or dropped: the other instance next.
            at += 1;
        }
        out
    }

    fn frame(&self, cmid: &str) -> Value {
        json!({"type": "send", "id": cmid, "conv": self.conv, "client_msg_id": cmid, "kind": "text", "body": {"text": cmid}})
    }
}

// Several threads: the test blocks one while it waits for a process, and the senders keep going.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_of_two_instances_loses_and_duplicates_no_acked_message() {
    let Some(_) = Backend::cluster("drain::rolling_restart") else { return };
    let mut c = ClusterProcesses::start(BIN, 2, &drain_env()).await;
    let urls = Arc::new(Mutex::new(vec![c.at(0).ws_url(), c.at(1).ws_url()]));
    let peer = c.at(0).api.user("peer", "p1").await;
    const SENDERS: usize = 4;
    const EACH: usize = 160;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut tasks = Vec::new();
    let mut convs = Vec::new();
    for s in 0..SENDERS {
        let name = format!("sender{s}");
        let login = c.at(s % 2).api.user(&name, "d1").await;
        let conv = direct(&login.user_id, &peer.user_id);
        convs.push((login.clone(), conv.clone(), name.clone()));
        let sender = Sender {
            login,
            conv,
            tag: name,
            total: EACH,
            gap: Duration::from_millis(50),
            urls: urls.clone(),
            start_at: s,
        };
        tasks.push(tokio::spawn(sender.run(deadline)));
    }

    // A rolling restart while they send: A drains and comes back, then B.
    for i in 0..2 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let took = terminate_and_expect_clean_exit(&mut c.instances[i]);
        eprintln!("instance {i} drained and exited in {took:?}");
        let log = c.instances[i].log();
        assert!(log.contains("broker connection closed (shutting down)"), "the consumer stopped:\n{log}");
        c.instances[i].restart();
        urls.lock().unwrap()[i] = c.at(i).ws_url();
        let (status, _) = c.at(i).api.call("GET", "/readyz", None, None).await;
        assert_eq!(status, 200, "restarted instance {i} is ready");
    }

    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let mut told = 0;
    for ((login, conv, tag), sent) in convs.iter().zip(&results) {
        eprintln!("{tag}: {} acked, {} reconnect frames, {} refused", sent.acked.len(), sent.reconnects, sent.refused);
        told += sent.reconnects;
        assert!(sent.closes_1012 <= sent.reconnects, "a 1012 close always follows a reconnect frame");
        let history = c.at(1).api.all_messages(login, conv).await;
        let cmids: Vec<String> = history.iter().map(|m| m["client_msg_id"].as_str().unwrap().to_owned()).collect();
        let want: Vec<String> = (0..EACH).map(|i| format!("{tag}-{i}")).collect();
        assert_eq!(cmids, want, "{tag}: every message once, in send order");
        let stored: BTreeMap<String, u64> = history
            .iter()
            .map(|m| (m["client_msg_id"].as_str().unwrap().to_owned(), m["seq"].as_u64().unwrap()))
            .collect();
        assert_eq!(stored, sent.acked, "{tag}: stored exactly what was acked, at the acked seqs");
    }
    // Each drain told the senders connected to it (all of them, over the two restarts).
    assert!(told >= SENDERS, "reconnect frames seen: {told}");
}

fn drain_quickly(s: &mut tidings_tests::Settings) {
    s.drain.timeout = Duration::from_secs(5);
    s.drain.reconnect_hint = Some("http://127.0.0.1:9, http://127.0.0.1:10".into());
}

both_modes!(a_drained_server_acks_what_it_accepted_and_the_rest_lands_elsewhere_once);
async fn a_drained_server_acks_what_it_accepted_and_the_rest_lands_elsewhere_once(backend: Backend) {
    let mut srv = spawn_server_with(backend, drain_quickly).await;
    let peer = srv.peer().await;
    let alice = srv.api.user("alice", "a1").await;
    let bob = srv.api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let mut a_ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    const N: usize = 120;
    for i in 0..N {
        a_ws.send_text(&conv, &format!("m-{i}"), &format!("burst {i}")).await;
    }
    let first = a_ws.expect("ack").await;
    let reader = tokio::spawn(async move { a_ws.frames_until_closed().await });
    srv.drain().await;
    let (mut frames, how) = reader.await.unwrap();
    frames.insert(0, first);
    assert_eq!(how, Closed::Code(1012));
    let r = frames.iter().find(|f| f["type"] == "reconnect").unwrap_or_else(|| panic!("no reconnect: {frames:?}"));
    assert!(["http://127.0.0.1:9", "http://127.0.0.1:10"].contains(&r["url"].as_str().unwrap()), "a hinted url: {r}");
    let acked: BTreeMap<String, u64> = frames
        .iter()
        .filter(|f| f["type"] == "ack")
        .map(|f| (f["client_msg_id"].as_str().unwrap().to_owned(), f["seq"].as_u64().unwrap()))
        .collect();
    let refused = frames.iter().filter(|f| f["type"] == "error" && f["code"] == "draining").count();
    assert_eq!(frames.len(), 1 + acked.len() + refused, "only reconnect, acks and refusals: {frames:?}");

    // The client goes elsewhere (the peer in a cluster, the restarted server otherwise) and
    // resends everything not acked, with the same ids.
    let (srv, api, url) = match &peer {
        Some(p) => (srv, p.api.clone(), p.ws_url()),
        None => {
            let srv = srv.restart().await;
            let (api, url) = (srv.api.clone(), srv.ws_url());
            (srv, api, url)
        }
    };
    let mut ws = WsClient::connect(&url, &alice.access_token).await;
    let unacked: Vec<usize> = (0..N).filter(|i| !acked.contains_key(&format!("m-{i}"))).collect();
    for i in &unacked {
        ws.send_text(&conv, &format!("m-{i}"), &format!("burst {i}")).await;
    }
    for _ in &unacked {
        let (ack, _) = ws.wait_for("ack").await;
        assert_eq!(ack["duplicate"], false, "nothing unacked was stored: {ack}");
    }
    let history = api.all_messages(&alice, &conv).await;
    let cmids: Vec<String> = history.iter().map(|m| m["client_msg_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(cmids, (0..N).map(|i| format!("m-{i}")).collect::<Vec<_>>(), "every message once, in order");
    for m in &history {
        if let Some(seq) = acked.get(m["client_msg_id"].as_str().unwrap()) {
            assert_eq!(m["seq"].as_u64(), Some(*seq), "acked seqs hold");
        }
    }
    drop(srv);
}
