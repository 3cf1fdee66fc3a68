//! The checks on made-up evidence: each one passes on a clean record and fails on the defect it
//! is there to catch.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::check::{self, Evidence};
use super::inject::{ReadyProbe, Window};
use super::record::{AckRecord, Attempt, ConnRecord, DeviceLog, ExtraAck, Received};
use super::schedule::FaultKind;
use super::setup::{ConvSpec, DeviceSpec, UserSpec, World};
use super::timing;
use crate::client::Login;

const CONV: &str = "d:u_a:u_b";

fn world() -> World {
    let login = |u: &str, d: &str| Login {
        user_id: u.to_owned(),
        device_id: d.to_owned(),
        access_token: String::new(),
        refresh_token: String::new(),
    };
    let device = |idx, user, name: &str, uid: &str| DeviceSpec {
        idx,
        user,
        name: name.to_owned(),
        login: login(uid, name),
        convs: vec![CONV.to_owned()],
        home: idx % 2,
    };
    World {
        users: vec![
            UserSpec { name: "a".into(), id: "u_a".into(), devices: vec![0] },
            UserSpec { name: "b".into(), id: "u_b".into(), devices: vec![1, 2] },
        ],
        devices: vec![device(0, 0, "a/d0", "u_a"), device(1, 1, "b/d0", "u_b"), device(2, 1, "b/d1", "u_b")],
        convs: vec![ConvSpec { id: CONV.to_owned(), members: vec![0, 1] }],
    }
}

/// Device 0 sends seq 1 (acked at t0+10s); devices 1 and 2 are connected throughout and get
/// the push 50 ms later.
fn logs(t0: Instant) -> Vec<DeviceLog> {
    let at = t0 + Duration::from_secs(10);
    let conn = |id, instance| ConnRecord { id, instance, opened: t0, closed: None, why: String::new() };
    let push = |conn| Received {
        conv: CONV.to_owned(),
        seq: 1,
        cmid: Some("c1".into()),
        at: at + Duration::from_millis(50),
        conn,
    };
    let ack = AckRecord {
        conv: CONV.to_owned(),
        seq: 1,
        msg_id: "m1".into(),
        cmid: "c1".into(),
        text: "hello".into(),
        at,
        first_sent: at - Duration::from_millis(5),
        attempts: 1,
        instance: 0,
        device: 0,
    };
    let attempt = Attempt {
        cmid: "c1".into(),
        instance: 0,
        conn: 1,
        sent: at - Duration::from_millis(5),
        answer: Some((at, "ack".into())),
        gave_up: None,
    };
    let base =
        |device, c: u64| DeviceLog { device, conns: vec![conn(c, device % 2)], final_done: true, ..Default::default() };
    vec![
        DeviceLog { acks: vec![ack], attempts: vec![attempt], ..base(0, 1) },
        DeviceLog { pushes: vec![push(2)], ..base(1, 2) },
        DeviceLog { pushes: vec![push(3)], ..base(2, 3) },
    ]
}

fn stored(seq: u64, cmid: &str, text: &str) -> Value {
    json!({"conv": CONV, "seq": seq, "msg_id": format!("m{seq}"), "sender": "u_a", "client_msg_id": cmid,
           "kind": "text", "body": {"text": text}})
}

fn evidence<'a>(
    w: &'a World,
    logs: &'a [DeviceLog],
    windows: &'a [Window],
    probes: &'a [ReadyProbe],
    history: Vec<Value>,
    t0: Instant,
) -> Evidence<'a> {
    let history: BTreeMap<String, Result<Vec<Value>, String>> = [(CONV.to_owned(), Ok(history))].into();
    let ids = vec!["i1".to_owned(), "i2".to_owned()];
    Evidence { world: w, logs, windows, probes, heartbeat: Duration::from_secs(2), t0, ids, history }
}

#[test]
fn a_clean_record_passes_every_check() {
    let (t0, w) = (Instant::now(), world());
    let logs = logs(t0);
    let ev = evidence(&w, &logs, &[], &[], vec![stored(1, "c1", "hello")], t0);
    for c in [check::log(&ev), check::pushes(&ev), timing::delivery(&ev).0, timing::complete(&ev)] {
        assert!(c.pass, "{}: {} {:?}", c.name, c.summary, c.examples);
    }
}

#[test]
fn the_log_check_fails_on_loss_duplication_and_mismatch() {
    let (t0, w) = (Instant::now(), world());
    let mut logs = logs(t0);
    assert!(!check::log(&evidence(&w, &logs, &[], &[], vec![], t0)).pass, "lost");
    let twice = vec![stored(1, "c1", "hello"), stored(1, "c1", "hello")];
    assert!(!check::log(&evidence(&w, &logs, &[], &[], twice, t0)).pass, "seq twice");
    let cmid_twice = vec![stored(1, "c1", "hello"), stored(2, "c1", "hello")];
    assert!(!check::log(&evidence(&w, &logs, &[], &[], cmid_twice, t0)).pass, "client_msg_id twice");
    assert!(!check::log(&evidence(&w, &logs, &[], &[], vec![stored(1, "c1", "other")], t0)).pass, "text");
    logs[0].extra_acks.push(ExtraAck { conv: CONV.to_owned(), seq: 2, cmid: "c1".into() });
    assert!(!check::log(&evidence(&w, &logs, &[], &[], vec![stored(1, "c1", "hello")], t0)).pass, "retry, other seq");
}

#[test]
fn a_push_twice_on_one_connection_fails() {
    let (t0, w) = (Instant::now(), world());
    let mut logs = logs(t0);
    let again = logs[1].pushes[0].clone();
    logs[1].pushes.push(again);
    assert!(!check::pushes(&evidence(&w, &logs, &[], &[], vec![], t0)).pass);
}

#[test]
fn a_late_push_fails_outside_windows_and_a_late_catch_up_after_a_fault() {
    let (t0, w) = (Instant::now(), world());
    let mut logs = logs(t0);
    logs[2].pushes[0].at = t0 + Duration::from_millis(12_500);
    let ev = evidence(&w, &logs, &[], &[], vec![], t0);
    let (steady, after) = timing::delivery(&ev);
    assert!(!steady.pass && after.pass, "{:?}", steady.examples);

    // In a window healed at t0+11s: held by t0+12.5s is within heartbeat + 2 s; by 15.5s is not.
    let window = Window {
        kind: FaultKind::AmqpCut,
        instance: Some(0),
        start: t0 + Duration::from_secs(5),
        heal: t0 + Duration::from_secs(11),
        note: String::new(),
        error: None,
    };
    let windows = [window];
    let (steady, after) = timing::delivery(&evidence(&w, &logs, &windows, &[], vec![], t0));
    assert!(after.pass && steady.figures["pairs"] == 0, "{:?}", after.examples);
    logs[2].pushes.clear();
    let late = Received { at: t0 + Duration::from_millis(15_500), ..logs[1].pushes[0].clone() };
    logs[2].caught.push(late);
    let (_, after) = timing::delivery(&evidence(&w, &logs, &windows, &[], vec![], t0));
    assert!(!after.pass);
    logs[2].caught.clear();
    assert!(!timing::complete(&evidence(&w, &logs, &windows, &[], vec![], t0)).pass, "never reached b/d1");
}

#[test]
fn readiness_and_send_latency_fail_past_their_targets() {
    let (t0, w) = (Instant::now(), world());
    let mut logs = logs(t0);
    let window = Window {
        kind: FaultKind::RedisHang,
        instance: Some(0),
        start: t0 + Duration::from_secs(9),
        heal: t0 + Duration::from_secs(11),
        note: String::new(),
        error: None,
    };
    let windows = [window];
    let probe = |first: Option<u64>| ReadyProbe {
        window: 0,
        instance: 0,
        polls: 10,
        timeouts: 0,
        first_not_ready: first.map(|ms| (Duration::from_millis(ms), 503)),
        ready_again: None,
    };
    assert!(timing::readiness(&evidence(&w, &logs, &windows, &[probe(Some(300))], vec![], t0)).pass);
    assert!(!timing::readiness(&evidence(&w, &logs, &windows, &[probe(Some(5_200))], vec![], t0)).pass);
    assert!(!timing::readiness(&evidence(&w, &logs, &windows, &[probe(None)], vec![], t0)).pass);

    assert!(timing::send_latency(&evidence(&w, &logs, &windows, &[], vec![], t0)).pass);
    let a = &mut logs[0].attempts[0];
    a.answer = Some((a.sent + Duration::from_millis(700), "busy".into()));
    assert!(!timing::send_latency(&evidence(&w, &logs, &windows, &[], vec![], t0)).pass, "slow");
    logs[0].attempts[0].answer = None;
    assert!(!timing::send_latency(&evidence(&w, &logs, &windows, &[], vec![], t0)).pass, "unanswered");
}
