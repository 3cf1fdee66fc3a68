//! Edits in the store: applied to their target in seq order whatever order they arrive in,
//! never unread, erased with their target on recall; and the added column on an old store.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tidings_protocol::WireMessage;

use super::tests::{CONV, ME, PEER, wire};
use super::{ConvFacts, Store};

fn edit(seq: u64, target: u64, text: &str, at: i64) -> WireMessage {
    wire(seq, PEER, "edit", json!({"seq": target, "body": {"text": text}, "edited_at": at}))
}

async fn at(store: &Store, seq: u64) -> crate::types::Message {
    store.message_at(CONV, seq).await.unwrap().unwrap()
}

#[tokio::test]
async fn edits_apply_in_seq_order_never_count_and_go_with_a_recall() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    store.ensure_conversation(&ConvFacts::from_id(CONV, ME)).await.unwrap();
    store.store_wire(&wire(1, PEER, "text", json!({"text": "v1"})), ME).await.unwrap();
    // The later edit arrives first (a push ahead of a sync page): the earlier one, stored after
    // it, does not undo it.
    store.store_wire(&edit(3, 1, "v3", 30), ME).await.unwrap();
    store.store_wire(&edit(2, 1, "v2", 20), ME).await.unwrap();
    let target = at(&store, 1).await;
    assert_eq!((target.body.as_str(), target.edited_at), (r#"{"text":"v3"}"#, Some(30)));
    assert_eq!(store.conversation(CONV, ME).await.unwrap().unwrap().unread, 1, "edits are not unread");

    // A recall erases the edits' bodies; an edit stored after it keeps only its target's seq.
    store.store_wire(&wire(4, PEER, "recall", json!({"seq": 1, "by": PEER})), ME).await.unwrap();
    store.store_wire(&edit(5, 1, "v5", 50), ME).await.unwrap();
    let target = at(&store, 1).await;
    assert_eq!((target.kind.as_str(), target.body.as_str(), target.edited_at), ("recalled", "{}", None));
    for seq in [2, 3, 5] {
        assert_eq!(at(&store, seq).await.body, r#"{"seq":1}"#, "entry {seq}");
    }
    assert_eq!(store.conversation(CONV, ME).await.unwrap().unwrap().unread, 0);
}

#[tokio::test]
async fn a_store_made_before_edits_gains_the_column_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The messages table as it was before `edited_at`, with a row in it.
        let options =
            sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join(super::FILE)).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conv TEXT NOT NULL, seq INTEGER,
             msg_id TEXT, sender TEXT NOT NULL, client_msg_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
             ts INTEGER NOT NULL, status TEXT NOT NULL, UNIQUE (conv, seq), UNIQUE (sender, client_msg_id))",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO messages (conv, seq, msg_id, sender, client_msg_id, kind, body, ts, status)
             VALUES ('d:u_a:u_b', 1, 'm1', 'u_b', 'c1', 'text', '{\"text\":\"kept\"}', 1, 'received')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    for _ in 0..2 {
        let store = Store::open(dir.path()).await.unwrap();
        let kept = at(&store, 1).await;
        assert_eq!((kept.body.as_str(), kept.edited_at), (r#"{"text":"kept"}"#, None));
        store.close().await;
    }
}

#[tokio::test]
async fn a_message_stored_after_its_edit_or_recall_takes_their_effect() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    store.store_wire(&edit(5, 1, "v5", 50), ME).await.unwrap();
    store.store_wire(&wire(6, PEER, "recall", json!({"seq": 2, "by": PEER})), ME).await.unwrap();
    // The page holding 1 to 3 was read before those entries committed: old copies arrive last.
    store.store_wire(&wire(1, PEER, "text", json!({"text": "v1"})), ME).await.unwrap();
    store.store_wire(&wire(2, PEER, "text", json!({"text": "secret"})), ME).await.unwrap();
    store
        .store_wire(
            &wire(3, PEER, "text", json!({"text": "re", "reply_to": {"seq": 2, "quote": {"excerpt": "secret"}}})),
            ME,
        )
        .await
        .unwrap();
    let edited = at(&store, 1).await;
    assert_eq!((edited.body.as_str(), edited.edited_at), (r#"{"text":"v5"}"#, Some(50)));
    let gone = at(&store, 2).await;
    assert_eq!((gone.kind.as_str(), gone.body.as_str()), ("recalled", "{}"));
    let reply: serde_json::Value = serde_json::from_str(&at(&store, 3).await.body).unwrap();
    assert_eq!(reply["reply_to"]["quote"], json!({"recalled": true}));
    // A copy that already carries a later edit keeps it.
    let mut newer = wire(4, PEER, "text", json!({"text": "v9"}));
    newer.edited_at = Some(90);
    store
        .store_wire(&wire(7, PEER, "edit", json!({"seq": 4, "body": {"text": "v7"}, "edited_at": 70})), ME)
        .await
        .unwrap();
    store.store_wire(&newer, ME).await.unwrap();
    assert_eq!(at(&store, 4).await.body, r#"{"text":"v9"}"#);
}
