//! The views the property test expects, recomputed from the log alone (a conversation's whole
//! history as the server pages it): unread and mention counts, pins, reaction totals, thread
//! summaries and the reader's unread followed threads.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use tidings_domain::message::{NOT_UNREAD_KINDS, is_content_kind};

fn seq(m: &Value) -> u64 {
    m["seq"].as_u64().unwrap()
}

fn kind(m: &Value) -> &str {
    m["kind"].as_str().unwrap()
}

/// Whether a stored body mentions `me` (the server's rule).
pub fn mentions(m: &Value, me: &str) -> bool {
    m["body"]["mention_all"] == true
        || m["body"]["mentions"].as_array().is_some_and(|ids| ids.iter().any(|id| id == me))
}

/// `(unread, mention_count)` the log gives for a reader at `read_seq`.
pub fn counts_from_log(log: &[Value], me: &str, read_seq: u64) -> (u64, u64) {
    let unread: Vec<&Value> = log
        .iter()
        .filter(|m| seq(m) > read_seq && m["sender"] != me)
        .filter(|m| !NOT_UNREAD_KINDS.contains(&kind(m)))
        .collect();
    (unread.len() as u64, unread.iter().filter(|m| mentions(m, me)).count() as u64)
}

/// The pins the log's `pin` entries leave, in order, less the messages recalled since.
pub fn pins_from_log(log: &[Value]) -> BTreeSet<u64> {
    let mut pinned = BTreeSet::new();
    for m in log.iter().filter(|m| m["kind"] == "pin") {
        let target = m["body"]["seq"].as_u64().unwrap();
        if m["body"]["on"] == true {
            pinned.insert(target)
        } else {
            pinned.remove(&target)
        };
    }
    &pinned - &recalled(log)
}

fn recalled(log: &[Value]) -> BTreeSet<u64> {
    log.iter().filter(|m| m["kind"] == "recalled").map(seq).collect()
}

/// `(emoji, count, me)` of one message, sorted by emoji.
pub type Totals = Vec<(String, u64, bool)>;

/// The reaction totals of every message that has some: the `reaction` entries applied in seq
/// order, none for a recalled message.
pub fn reactions_from_log(log: &[Value], me: &str) -> BTreeMap<u64, Totals> {
    let mut on: BTreeMap<(u64, String, String), bool> = BTreeMap::new();
    for m in log.iter().filter(|m| m["kind"] == "reaction") {
        let b = &m["body"];
        let key =
            (b["seq"].as_u64().unwrap(), b["emoji"].as_str().unwrap().to_owned(), b["by"].as_str().unwrap().to_owned());
        on.insert(key, b["on"] == true);
    }
    let gone = recalled(log);
    let mut totals: BTreeMap<u64, BTreeMap<String, (u64, bool)>> = BTreeMap::new();
    for ((target, emoji, by), _) in on.into_iter().filter(|(k, is_on)| *is_on && !gone.contains(&k.0)) {
        let t = totals.entry(target).or_default().entry(emoji).or_default();
        t.0 += 1;
        t.1 |= by == me;
    }
    totals.into_iter().map(|(s, t)| (s, t.into_iter().map(|(e, (n, mine))| (e, n, mine)).collect())).collect()
}

/// The replies of each thread root: messages people wrote (not recalled) naming it.
fn replies_by_root(log: &[Value]) -> BTreeMap<u64, Vec<&Value>> {
    let mut out: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for m in log.iter().filter(|m| is_content_kind(kind(m))) {
        if let Some(root) = m["body"]["thread_root"].as_u64() {
            out.entry(root).or_default().push(m);
        }
    }
    out
}

/// Each root's `thread` summary as the wire shows it.
pub fn threads_from_log(log: &[Value]) -> BTreeMap<u64, Value> {
    replies_by_root(log)
        .into_iter()
        .map(|(root, replies)| {
            let last = replies.last().unwrap();
            let mut participants: Vec<&Value> = Vec::new();
            for r in &replies {
                if !participants.contains(&&r["sender"]) && participants.len() < 10 {
                    participants.push(&r["sender"]);
                }
            }
            let summary = json!({"replies": replies.len(), "last_ts": last["ts"], "last_seq": last["seq"],
                "participants": participants});
            (root, summary)
        })
        .collect()
}

/// How many threads `me` follows (wrote the root, or replied: `me` never recalls here) that hold
/// replies by others past `me`'s position: the explicit reads in `read` and `me`'s own replies.
pub fn unread_threads_from_log(log: &[Value], me: &str, read: &BTreeMap<u64, u64>) -> u64 {
    let authors: BTreeMap<u64, &Value> = log.iter().map(|m| (seq(m), &m["sender"])).collect();
    replies_by_root(log)
        .into_iter()
        .filter(|(root, replies)| {
            let mine = replies.iter().filter(|r| r["sender"] == me).map(|r| seq(r)).max();
            let follows = authors.get(root).is_some_and(|a| *a == me) || mine.is_some();
            let position = mine.unwrap_or(0).max(read.get(root).copied().unwrap_or(0));
            follows && replies.iter().any(|r| r["sender"] != me && seq(r) > position)
        })
        .count() as u64
}
