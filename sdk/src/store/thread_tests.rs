//! Threads in the store: a root's summary from the replies stored, on top of the server's
//! summary when a page carried one, and recalled replies leaving it.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tidings_protocol::{WireMessage, WireThread};

use super::tests::{CONV, ME, PEER, wire};
use super::{ConvFacts, Store};
use crate::types::ThreadSummary;

fn reply(seq: u64, sender: &str, root: u64) -> WireMessage {
    wire(seq, sender, "text", json!({"text": format!("r{seq}"), "thread_root": root}))
}

async fn summary(store: &Store, seq: u64) -> Option<ThreadSummary> {
    let m = store.message_at(CONV, seq).await.unwrap().unwrap();
    store.annotate(ME, vec![m]).await.unwrap().pop().unwrap().thread
}

async fn open() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    store.ensure_conversation(&ConvFacts::from_id(CONV, ME)).await.unwrap();
    (store, dir)
}

#[tokio::test]
async fn a_root_sums_its_stored_replies_and_a_recall_takes_one_off() {
    let (store, _dir) = open().await;
    store.store_wire(&wire(1, ME, "text", json!({"text": "root"})), ME).await.unwrap();
    assert_eq!(summary(&store, 1).await, None, "no replies, no summary");
    for (seq, sender) in [(2, PEER), (3, ME), (4, PEER)] {
        store.store_wire(&reply(seq, sender, 1), ME).await.unwrap();
    }
    let want = ThreadSummary { replies: 3, last_ts: 1_004, last_seq: 4, participants: vec![PEER.into(), ME.into()] };
    assert_eq!(summary(&store, 1).await, Some(want));
    assert_eq!(summary(&store, 2).await, None, "a reply is no root");
    store.store_wire(&wire(5, PEER, "recall", json!({"seq": 4, "by": PEER})), ME).await.unwrap();
    let after = summary(&store, 1).await.unwrap();
    assert_eq!((after.replies, after.last_seq), (2, 3));
}

#[tokio::test]
async fn the_servers_summary_is_the_base_and_later_replies_add_to_it() {
    let (store, _dir) = open().await;
    // The root arrives on a history page with 5 replies the store has not got (older than
    // where this device started), the newest at seq 20.
    let mut root = wire(10, PEER, "text", json!({"text": "root"}));
    root.thread =
        Some(Box::new(WireThread { replies: 5, last_ts: 1_020, last_seq: 20, participants: vec![PEER.into()] }));
    store.store_wire(&root, ME).await.unwrap();
    // A stored reply the summary already counts adds nothing; a newer one adds one.
    store.store_wire(&reply(20, PEER, 10), ME).await.unwrap();
    store.store_wire(&reply(21, ME, 10), ME).await.unwrap();
    let t = summary(&store, 10).await.unwrap();
    assert_eq!((t.replies, t.last_seq, t.participants.clone()), (6, 21, vec![PEER.to_owned(), ME.to_owned()]));
    // Recalling the counted reply 20 takes it off the server's base.
    store.store_wire(&wire(22, PEER, "recall", json!({"seq": 20, "by": PEER})), ME).await.unwrap();
    assert_eq!(summary(&store, 10).await.unwrap().replies, 5);
    // A page carrying the root again replaces the base (a duplicate of the root is still read).
    root.thread =
        Some(Box::new(WireThread { replies: 9, last_ts: 1_030, last_seq: 30, participants: vec![PEER.into()] }));
    store.store_wire(&root, ME).await.unwrap();
    assert_eq!(summary(&store, 10).await.unwrap().replies, 9);
}
