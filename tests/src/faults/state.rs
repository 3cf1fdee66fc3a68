//! A device's client logic apart from its socket: what to send when a frame comes in, a timer
//! ticks or a connection opens or ends, and the record of all of it.
//!
//! Sends: each message is sent until acked, with the same client_msg_id every time; a new
//! attempt follows no answer within [`ACK_TIMEOUT`], any error frame (after a short wait, or
//! `retry_after_ms`), or a dropped connection (on the next one). Catch-up: on every connect and
//! whenever a pong's `changes` differs from the previous pong's on the same connection, one
//! `sync` round per conversation from its cursor, following `has_more`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::cursor::ConvCursor;
use super::record::{AckRecord, Attempt, ConnRecord, DeviceLog, ExtraAck, Outgoing, Received};

/// An attempt not answered within this is given up and sent again.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(3);
/// Wait before resending after an error frame (unless it says `retry_after_ms`).
const RESEND_AFTER_ERROR: Duration = Duration::from_millis(250);
/// Wait before retrying a catch-up whose `sync` failed.
const SYNC_RETRY: Duration = Duration::from_secs(1);
/// Page size of catch-up syncs.
const SYNC_LIMIT: u64 = 200;

struct Pending {
    out: Outgoing,
    first_sent: Option<Instant>,
    attempts: u32,
    /// Request id and attempt index of the attempt in flight.
    current: Option<(String, usize)>,
    resend_at: Instant,
}

enum Req {
    Send(usize),
    Sync(String),
}

#[derive(Default)]
struct SyncState {
    inflight: bool,
    again: bool,
    retry_at: Option<Instant>,
    round_started: Option<Instant>,
}

struct Live {
    id: u64,
    instance: usize,
    last_frame: Instant,
    last_ping: Instant,
    last_changes: Option<u64>,
    reconnect_at: Option<Instant>,
    draining: bool,
}

/// One device's state across its connections.
pub struct DeviceState {
    convs: Vec<String>,
    hb: Duration,
    live: Option<Live>,
    next_req: u64,
    pending: BTreeMap<String, Pending>,
    reqs: HashMap<String, Req>,
    cursors: HashMap<String, ConvCursor>,
    syncs: HashMap<String, SyncState>,
    final_since: Option<Instant>,
    final_left: BTreeSet<String>,
    log: DeviceLog,
}

impl DeviceState {
    /// Device `device`, member of `convs`, pinging every `hb`.
    pub fn new(device: usize, convs: Vec<String>, hb: Duration) -> Self {
        Self {
            convs,
            hb,
            live: None,
            next_req: 0,
            pending: BTreeMap::new(),
            reqs: HashMap::new(),
            cursors: HashMap::new(),
            syncs: HashMap::new(),
            final_since: None,
            final_left: BTreeSet::new(),
            log: DeviceLog { device, ..DeviceLog::default() },
        }
    }

    /// The instance of the open connection, if any.
    pub fn instance(&self) -> Option<usize> {
        self.live.as_ref().map(|l| l.instance)
    }

    /// A new message to send.
    pub fn add_job(&mut self, out: Outgoing, now: Instant, frames: &mut Vec<String>) {
        let p = Pending { out, first_sent: None, attempts: 0, current: None, resend_at: now };
        self.pending.insert(p.out.cmid.clone(), p);
        self.pump_sends(now, frames);
    }

    /// A connection opened: catch up every conversation and resend what is unacked.
    pub fn on_open(&mut self, conn: u64, instance: usize, now: Instant, frames: &mut Vec<String>) {
        self.live = Some(Live {
            id: conn,
            instance,
            last_frame: now,
            last_ping: now,
            last_changes: None,
            reconnect_at: None,
            draining: false,
        });
        self.log.conns.push(ConnRecord { id: conn, instance, opened: now, closed: None, why: String::new() });
        self.catch_up_all(now, false, frames);
        self.pump_sends(now, frames);
    }

    /// The connection ended: attempts in flight are dropped and will be resent.
    pub fn on_close(&mut self, now: Instant, why: &str) {
        if self.live.take().is_some()
            && let Some(c) = self.log.conns.last_mut()
        {
            c.closed = Some(now);
            why.clone_into(&mut c.why);
        }
        for p in self.pending.values_mut() {
            if let Some((_, ai)) = p.current.take() {
                let a = &mut self.log.attempts[ai];
                if a.answer.is_none() && a.gave_up.is_none() {
                    a.gave_up = Some("dropped");
                }
                p.resend_at = now;
            }
        }
        self.reqs.clear();
        for s in self.syncs.values_mut() {
            *s = SyncState::default();
        }
    }

    /// A non-text frame (ping, pong, binary): proof of life only.
    pub fn on_life(&mut self, now: Instant) {
        if let Some(l) = &mut self.live {
            l.last_frame = now;
        }
    }

    /// A text frame from the server.
    pub fn on_frame(&mut self, frame: &Value, now: Instant, frames: &mut Vec<String>) {
        let Some(conn) = self.live.as_mut().map(|l| {
            l.last_frame = now;
            l.id
        }) else {
            return;
        };
        match frame["type"].as_str().unwrap_or_default() {
            "ack" => self.on_ack(frame, now),
            "error" => self.on_error(frame, now),
            "msg" => {
                let m = &frame["message"];
                let (conv, seq) = (m["conv"].as_str().unwrap_or_default().to_owned(), m["seq"].as_u64().unwrap_or(0));
                self.cursors.entry(conv.clone()).or_default().add(seq, now);
                let cmid = m["client_msg_id"].as_str().map(str::to_owned);
                self.log.pushes.push(Received { conv, seq, cmid, at: now, conn });
            }
            "sync_result" => self.on_sync_result(frame, conn, now, frames),
            "pong" => self.on_pong(frame, now, frames),
            "reconnect" => {
                let after = frame["after_ms"].as_u64().unwrap_or(0).min(5_000);
                if let Some(l) = &mut self.live {
                    l.reconnect_at = Some(now + Duration::from_millis(after));
                    l.draining = true;
                }
            }
            "kicked" => *self.log.errors.entry("kicked".to_owned()).or_default() += 1,
            _ => {}
        }
    }

    fn on_ack(&mut self, frame: &Value, now: Instant) {
        let attempt = match frame["id"].as_str().and_then(|id| self.reqs.remove(id)) {
            Some(Req::Send(ai)) => Some(ai),
            _ => None,
        };
        if let Some(ai) = attempt
            && self.log.attempts[ai].answer.is_none()
        {
            self.log.attempts[ai].answer = Some((now, "ack".to_owned()));
        }
        let cmid = frame["client_msg_id"].as_str().unwrap_or_default();
        let seq = frame["seq"].as_u64().unwrap_or(0);
        if let Some(p) = self.pending.remove(cmid) {
            let instance = attempt.map(|ai| self.log.attempts[ai].instance).or(self.instance()).unwrap_or(0);
            self.cursors.entry(p.out.conv.clone()).or_default().add(seq, now);
            self.log.acks.push(AckRecord {
                conv: p.out.conv,
                seq,
                msg_id: frame["msg_id"].as_str().unwrap_or_default().to_owned(),
                cmid: p.out.cmid,
                text: p.out.text,
                at: now,
                first_sent: p.first_sent.unwrap_or(now),
                attempts: p.attempts,
                instance,
                device: self.log.device,
            });
        } else {
            let conv = frame["conv"].as_str().unwrap_or_default().to_owned();
            self.log.extra_acks.push(ExtraAck { conv, seq, cmid: cmid.to_owned() });
        }
    }

    fn on_error(&mut self, frame: &Value, now: Instant) {
        let code = frame["code"].as_str().unwrap_or("?").to_owned();
        *self.log.errors.entry(code.clone()).or_default() += 1;
        match frame["id"].as_str().and_then(|id| self.reqs.remove(id).map(|r| (id, r))) {
            Some((id, Req::Send(ai))) => {
                let a = &mut self.log.attempts[ai];
                if a.answer.is_none() {
                    a.answer = Some((now, code.clone()));
                }
                let wait = match (code.as_str(), frame["retry_after_ms"].as_u64()) {
                    ("rate_limited", Some(ms)) => Duration::from_millis(ms.min(2_000)),
                    _ => RESEND_AFTER_ERROR,
                };
                if let Some(p) = self.pending.get_mut(&a.cmid)
                    && p.current.as_ref().is_some_and(|(req, _)| req == id)
                {
                    p.current = None;
                    p.resend_at = now + wait;
                }
            }
            Some((_, Req::Sync(conv))) => {
                let s = self.syncs.entry(conv).or_default();
                *s = SyncState { retry_at: Some(now + SYNC_RETRY), ..SyncState::default() };
            }
            None => {}
        }
    }

    fn on_sync_result(&mut self, frame: &Value, conn: u64, now: Instant, frames: &mut Vec<String>) {
        let Some(Req::Sync(conv)) = frame["id"].as_str().and_then(|id| self.reqs.remove(id)) else { return };
        let page = frame["messages"].as_array().cloned().unwrap_or_default();
        let cursor = self.cursors.entry(conv.clone()).or_default();
        let mut last = None;
        for m in &page {
            let seq = m["seq"].as_u64().unwrap_or(0);
            cursor.add(seq, now);
            last = Some(seq);
            let cmid = m["client_msg_id"].as_str().map(str::to_owned);
            self.log.caught.push(Received { conv: conv.clone(), seq, cmid, at: now, conn });
        }
        if let (Some(after), Some(true)) = (last, frame["has_more"].as_bool()) {
            self.send_sync(&conv, after, frames);
            return;
        }
        let s = self.syncs.entry(conv.clone()).or_default();
        s.inflight = false;
        if self.final_since.is_some_and(|f| s.round_started.is_some_and(|r| r >= f)) {
            self.final_left.remove(&conv);
        }
        if std::mem::take(&mut s.again) {
            self.catch_up(&conv, now, false, frames);
        }
    }

    fn on_pong(&mut self, frame: &Value, now: Instant, frames: &mut Vec<String>) {
        self.log.pongs.0 += 1;
        let Some(changes) = frame["changes"].as_u64() else { return };
        self.log.pongs.1 += 1;
        let Some(l) = &mut self.live else { return };
        let before = l.last_changes.replace(changes);
        if before.is_some_and(|b| b != changes) {
            self.catch_up_all(now, true, frames);
        }
    }

    /// The periodic timer: pings, dead-link and reconnect decisions, ack timeouts, resends and
    /// catch-up retries. `Some(reason)` means: close this connection.
    pub fn on_tick(&mut self, now: Instant, frames: &mut Vec<String>) -> Option<&'static str> {
        let l = self.live.as_mut()?;
        if now.duration_since(l.last_frame) >= self.hb * 3 {
            return Some("dead link (no frame for 3 heartbeats)");
        }
        if l.reconnect_at.is_some_and(|t| now >= t) {
            return Some("told to reconnect");
        }
        if now.duration_since(l.last_ping) >= self.hb {
            l.last_ping = now;
            frames.push(json!({"type": "ping"}).to_string());
        }
        for p in self.pending.values_mut() {
            if let Some((_, ai)) = &p.current {
                let a = &mut self.log.attempts[*ai];
                if a.answer.is_none() && now.duration_since(a.sent) >= ACK_TIMEOUT {
                    a.gave_up = Some("timeout");
                    p.current = None;
                    p.resend_at = now;
                }
            }
        }
        let due: Vec<String> =
            self.syncs.iter().filter(|(_, s)| s.retry_at.is_some_and(|t| now >= t)).map(|(c, _)| c.clone()).collect();
        for conv in due {
            self.catch_up(&conv, now, false, frames);
        }
        self.pump_sends(now, frames);
        None
    }

    /// The run is ending: one more catch-up round of every conversation.
    pub fn start_final(&mut self, now: Instant, frames: &mut Vec<String>) {
        self.final_since = Some(now);
        self.final_left = self.convs.iter().cloned().collect();
        self.catch_up_all(now, false, frames);
    }

    /// True once, when the final catch-up has completed for every conversation.
    pub fn take_final_done(&mut self) -> bool {
        if self.final_since.is_some() && self.final_left.is_empty() && !self.log.final_done {
            self.log.final_done = true;
            return true;
        }
        false
    }

    /// The record, with what is still unacked.
    pub fn finish(mut self) -> DeviceLog {
        self.log.unacked = self.pending.into_values().map(|p| (p.out.cmid, p.out.conv)).collect();
        self.log.highest = self.cursors.iter().map(|(c, k)| (c.clone(), k.highest())).collect();
        self.log
    }

    fn catch_up_all(&mut self, now: Instant, by_changes: bool, frames: &mut Vec<String>) {
        for conv in self.convs.clone() {
            self.catch_up(&conv, now, by_changes, frames);
        }
    }

    fn catch_up(&mut self, conv: &str, now: Instant, by_changes: bool, frames: &mut Vec<String>) {
        if self.live.is_none() {
            return;
        }
        let s = self.syncs.entry(conv.to_owned()).or_default();
        if s.inflight {
            s.again = true;
            return;
        }
        *s = SyncState { inflight: true, again: false, retry_at: None, round_started: Some(now) };
        self.log.catchups.0 += 1;
        self.log.catchups.1 += u64::from(by_changes);
        let after = self.cursors.entry(conv.to_owned()).or_default().cursor(now);
        self.send_sync(conv, after, frames);
    }

    fn send_sync(&mut self, conv: &str, after: u64, frames: &mut Vec<String>) {
        self.next_req += 1;
        let id = format!("y{}", self.next_req);
        frames
            .push(json!({"type": "sync", "id": id, "conv": conv, "after_seq": after, "limit": SYNC_LIMIT}).to_string());
        self.reqs.insert(id, Req::Sync(conv.to_owned()));
    }

    /// Sends every message that is due (not in flight, past its resend time), unless the
    /// connection is draining or gone.
    fn pump_sends(&mut self, now: Instant, frames: &mut Vec<String>) {
        let Some(l) = self.live.as_ref().filter(|l| !l.draining) else { return };
        let (conn, instance) = (l.id, l.instance);
        for p in self.pending.values_mut() {
            if p.current.is_some() || p.resend_at > now {
                continue;
            }
            self.next_req += 1;
            let id = format!("s{}", self.next_req);
            let ai = self.log.attempts.len();
            self.log.attempts.push(Attempt {
                cmid: p.out.cmid.clone(),
                instance,
                conn,
                sent: now,
                answer: None,
                gave_up: None,
            });
            frames.push(
                json!({"type": "send", "id": id, "conv": p.out.conv, "client_msg_id": p.out.cmid,
                       "kind": "text", "body": {"text": p.out.text}})
                .to_string(),
            );
            self.reqs.insert(id.clone(), Req::Send(ai));
            p.current = Some((id, ai));
            p.attempts += 1;
            p.first_sent.get_or_insert(now);
        }
    }
}
