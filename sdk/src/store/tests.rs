//! The store's rules on their own: dedupe, cursor movement over holes, own messages confirmed
//! by sync, and the unread rule.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tidings_protocol::WireMessage;

use super::{ConvFacts, Store, Stored};
use crate::types::{Message, MessageStatus, Reaction};

pub(super) const ME: &str = "u_a";
pub(super) const PEER: &str = "u_b";
pub(super) const CONV: &str = "d:u_a:u_b";

/// A message of the test conversation as the server would send it.
pub(super) fn wire(seq: u64, sender: &str, kind: &str, body: serde_json::Value) -> WireMessage {
    WireMessage {
        conv: CONV.into(),
        seq,
        msg_id: format!("m{seq}"),
        sender: sender.into(),
        client_msg_id: format!("c{seq}-{sender}"),
        kind: kind.into(),
        body,
        ts: 1_000 + i64::try_from(seq).unwrap(),
        edited_at: None,
        reactions: Vec::new(),
        thread: None,
    }
}

/// An own text message just written, as `send_message` makes it (status `sending`, no seq).
pub(super) fn sending(client_msg_id: &str, text: &str) -> Message {
    Message {
        conv: CONV.into(),
        seq: None,
        msg_id: None,
        sender: ME.into(),
        client_msg_id: client_msg_id.into(),
        kind: "text".into(),
        body: json!({ "text": text }).to_string(),
        ts: 1,
        edited_at: None,
        status: MessageStatus::Sending,
        reactions: Vec::new(),
        thread: None,
    }
}

fn text(seq: u64, sender: &str) -> WireMessage {
    wire(seq, sender, "text", json!({"text": format!("t{seq}")}))
}

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    store.ensure_conversation(&ConvFacts::from_id(CONV, ME)).await.unwrap();
    (store, dir)
}

#[tokio::test]
async fn a_message_is_stored_once() {
    let (store, _dir) = store().await;
    assert!(matches!(store.store_wire(&text(1, PEER), ME).await.unwrap(), Stored::New(_)));
    assert!(matches!(store.store_wire(&text(1, PEER), ME).await.unwrap(), Stored::Duplicate));
    assert_eq!(store.history(CONV, None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_cursor_walks_runs_stops_at_holes_and_jumps_settled_ones() {
    let (store, _dir) = store().await;
    for seq in [1, 2, 4, 5] {
        store.store_wire(&text(seq, PEER), ME).await.unwrap();
    }
    assert_eq!(store.advance_cursor(CONV, 0).await.unwrap(), 2, "3 is missing");
    // A sync page that ended at 3 (3 exists) or skipped it (a settled hole) lets it run on.
    assert_eq!(store.advance_cursor(CONV, 3).await.unwrap(), 5);
    assert_eq!(store.cursor(CONV).await.unwrap(), 5);
}

#[tokio::test]
async fn an_own_message_seen_through_sync_becomes_sent() {
    let (store, _dir) = store().await;
    store.enqueue(&sending("c-local", "hi")).await.unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 1);
    let mut synced = text(1, ME);
    synced.client_msg_id = "c-local".into();
    assert!(matches!(store.store_wire(&synced, ME).await.unwrap(), Stored::OwnConfirmed(_)));
    let row = store.own_message(ME, "c-local").await.unwrap().unwrap();
    assert_eq!((row.status, row.seq), (MessageStatus::Sent, Some(1)));
    assert_eq!(store.outbox_len().await.unwrap(), 0, "no resend of a message the server has");
    assert_eq!(store.history(CONV, None, 10).await.unwrap().len(), 1, "one row, not two");
}

#[tokio::test]
async fn unread_counts_others_past_the_read_position_except_recalls() {
    let (store, _dir) = store().await;
    for seq in 1..=4 {
        store.store_wire(&text(seq, PEER), ME).await.unwrap();
    }
    store.store_wire(&text(5, ME), ME).await.unwrap();
    assert_eq!(store.total_unread(ME).await.unwrap(), 4);
    store.set_read(CONV, 1).await.unwrap();
    assert!(!store.set_read(CONV, 0).await.unwrap(), "never back");
    assert_eq!(store.total_unread(ME).await.unwrap(), 3);
    // The peer recalls 3: the notice and the recalled message both leave the count.
    store.store_wire(&wire(6, PEER, "recall", json!({"seq": 3, "by": PEER})), ME).await.unwrap();
    let conv = store.conversation(CONV, ME).await.unwrap().unwrap();
    assert_eq!(conv.unread, 2);
    assert_eq!(conv.max_seq, 6);
    let recalled = store.history(CONV, Some(4), 1).await.unwrap();
    assert_eq!((recalled[0].kind.as_str(), recalled[0].body.as_str()), ("recalled", "{}"));
}

#[tokio::test]
async fn reactions_end_as_the_log_says_whatever_order_entries_arrive_in() {
    let (store, _dir) = store().await;
    store.store_wire(&text(1, PEER), ME).await.unwrap();
    let react = |seq: u64, by: &str, emoji: &str, on: bool| {
        wire(seq, by, "reaction", json!({"seq": 1, "emoji": emoji, "on": on, "by": by}))
    };
    // Entry 3 (off) overtakes entry 2 (on): the older one must not turn it back on.
    store.store_wire(&react(3, ME, "👍", false), ME).await.unwrap();
    store.store_wire(&react(2, ME, "👍", true), ME).await.unwrap();
    store.store_wire(&react(4, PEER, "👍", true), ME).await.unwrap();
    store.store_wire(&react(5, PEER, "🎉", true), ME).await.unwrap();
    store.store_wire(&react(6, ME, "🎉", true), ME).await.unwrap();
    let page = store.with_reactions(ME, store.history(CONV, None, 10).await.unwrap()).await.unwrap();
    let first = page.iter().find(|m| m.seq == Some(1)).unwrap();
    let r = |emoji: &str, count, me| Reaction { emoji: emoji.into(), count, me };
    assert_eq!(first.reactions, [r("🎉", 2, true), r("👍", 1, false)]);
    // Reaction entries are no unread messages and never the last message.
    let row = store.conversation(CONV, ME).await.unwrap().unwrap();
    assert_eq!((row.unread, row.last_message.map(|m| m.seq)), (1, Some(Some(1))));
    // A recall takes them with it.
    store.store_wire(&wire(7, PEER, "recall", json!({"seq": 1, "by": PEER})), ME).await.unwrap();
    let page = store.with_reactions(ME, store.history(CONV, None, 10).await.unwrap()).await.unwrap();
    assert!(page.iter().all(|m| m.reactions.is_empty()));
}
