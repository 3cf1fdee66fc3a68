//! W2's message actions: a chosen share of the messages is edited by its sender once acked, and
//! a chosen share is reacted to by its receiver once received (a message is pushed only after
//! its commit, the point its ack marks). Actions are not messages: they are counted apart, with
//! their own ack latency, and their log entries (`edit`, `reaction`), pushed to both sides of
//! the conversation, are left out of the delivery figures.
//!
//! Each action's `id` carries the time it was sent (`e{index}.{µs}`, `r{index}.{µs}`), so its
//! ack's latency needs no table of pending actions.

use std::collections::BTreeMap;
use std::fmt;

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};

use crate::stats::{self, Latency};

/// The emoji every reaction turns on.
const EMOJI: &str = "👍";

/// `"id":"`, the start of a frame's `id` field as the server writes it (compact JSON).
pub(super) const ID: &str = "\"id\":\"";
/// `"seq":`, the start of an ack's `seq` field.
pub(super) const SEQ: &str = "\"seq\":";
/// `"code":"`, the start of an error frame's `code` field.
pub(super) const CODE: &str = "\"code\":\"";

/// Whether message `index` of pair `pair` is one of the `pct` percent that get an action: `pct`
/// of every 100 consecutive indexes, spread evenly (no randomness: the same messages in every
/// run). The pair shifts the pattern, so the pairs' actions do not all fall on the same beat
/// (with every pair's tenth message edited at once, a thousand pairs edited in one burst every
/// ten messages' time, which no real chat does).
pub(super) fn chosen(pair: usize, index: usize, pct: u64) -> bool {
    pct > 0 && (index as u64).wrapping_add(pair as u64).wrapping_mul(pct) % 100 < pct
}

/// Words for message `index` of pair `pair` with `--text`: 6 to 14 of a mixed English and
/// Chinese vocabulary, so an index gets a realistic spread of terms (no randomness: the same
/// text in every run).
pub(super) fn sample_words(pair: usize, index: usize) -> String {
    const VOCABULARY: [&str; 24] = [
        "deploy",
        "meeting",
        "review",
        "budget",
        "release",
        "notes",
        "tomorrow",
        "customer",
        "report",
        "部署方案",
        "会议",
        "预算",
        "发布",
        "客户",
        "报告",
        "明天",
        "请看",
        "文档",
        "server",
        "latency",
        "进度",
        "计划",
        "check",
        "done",
    ];
    let seed = pair.wrapping_mul(7919).wrapping_add(index.wrapping_mul(104_729));
    let n = 6 + seed % 9;
    (0..n).map(|k| VOCABULARY[(seed / 3 + k * 11 + k * k) % VOCABULARY.len()]).collect::<Vec<_>>().join(" ")
}

/// An action's kind: which frame, and the first character of its ids.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// `edit`, by the message's sender.
    Edit,
    /// `react`, by the message's receiver.
    React,
}

impl Kind {
    fn prefix(self) -> char {
        match self {
            Kind::Edit => 'e',
            Kind::React => 'r',
        }
    }

    /// Whether `id` is the id of an action of this kind (message sends have numeric ids).
    pub(super) fn owns(self, id: &str) -> bool {
        id.starts_with(self.prefix())
    }

    fn id(self, index: usize) -> String {
        format!("{}{index}.{}", self.prefix(), stats::now_us())
    }
}

/// The `edit` frame of message `index` (at `seq`): the sender replaces its text.
pub(super) fn edit_frame(conv: &str, index: usize, seq: u64) -> String {
    json!({"type": "edit", "id": Kind::Edit.id(index), "conv": conv, "seq": seq,
           "body": {"text": format!("edited {index}")}})
    .to_string()
}

/// The `react` frame of message `index` (at `seq`): the receiver turns [`EMOJI`] on.
pub(super) fn react_frame(conv: &str, index: usize, seq: u64) -> String {
    json!({"type": "react", "id": Kind::React.id(index), "conv": conv, "seq": seq, "emoji": EMOJI, "on": true})
        .to_string()
}

/// The value of string field `key` (one of [`ID`], [`CODE`]) in a frame read without parsing it.
pub(super) fn str_field<'a>(frame: &'a str, key: &str) -> Option<&'a str> {
    let start = frame.find(key)? + key.len();
    let rest = &frame[start..];
    Some(&rest[..rest.find('"')?])
}

/// The value of number field `key` (such as [`SEQ`]) in a frame read without parsing it.
pub(super) fn u64_field(frame: &str, key: &str) -> Option<u64> {
    let rest = &frame[frame.find(key)? + key.len()..];
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..digits].parse().ok()
}

/// The index of a pushed message: its `client_msg_id` is `b{index}`.
pub(super) fn message_index(message: &Value) -> Option<usize> {
    message["client_msg_id"].as_str()?.strip_prefix('b')?.parse().ok()
}

/// Actions of one kind, by one pair or by all: sent, answered, how fast.
#[derive(Debug)]
pub(super) struct Tally {
    /// Frames written.
    pub(super) sent: u64,
    acked: u64,
    refused: u64,
    codes: BTreeMap<String, u64>,
    /// Only when the action is on: a histogram per pair costs memory.
    latency: Option<Histogram<u64>>,
}

impl Tally {
    /// A tally with a latency histogram when `on` (made up front, before the load starts).
    pub(super) fn new(on: bool) -> Self {
        // Two significant digits are plenty for p50/p99: about 20 KiB instead of the 130 of three.
        let latency = on.then(|| {
            Histogram::new_with_bounds(1, 60_000_000, 2).unwrap_or_else(|e| panic!("hdrhistogram bounds: {e}"))
        });
        Self { sent: 0, acked: 0, refused: 0, codes: BTreeMap::new(), latency }
    }

    /// Acks and refusals so far.
    pub(super) fn answered(&self) -> u64 {
        self.acked + self.refused
    }

    /// The ack of the action with id `id`.
    pub(super) fn ack(&mut self, id: &str) {
        self.acked += 1;
        let sent_us = id.split_once('.').and_then(|(_, us)| us.parse::<u64>().ok());
        if let (Some(sent_us), Some(h)) = (sent_us, self.latency.as_mut()) {
            let _ = h.record(stats::now_us().saturating_sub(sent_us).max(1));
        }
    }

    /// An `error` frame answering an action, with its code.
    pub(super) fn refuse(&mut self, code: &str) {
        self.refused += 1;
        *self.codes.entry(code.to_owned()).or_default() += 1;
    }

    /// Adds another pair's tally to this one.
    pub(super) fn add(&mut self, other: &Tally) -> anyhow::Result<()> {
        self.sent += other.sent;
        self.acked += other.acked;
        self.refused += other.refused;
        for (code, n) in &other.codes {
            *self.codes.entry(code.clone()).or_default() += n;
        }
        if let (Some(h), Some(o)) = (self.latency.as_mut(), other.latency.as_ref()) {
            h.add(o)?;
        }
        Ok(())
    }

    /// The tally as reported.
    pub(super) fn report(&self) -> ActionReport {
        ActionReport {
            sent: self.sent,
            acked: self.acked,
            refused: self.refused,
            refused_codes: self.codes.clone(),
            latency: self.latency.as_ref().map(Latency::of).unwrap_or_default(),
        }
    }
}

/// Actions of one kind over the whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ActionReport {
    /// Frames sent.
    pub sent: u64,
    /// Answered with an ack.
    pub acked: u64,
    /// Answered with an `error` frame.
    pub refused: u64,
    /// Refusals by error code.
    pub refused_codes: BTreeMap<String, u64>,
    /// From writing the frame to reading its ack.
    pub latency: Latency,
}

/// `… sent, … acked, … refused (code: n, …), ack p50 … ms, p99 … ms`.
impl fmt::Display for ActionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} sent, {} acked, {} refused", self.sent, self.acked, self.refused)?;
        if !self.refused_codes.is_empty() {
            let codes: Vec<String> = self.refused_codes.iter().map(|(c, n)| format!("{c}: {n}")).collect();
            write!(f, " ({})", codes.join(", "))?;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        write!(f, ", ack p50 {:.2} ms, p99 {:.2} ms", ms(self.latency.p50_us), ms(self.latency.p99_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_pct_of_every_hundred_evenly() {
        for pct in [0, 1, 10, 20, 33, 100] {
            assert_eq!((0..1000).filter(|&i| chosen(0, i, pct)).count() as u64, pct * 10, "{pct}");
            assert_eq!((0..1000).filter(|&i| chosen(7, i, pct)).count() as u64, pct * 10, "{pct}");
        }
        // Pairs take their turns at different messages.
        let third: Vec<usize> = (0..30).filter(|&i| chosen(3, i, 10)).collect();
        assert_eq!(third, vec![7, 17, 27]);
        let tenth: Vec<usize> = (0..30).filter(|&i| chosen(0, i, 10)).collect();
        assert_eq!(tenth, [0, 10, 20]);
    }

    #[test]
    fn reads_fields_of_a_compact_frame() {
        let ack = r#"{"type":"ack","id":"e12.1700","client_msg_id":"x","conv":"d:a:b","seq":42,"msg_id":"m"}"#;
        assert_eq!(str_field(ack, ID), Some("e12.1700"));
        assert_eq!(u64_field(ack, SEQ), Some(42));
        assert!(Kind::Edit.owns("e12.1700") && !Kind::Edit.owns("12") && Kind::React.owns("r3.9"));
        let error = r#"{"type":"error","id":"r3.9","code":"forbidden","message":"no"}"#;
        assert_eq!(str_field(error, CODE), Some("forbidden"));
        assert_eq!(str_field(r#"{"type":"error","code":"busy"}"#, ID), None);
    }
}
