//! One W2 pair: the receiver (deliveries, and its reactions), the sender's ack reader (acks,
//! refusals, and which acked messages to edit) and the send loop (messages, and the edits
//! between them).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant as Deadline;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::actions::{self, CODE, ID, Kind, SEQ, Tally, chosen};
use super::{Load, LoadStart, SecondStats};
use crate::client::{self, Device};
use crate::stats;

type Ws = WebSocketStream<TcpStream>;

/// What one pair measured.
pub(super) struct PairResult {
    pub(super) sent: u64,
    pub(super) acked: u64,
    pub(super) refused: u64,
    pub(super) delivered: u64,
    pub(super) duplicated: u64,
    pub(super) reordered: u64,
    pub(super) latency: Histogram<u64>,
    pub(super) by_second: Vec<SecondStats>,
    pub(super) send_lag: Vec<SecondStats>,
    pub(super) last_receipt: Option<Instant>,
    pub(super) edits: Tally,
    pub(super) reactions: Tally,
    /// The pair's sockets, held open until every pair is done: a pair that closed as soon as
    /// it finished would put a disconnect storm under the last second of the others.
    pub(super) sockets: Box<dyn std::any::Any + Send>,
}

/// Runs one pair: connects both sides, waits for the start, sends, and collects.
pub(super) async fn pair(
    index: usize,
    sender: Device,
    receiver: Device,
    send_server: &str,
    recv_server: &str,
    mut load: Load,
) -> anyhow::Result<PairResult> {
    let source = u8::try_from(1 + index % 200).unwrap_or(1);
    let conv = client::direct(&sender.user_id, &receiver.user_id);
    let sockets = async {
        let rx_ws = client::connect(recv_server, &receiver.token, source).await?;
        let tx_ws = client::connect(send_server, &sender.token, source).await?;
        anyhow::Ok((rx_ws, tx_ws))
    }
    .await;
    // Allocated before the start (128 KiB each): a thousand of them allocated and zeroed in
    // the first second made the load generator itself late by up to 223 ms.
    let latency = stats::histogram();
    let (edits, reactions) = (Tally::new(load.edit_pct > 0), Tally::new(load.react_pct > 0));
    // Counted connected even on failure, so the run reports the error instead of waiting.
    load.connected.add_permits(1);
    let (rx_ws, tx_ws) = sockets?;
    let (messages, window, rate) = (load.messages, load.window, load.rate);
    let deadline = Deadline::from_std(load.deadline);

    // Sends the server refused: their messages will never arrive, so the receiver stops
    // waiting for them (checked whenever it has been idle for a moment).
    let refused_so_far = Arc::new(AtomicU64::new(0));
    // The receiving and ack-reading tasks start before the load does, for the same reason.
    let receiving = Receiving {
        pair: index,
        conv: conv.clone(),
        messages,
        react_pct: load.react_pct,
        deadline,
        start: load.start.clone(),
        refused: refused_so_far.clone(),
        latency,
        reactions,
    };
    let receive = tokio::spawn(receive(rx_ws, receiving));

    let (mut write, read) = tx_ws.split();
    let permits = Arc::new(Semaphore::new(if rate > 0.0 { messages } else { window }));
    let (to_edit, mut edits_due) = mpsc::unbounded_channel();
    let reading = AckReading {
        pair: index,
        messages,
        edit_pct: load.edit_pct,
        deadline,
        permits: permits.clone(),
        refused: refused_so_far,
    };
    let acks = tokio::spawn(read_acks(read, reading, to_edit, edits));
    let started = load.start.wait_for(Option::is_some).await.ok().and_then(|s| *s);
    let Some(started) = started else { anyhow::bail!("the run never started") };
    let period = (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate));
    let editing = load.edit_pct > 0;
    let (mut sent, mut edits_sent) = (0u64, 0u64);
    let mut send_lag = Vec::new();
    'messages: for i in 0..messages {
        if Deadline::now() >= deadline {
            break;
        }
        // Waiting for the slot (or a window permit), edits of acked messages go out meanwhile.
        let slot = next_slot(i, period, load.phase, started, &permits, deadline, &mut send_lag);
        tokio::pin!(slot);
        let stamp = loop {
            tokio::select! {
                biased;
                stamp = &mut slot => break stamp,
                Some((e, seq)) = edits_due.recv(), if editing => {
                    if write.send(Message::text(actions::edit_frame(&conv, e, seq))).await.is_err() {
                        break 'messages;
                    }
                    edits_sent += 1;
                }
            }
        };
        let Some(stamp) = stamp else { break };
        // Only a text message can be edited; every other one is `custom`, as W2 always sent.
        let frame = if load.text {
            let words = actions::sample_words(index, i);
            json!({"type": "send", "id": i.to_string(), "conv": conv, "client_msg_id": format!("b{i}"),
                   "kind": "text", "body": {"text": format!("{stamp} {words}")}})
        } else if chosen(index, i, load.edit_pct) {
            json!({"type": "send", "id": i.to_string(), "conv": conv, "client_msg_id": format!("b{i}"),
                   "kind": "text", "body": {"text": stamp.to_string()}})
        } else {
            json!({"type": "send", "id": i.to_string(), "conv": conv, "client_msg_id": format!("b{i}"),
                   "kind": "custom", "body": {"t": stamp}})
        };
        if write.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
        sent += 1;
    }
    // The last acks' edits: the ack reader closes the channel once every send is answered.
    if editing {
        while let Ok(Some((e, seq))) = tokio::time::timeout_at(deadline, edits_due.recv()).await {
            if write.send(Message::text(actions::edit_frame(&conv, e, seq))).await.is_err() {
                break;
            }
            edits_sent += 1;
        }
    }
    let (acked, refused, mut edits, tx_read) = acks.await?;
    edits.sent = edits_sent;
    // The receiver waits for every message; refused ones will never come.
    let r = receive.await?;
    Ok(PairResult {
        sent,
        acked,
        refused,
        delivered: r.delivered,
        duplicated: r.duplicated,
        reordered: r.reordered,
        latency: r.latency,
        by_second: r.by_second,
        send_lag,
        last_receipt: r.last_receipt,
        edits,
        reactions: r.reactions,
        sockets: Box::new((write, tx_read, r.halves)),
    })
}

/// Waits for send `i`'s turn: its slot at a fixed rate (recording how late the sender is), else
/// a window permit. Returns the time to stamp the message with, or `None` past the deadline.
async fn next_slot(
    i: usize,
    period: Option<Duration>,
    phase: f64,
    started: LoadStart,
    permits: &Semaphore,
    deadline: Deadline,
    send_lag: &mut Vec<SecondStats>,
) -> Option<u64> {
    match period {
        Some(period) => {
            // The i-th send's slot; a sender running late sends at once, stamped with the slot.
            let offset = period.mul_f64(phase + i as f64);
            tokio::time::sleep_until(started.at + offset).await;
            let late = (Deadline::now() - (started.at + offset)).as_micros();
            let second = usize::try_from(offset.as_secs()).unwrap_or(0);
            SecondStats::record(send_lag, second, u64::try_from(late).unwrap_or(u64::MAX).max(1));
            Some(started.wall_us + u64::try_from(offset.as_micros()).unwrap_or(u64::MAX))
        }
        None => {
            let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, permits.acquire()).await else { return None };
            permit.forget();
            Some(stats::now_us())
        }
    }
}

/// The sender's ack reader: what it needs.
struct AckReading {
    /// The pair's index (which of its messages get edited).
    pair: usize,
    messages: usize,
    edit_pct: u64,
    deadline: Deadline,
    /// Window permits, one given back per answered send.
    permits: Arc<Semaphore>,
    /// Refused sends, shared with the receiver.
    refused: Arc<AtomicU64>,
}

/// Reads the sender's socket until every send and every edit is answered (or the deadline):
/// counts acks and refusals of sends, hands the acked messages to edit to the send loop, and
/// tallies the edits' answers. Frames are matched as text, not parsed: every ack passes here.
/// Returns the acked and refused sends, the edits' tally and the read half.
async fn read_acks(
    mut read: SplitStream<Ws>,
    a: AckReading,
    to_edit: mpsc::UnboundedSender<(usize, u64)>,
    mut edits: Tally,
) -> (u64, u64, Tally, SplitStream<Ws>) {
    let (mut acked, mut refused, mut edits_due) = (0u64, 0u64, 0u64);
    // Dropped once every send is answered: the send loop then knows no more edits will come.
    let mut to_edit = Some(to_edit);
    let editing = a.edit_pct > 0;
    while acked + refused < a.messages as u64 || edits.answered() < edits_due {
        let Ok(Some(Ok(msg))) = tokio::time::timeout_at(a.deadline, read.next()).await else { break };
        let Message::Text(text) = msg else { continue };
        let text = text.as_str();
        let is_ack = text.contains("\"type\":\"ack\"");
        if !is_ack && !text.contains("\"type\":\"error\"") {
            // Pushes: the edit entries (to every device of the editor) and the reactions.
            continue;
        }
        // Without edits only refusals need their id looked at, as before the actions.
        let id = if editing || !is_ack { actions::str_field(text, ID) } else { None };
        if let Some(id) = id.filter(|id| Kind::Edit.owns(id)) {
            if is_ack {
                edits.ack(id);
            } else {
                edits.refuse(actions::str_field(text, CODE).unwrap_or("?"));
            }
        } else if is_ack {
            acked += 1;
            a.permits.add_permits(1);
            let index = id.and_then(|id| id.parse::<usize>().ok()).filter(|&i| chosen(a.pair, i, a.edit_pct));
            if let (Some(i), Some(seq), Some(tx)) = (index, actions::u64_field(text, SEQ), &to_edit)
                && tx.send((i, seq)).is_ok()
            {
                edits_due += 1;
            }
        } else {
            // A refused send (`busy`): counted, not retried; the window moves on.
            refused += 1;
            a.refused.fetch_add(1, Ordering::Relaxed);
            a.permits.add_permits(1);
        }
        if acked + refused >= a.messages as u64 {
            to_edit = None;
        }
    }
    (acked, refused, edits, read)
}

/// The receiver: what it needs.
struct Receiving {
    /// The pair's index (which of its messages get reactions).
    pair: usize,
    conv: String,
    messages: usize,
    react_pct: u64,
    deadline: Deadline,
    start: watch::Receiver<Option<LoadStart>>,
    /// Refused sends so far (their messages will never come).
    refused: Arc<AtomicU64>,
    latency: Histogram<u64>,
    reactions: Tally,
}

/// What the receiver measured.
struct Received {
    delivered: u64,
    duplicated: u64,
    reordered: u64,
    latency: Histogram<u64>,
    by_second: Vec<SecondStats>,
    last_receipt: Option<Instant>,
    reactions: Tally,
    halves: (SplitSink<Ws, Message>, SplitStream<Ws>),
}

/// Reads the receiver's socket until every message that was not refused has come and every
/// reaction is answered (or the deadline). Only the pair's own messages (`custom` and `text`)
/// count as deliveries: the `edit` and `reaction` entries pushed in the same conversation
/// are not messages of the load.
async fn receive(ws: Ws, mut r: Receiving) -> Received {
    let (mut write, mut read) = ws.split();
    // The start's time, read at the first message (nothing arrives before the start). Not
    // awaited up front: a thousand receivers waking at the start made the senders late.
    let mut start_us = None;
    let mut by_second = Vec::with_capacity(64);
    let (mut delivered, mut duplicated, mut reordered, mut max_seq) = (0u64, 0u64, 0u64, 0u64);
    let mut seen = HashSet::with_capacity(r.messages);
    let mut last_receipt = None;
    while delivered + r.refused.load(Ordering::Relaxed) < r.messages as u64 || r.reactions.answered() < r.reactions.sent
    {
        let wait = r.deadline.min(Deadline::now() + Duration::from_millis(200));
        let msg = match tokio::time::timeout_at(wait, read.next()).await {
            Ok(Some(Ok(msg))) => msg,
            Err(_) if wait < r.deadline => continue,
            _ => break,
        };
        let Message::Text(text) = msg else { continue };
        let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        let id = frame["id"].as_str().filter(|id| Kind::React.owns(id));
        match (frame["type"].as_str(), id) {
            (Some("msg"), _) => {}
            (Some("ack"), Some(id)) => {
                r.reactions.ack(id);
                continue;
            }
            (Some("error"), Some(_)) => {
                r.reactions.refuse(frame["code"].as_str().unwrap_or("?"));
                continue;
            }
            _ => continue,
        }
        let m = &frame["message"];
        if !matches!(m["kind"].as_str(), Some("custom" | "text")) {
            continue;
        }
        let seq = m["seq"].as_u64().unwrap_or(0);
        if !seen.insert(seq) {
            duplicated += 1;
            continue;
        }
        if seq < max_seq {
            reordered += 1;
        }
        max_seq = max_seq.max(seq);
        delivered += 1;
        // `custom` messages carry their stamp as `t`, `text` ones (those to be edited) as the text.
        let body = &m["body"];
        // With `--text` the stamp is the text's first word.
        let stamp_of_text = |t: &str| t.split(' ').next().and_then(|s| s.parse().ok());
        let sent_at = body["t"].as_u64().or_else(|| body["text"].as_str().and_then(stamp_of_text)).unwrap_or(0);
        let took = stats::now_us().saturating_sub(sent_at).max(1);
        let _ = r.latency.record(took);
        let base = *start_us.get_or_insert_with(|| r.start.borrow().map_or(0, |s| s.wall_us));
        let second = sent_at.saturating_sub(base) / 1_000_000;
        SecondStats::record(&mut by_second, usize::try_from(second).unwrap_or(0), took);
        last_receipt = Some(Instant::now());
        let index = actions::message_index(m).filter(|&i| chosen(r.pair, i, r.react_pct));
        if let Some(i) = index
            && write.send(Message::text(actions::react_frame(&r.conv, i, seq))).await.is_ok()
        {
            r.reactions.sent += 1;
        }
    }
    Received {
        delivered,
        duplicated,
        reordered,
        latency: r.latency,
        by_second,
        last_receipt,
        reactions: r.reactions,
        halves: (write, read),
    }
}
