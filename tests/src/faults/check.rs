//! The checks on the stored log, the pushes, unread counts and health; the timing checks are
//! in `timing.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cluster::Topology;
use super::inject::{ReadyProbe, Window};
use super::record::{AckRecord, DeviceLog};
use super::report::CheckResult;
use super::rest::Http;
use super::setup::World;

/// What the checks look at.
pub struct Evidence<'a> {
    /// Users, devices, conversations.
    pub world: &'a World,
    /// Each device's record, by device index.
    pub logs: &'a [DeviceLog],
    /// Fault windows.
    pub windows: &'a [Window],
    /// `/readyz` probes during hangs.
    pub probes: &'a [ReadyProbe],
    /// The devices' ping interval.
    pub heartbeat: Duration,
    /// The run's start (for times in examples).
    pub t0: Instant,
    /// Instance ids.
    pub ids: Vec<String>,
    /// Each conversation's history read after the run (or why it could not be).
    pub history: BTreeMap<String, Result<Vec<Value>, String>>,
}

impl Evidence<'_> {
    /// Every first ack, across devices.
    pub fn acks(&self) -> impl Iterator<Item = &AckRecord> {
        self.logs.iter().flat_map(|l| l.acks.iter())
    }

    /// A short label of conversation `conv` (`u01~u02`, `g3`).
    pub fn label(&self, conv: &str) -> String {
        match self.world.convs.iter().position(|c| c.id == conv) {
            Some(k) if conv.starts_with("g:") => format!("g{k}"),
            Some(k) => self.world.convs[k]
                .members
                .iter()
                .map(|&m| self.world.users[m].name.as_str())
                .collect::<Vec<_>>()
                .join("~"),
            None => conv.to_owned(),
        }
    }

    /// Seconds since the start, for examples.
    pub fn at(&self, t: Instant) -> String {
        format!("t={:.1}s", super::report::secs(self.t0, t))
    }

    /// The id of instance `i`.
    pub fn id(&self, i: usize) -> &str {
        self.ids.get(i).map_or("?", String::as_str)
    }
}

/// Reads every conversation's history from seq 0 (as its first member, from the first instance
/// that answers).
pub async fn read_histories(
    http: &Http,
    topo: &Topology,
    world: &World,
) -> BTreeMap<String, Result<Vec<Value>, String>> {
    let mut out = BTreeMap::new();
    for conv in &world.convs {
        let token = &world.devices[world.users[conv.members[0]].devices[0]].login.access_token;
        let mut result = Err("no instance answered".to_owned());
        for node in topo.nodes() {
            match http.history(node.port, token, &conv.id).await {
                Ok(h) => {
                    result = Ok(h);
                    break;
                }
                Err(e) => result = Err(format!("{e:#}")),
            }
        }
        out.insert(conv.id.clone(), result);
    }
    out
}

/// Every acked message is in the history exactly once at its seq with its client_msg_id and
/// text; no seq twice or out of order; no client_msg_id twice; retries acked with one seq.
pub fn log(ev: &Evidence<'_>) -> CheckResult {
    let mut c = CheckResult::new("log");
    let (mut lost, mut mismatched, mut seq_dupes, mut disorder, mut cmid_dupes, mut conflicts, mut holes) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut by_seq: HashMap<&str, HashMap<u64, &Value>> = HashMap::new();
    let mut stored_cmids: HashSet<(&str, &str)> = HashSet::new();
    let mut stored = 0usize;
    for (conv, h) in &ev.history {
        let h = match h {
            Ok(h) => h,
            Err(e) => {
                c.pass = false;
                c.example(format!("{}: history not readable: {e}", ev.label(conv)));
                continue;
            }
        };
        stored += h.len();
        let map = by_seq.entry(conv.as_str()).or_default();
        let mut cmids: HashSet<(&str, &str)> = HashSet::new();
        let mut prev = 0;
        for m in h {
            let seq = m["seq"].as_u64().unwrap_or(0);
            if map.insert(seq, m).is_some() {
                seq_dupes += 1;
                c.example(format!("{}: seq {seq} appears twice", ev.label(conv)));
            } else if seq <= prev {
                disorder += 1;
                c.example(format!("{}: seq {seq} after {prev}", ev.label(conv)));
            } else {
                holes += seq - prev - 1;
            }
            prev = prev.max(seq);
            if let (Some(sender), Some(cmid)) = (m["sender"].as_str(), m["client_msg_id"].as_str()) {
                stored_cmids.insert((conv.as_str(), cmid));
                if !cmids.insert((sender, cmid)) {
                    cmid_dupes += 1;
                    c.example(format!("{}: client_msg_id {cmid} stored twice (seq {seq})", ev.label(conv)));
                }
            }
        }
    }
    let mut acked_seq: HashMap<&str, (&str, u64)> = HashMap::new();
    for a in ev.acks() {
        acked_seq.insert(a.cmid.as_str(), (a.conv.as_str(), a.seq));
        let Some(m) = by_seq.get(a.conv.as_str()).and_then(|s| s.get(&a.seq)) else {
            if ev.history.get(&a.conv).is_some_and(Result::is_ok) {
                lost += 1;
                c.example(format!(
                    "{} seq {} ({}) acked at {} is not in the history",
                    ev.label(&a.conv),
                    a.seq,
                    a.cmid,
                    ev.at(a.at)
                ));
            }
            continue;
        };
        let same = m["client_msg_id"].as_str() == Some(a.cmid.as_str())
            && m["body"]["text"].as_str() == Some(a.text.as_str())
            && m["msg_id"].as_str() == Some(a.msg_id.as_str());
        if !same {
            mismatched += 1;
            c.example(format!(
                "{} seq {} acked as {} {:?}, stored as {} {}",
                ev.label(&a.conv),
                a.seq,
                a.cmid,
                a.text,
                m["client_msg_id"],
                m["body"]["text"]
            ));
        }
    }
    for x in ev.logs.iter().flat_map(|l| l.extra_acks.iter()) {
        if let Some(&(conv, seq)) = acked_seq.get(x.cmid.as_str())
            && (conv, seq) != (x.conv.as_str(), x.seq)
        {
            conflicts += 1;
            c.example(format!("{} acked with seq {seq}, a retry with seq {} in {}", x.cmid, x.seq, ev.label(&x.conv)));
        }
    }
    let unacked: Vec<&(String, String)> = ev.logs.iter().flat_map(|l| l.unacked.iter()).collect();
    let unacked_stored =
        unacked.iter().filter(|(cmid, conv)| stored_cmids.contains(&(conv.as_str(), cmid.as_str()))).count();
    let acks = acked_seq.len();
    c.pass &= acks > 0 && lost + mismatched + seq_dupes + disorder + cmid_dupes + conflicts == 0;
    c.summary = format!(
        "{acks} acked messages checked against {stored} stored; {lost} lost, {} duplicated",
        seq_dupes + cmid_dupes + conflicts
    );
    for (k, v) in [
        ("acked", acks as u64),
        ("stored", stored as u64),
        ("lost", lost),
        ("mismatched", mismatched),
        ("seq_twice", seq_dupes),
        ("out_of_order", disorder),
        ("client_msg_id_twice", cmid_dupes),
        ("retry_acked_with_other_seq", conflicts),
        ("holes", holes),
        ("unacked_at_end", unacked.len() as u64),
        ("unacked_but_stored", unacked_stored as u64),
    ] {
        c.figure(k, v);
    }
    c
}

/// No (conv, seq) pushed twice on one connection (fails); pushes below a seq already pushed in
/// the same conversation on the same connection (counted only).
pub fn pushes(ev: &Evidence<'_>) -> CheckResult {
    let mut c = CheckResult::new("pushes");
    let (mut total, mut twice, mut out_of_order) = (0u64, 0u64, 0u64);
    for log in ev.logs {
        let mut seen: HashSet<(u64, &str, u64)> = HashSet::new();
        let mut highest: HashMap<(u64, &str), u64> = HashMap::new();
        for p in &log.pushes {
            total += 1;
            if !seen.insert((p.conn, p.conv.as_str(), p.seq)) {
                twice += 1;
                c.example(format!(
                    "{} seq {} pushed twice to {} on connection {} ({})",
                    ev.label(&p.conv),
                    p.seq,
                    ev.world.devices[log.device].name,
                    p.conn,
                    ev.at(p.at)
                ));
            }
            let top = highest.entry((p.conn, p.conv.as_str())).or_default();
            if p.seq < *top {
                out_of_order += 1;
            }
            *top = (*top).max(p.seq);
        }
    }
    c.pass = total > 0 && twice == 0;
    c.summary =
        format!("{total} pushes, {twice} duplicated on a connection, {out_of_order} out of seq order (reported only)");
    c.figure("pushes", total);
    c.figure("pushed_twice_on_a_connection", twice);
    c.figure("out_of_order", out_of_order);
    c
}

/// With no reads made, each row's `unread` equals the history's messages past `read_seq` not
/// sent by the user, recall notices and recalled messages excepted (protocol.md).
pub async fn unread(ev: &Evidence<'_>, http: &Http, topo: &Topology) -> CheckResult {
    let mut c = CheckResult::new("unread");
    let (mut rows, mut wrong, mut moved) = (0u64, 0u64, 0u64);
    for user in &ev.world.users {
        let token = &ev.world.devices[user.devices[0]].login.access_token;
        let mut list = None;
        for node in topo.nodes() {
            if let Ok((200, body)) =
                http.get(node.port, "/api/v1/conversations?limit=200", Some(token), Duration::from_secs(10)).await
            {
                list = body["conversations"].as_array().cloned();
                break;
            }
        }
        let Some(list) = list else {
            c.pass = false;
            c.example(format!("{}: conversation list not readable", user.name));
            continue;
        };
        for conv in ev.world.convs.iter().filter(|cv| cv.members.iter().any(|&m| ev.world.users[m].id == user.id)) {
            let Some(Ok(history)) = ev.history.get(&conv.id) else { continue };
            let row = list.iter().find(|r| r["conv"].as_str() == Some(conv.id.as_str()));
            let read_seq = row.and_then(|r| r["read_seq"].as_u64()).unwrap_or(0);
            let expected = history
                .iter()
                .filter(|m| m["seq"].as_u64().unwrap_or(0) > read_seq)
                .filter(|m| m["sender"].as_str() != Some(user.id.as_str()))
                .filter(|m| !matches!(m["kind"].as_str(), Some("recall" | "recalled")))
                .count() as u64;
            let got = row.and_then(|r| r["unread"].as_u64());
            rows += 1;
            moved += u64::from(read_seq > 0);
            if got != Some(expected) {
                wrong += 1;
                c.example(format!(
                    "{} in {}: unread {got:?}, history says {expected} (read_seq {read_seq})",
                    user.name,
                    ev.label(&conv.id)
                ));
            }
        }
    }
    c.pass &= rows > 0 && wrong == 0;
    c.summary = format!("{rows} conversation rows, {wrong} with a wrong unread count");
    c.figure("rows", rows);
    c.figure("wrong", wrong);
    c.figure("rows_with_read_seq_above_0", moved);
    c
}

/// Every instance answers `/healthz` with 200 after the run (`/readyz` is reported too).
pub async fn health(ev: &Evidence<'_>, http: &Http, topo: &Topology) -> CheckResult {
    let mut c = CheckResult::new("health");
    let (mut healthy, mut ready) = (0u64, 0u64);
    for node in topo.nodes() {
        match http.get(node.port, "/healthz", None, Duration::from_secs(2)).await {
            Ok((200, _)) => healthy += 1,
            other => c.example(format!(
                "{} /healthz: {}",
                node.id,
                other.map_or_else(|e| format!("{e:#}"), |(s, b)| format!("{s} {b}"))
            )),
        }
        match http.get(node.port, "/readyz", None, Duration::from_secs(2)).await {
            Ok((200, _)) => ready += 1,
            other => c.example(format!(
                "{} /readyz (reported only): {}",
                node.id,
                other.map_or_else(|e| format!("{e:#}"), |(s, b)| format!("{s} {b}"))
            )),
        }
    }
    let n = ev.ids.len() as u64;
    c.pass = healthy == n && n > 0;
    c.summary = format!("{healthy}/{n} instances answer /healthz, {ready}/{n} /readyz");
    c.figure("healthz_ok", healthy);
    c.figure("readyz_ok", ready);
    c
}
