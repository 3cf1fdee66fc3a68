//! W1's deliveries: while the connections are held, messages to randomly chosen connected users
//! at a fixed total rate. A few of the held connections send (round robin); each message goes to
//! one held connection of another user, picked at random, and counts as delivered when that
//! connection receives it. Latency runs from the message's scheduled time (its stamp, so a late
//! sender counts its lag) to the receipt, on the one clock of this machine.
//!
//! Every held connection runs [`hold`]: it reads every frame (which answers the server's pings),
//! hands text frames to the [`Tracker`], and the senders' also write what [`schedule`] gives them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{self, Ws};
use crate::stats::{self, Latency};

/// What to send while holding.
#[derive(Debug, Clone)]
pub struct DeliveryParams {
    /// Messages per second over all senders.
    pub per_s: f64,
    /// How many of the held connections send (the first ones, spread over the servers like the
    /// rest).
    pub senders: usize,
    /// Sending stops this long before the hold ends, so the last messages can arrive.
    pub grace: Duration,
    /// Writes every delivery's latency (µs, one a line) here, for a script that merges several
    /// generators' percentiles exactly.
    pub latencies_file: Option<PathBuf>,
}

/// What the deliveries measured.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryReport {
    /// Messages per second asked for, over all senders.
    pub per_s: f64,
    /// Connections that sent.
    pub senders: usize,
    /// How long messages were sent for (the hold less the grace period).
    pub send_window_s: f64,
    /// Messages sent.
    pub sent: u64,
    /// Acknowledged (persisted).
    pub acked: u64,
    /// Answered with an `error` frame.
    pub refused: u64,
    /// Received by their target connection.
    pub delivered: u64,
    /// Acked but not received by the end of the grace period.
    pub lost: u64,
    /// Sent but neither acked nor refused by the end.
    pub unanswered: u64,
    /// Received again by their target connection.
    pub duplicated: u64,
    /// Pushes to the other connections of a message's target user or sender (with several
    /// devices per user): real deliveries, in none of the figures above.
    pub other_device_pushes: u64,
    /// Where in the send window the lost ones were sent: (second, count), seconds with a loss
    /// only (a burst at one moment, or a trickle throughout).
    pub lost_by_second: Vec<(u64, u64)>,
    /// Scheduled time to receipt by the target connection.
    pub latency: Latency,
    /// `delivered / send_window_s`.
    pub delivered_per_s: f64,
}

const SENT: u8 = 1;
const ACKED: u8 = 2;
const REFUSED: u8 = 4;
const RECEIVED: u8 = 8;

/// Where every message of the run stands; shared by all holders (at most a few thousand
/// frames a second pass here, so one lock does).
pub struct Tracker {
    state: Mutex<State>,
}

struct State {
    /// `SENT | ACKED | …` of message `k`.
    flags: Vec<u8>,
    latency: Histogram<u64>,
    /// Every delivery's latency in µs, for [`DeliveryParams::latencies_file`].
    raw: Vec<u64>,
    duplicated: u64,
    other: u64,
}

impl Tracker {
    /// A tracker for at most `messages` messages.
    pub fn new(messages: usize) -> Self {
        let state = State {
            flags: vec![0; messages],
            latency: stats::histogram(),
            raw: Vec::with_capacity(messages),
            duplicated: 0,
            other: 0,
        };
        Self { state: Mutex::new(state) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn mark(&self, k: u64, flag: u8) {
        let mut s = self.state();
        if let Some(f) = usize::try_from(k).ok().and_then(|k| s.flags.get_mut(k)) {
            *f |= flag;
        }
    }

    /// A text frame that held connection `me` received: a push, an ack, a refusal, or other.
    pub fn on_text(&self, me: u32, text: &str) {
        let Ok(frame) = serde_json::from_str::<Value>(text) else { return };
        let id = || frame["id"].as_str().and_then(|id| id.parse::<u64>().ok());
        match frame["type"].as_str() {
            Some("msg") => {
                let body = &frame["message"]["body"];
                let (Some(k), Some(to), Some(stamp)) = (body["k"].as_u64(), body["to"].as_u64(), body["t"].as_u64())
                else {
                    return;
                };
                let took = stats::now_us().saturating_sub(stamp).max(1);
                let mut guard = self.state();
                let s = &mut *guard;
                if to != u64::from(me) {
                    s.other += 1;
                    return;
                }
                let Some(flags) = usize::try_from(k).ok().and_then(|k| s.flags.get_mut(k)) else { return };
                if *flags & RECEIVED != 0 {
                    s.duplicated += 1;
                } else {
                    *flags |= RECEIVED;
                    let _ = s.latency.record(took);
                    s.raw.push(took);
                }
            }
            Some("ack") => id().into_iter().for_each(|k| self.mark(k, ACKED)),
            Some("error") => id().into_iter().for_each(|k| self.mark(k, REFUSED)),
            _ => {}
        }
    }

    /// The figures so far, for deliveries sent at `p.per_s` for `window`.
    pub fn report(&self, p: &DeliveryParams, senders: usize, window: Duration) -> DeliveryReport {
        let s = self.state();
        let count = |want: u8, not: u8| s.flags.iter().filter(|f| **f & want == want && **f & not == 0).count() as u64;
        let delivered = count(SENT | RECEIVED, 0);
        let mut lost_by_second: Vec<(u64, u64)> = Vec::new();
        for (k, _) in s.flags.iter().enumerate().filter(|(_, f)| **f & (SENT | ACKED | RECEIVED) == SENT | ACKED) {
            let second = (k as f64 / p.per_s) as u64;
            match lost_by_second.last_mut() {
                Some((at, n)) if *at == second => *n += 1,
                _ => lost_by_second.push((second, 1)),
            }
        }
        DeliveryReport {
            per_s: p.per_s,
            senders,
            send_window_s: window.as_secs_f64(),
            sent: count(SENT, 0),
            acked: count(SENT | ACKED, 0),
            refused: count(SENT | REFUSED, 0),
            delivered,
            lost: count(SENT | ACKED, RECEIVED),
            unanswered: count(SENT, ACKED | REFUSED),
            duplicated: s.duplicated,
            other_device_pushes: s.other,
            lost_by_second,
            latency: Latency::of(&s.latency),
            delivered_per_s: delivered as f64 / window.as_secs_f64().max(1e-9),
        }
    }

    /// Every delivery's latency in µs, one a line.
    pub fn write_latencies(&self, path: &std::path::Path) -> std::io::Result<()> {
        let lines: String = self.state().raw.iter().map(|us| format!("{us}\n")).collect();
        std::fs::write(path, lines)
    }
}

/// Holds one connection: reads every frame (so the server's pings are answered), hands text
/// frames to `tracker`, and writes what the scheduler puts in `outbox` (a sender's). Returns
/// only when the connection closes or fails; the run aborts the holders at the end of the hold,
/// so a finished holder is a connection lost. The idle ones, nearly all, are the smallest
/// future that reads (the load generator holds tens of thousands).
pub(super) async fn hold(
    mut ws: Ws,
    me: u32,
    tracker: Option<Arc<Tracker>>,
    outbox: Option<mpsc::UnboundedReceiver<String>>,
) {
    let Some(mut outbox) = outbox else {
        while let Some(Ok(frame)) = ws.next().await {
            if let (Message::Text(text), Some(t)) = (frame, &tracker) {
                t.on_text(me, text.as_str());
            }
        }
        return;
    };
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if let Some(t) = &tracker {
                        t.on_text(me, text.as_str());
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
            Some(frame) = outbox.recv() => {
                if ws.send(Message::text(frame)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Who sends, who can receive, and when.
pub(super) struct Schedule {
    /// The first message's slot.
    pub start: Instant,
    /// `start` on the wall clock, in µs (what stamps are).
    pub wall_us: u64,
    /// No message is scheduled at or after this.
    pub end: Instant,
    /// Held connections that can be targets (their indices).
    pub targets: Vec<u32>,
    /// The user of connection `i`.
    pub users: Vec<String>,
    /// Sending connections: index, and the outbox its holder writes from.
    pub senders: Vec<(u32, mpsc::UnboundedSender<String>)>,
    /// Seeds the target draws (so generators of one run pick differently).
    pub seed: u64,
}

/// Sends message `k` at `start + k / per_s` until `end`, from sender `k % senders` to a random
/// target connection of another user (a few draws; a message whose draws all hit the sender's
/// own user is skipped).
pub(super) async fn schedule(p: DeliveryParams, s: Schedule, tracker: Arc<Tracker>) {
    if s.senders.is_empty() || s.targets.is_empty() || p.per_s <= 0.0 {
        return;
    }
    let period = Duration::from_secs_f64(1.0 / p.per_s);
    for k in 0u64.. {
        let offset = period.mul_f64(k as f64);
        if s.start + offset >= s.end {
            break;
        }
        tokio::time::sleep_until(s.start + offset).await;
        let (from, outbox) = &s.senders[usize::try_from(k).unwrap_or(0) % s.senders.len()];
        let sender_user = &s.users[*from as usize];
        let target = (0..8)
            .map(|attempt| stats::mix(s.seed ^ (k * 8 + attempt)))
            .map(|draw| s.targets[usize::try_from(draw % s.targets.len() as u64).unwrap_or(0)])
            .find(|t| &s.users[*t as usize] != sender_user);
        let Some(to) = target else { continue };
        let stamp = s.wall_us + u64::try_from(offset.as_micros()).unwrap_or(u64::MAX);
        let frame = json!({"type": "send", "id": k.to_string(), "client_msg_id": format!("m{k}"),
                           "conv": client::direct(sender_user, &s.users[to as usize]),
                           "kind": "custom", "body": {"t": stamp, "k": k, "to": to}});
        if outbox.send(frame.to_string()).is_ok() {
            tracker.mark(k, SENT);
        }
    }
}

impl std::fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "deliveries at {:.0}/s from {} senders over {:.0}s: {} sent, {} acked, {} refused, {} delivered ({:.0}/s), {} lost, {} unanswered, {} duplicated, {} pushes to other devices; {}",
            self.per_s,
            self.senders,
            self.send_window_s,
            self.sent,
            self.acked,
            self.refused,
            self.delivered,
            self.delivered_per_s,
            self.lost,
            self.unanswered,
            self.duplicated,
            self.other_device_pushes,
            self.latency
        )
    }
}
