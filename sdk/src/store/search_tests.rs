//! The local index on its own: FTS5 is in the linked SQLite; CJK runs match as substrings, words
//! by prefix; typed syntax is text; edits, recalls, acks and deletes keep the index in step,
//! whichever write path made them; pages follow each other; a store from before the index is
//! filled when it opens.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tidings_terms::SearchQuery;

use super::tests::{CONV, ME, PEER, sending, wire};
use super::{ConvFacts, Position, Store};
use crate::types::{Highlight, LocalSearchPage, MessageStatus};

/// Another conversation, for the conversation filter.
const GROUP: &str = "g:g_1";

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    store.ensure_conversation(&ConvFacts::from_id(CONV, ME)).await.unwrap();
    (store, dir)
}

async fn text(store: &Store, seq: u64, text: &str) {
    store.store_wire(&wire(seq, PEER, "text", json!({ "text": text })), ME).await.unwrap();
}

async fn page(store: &Store, raw: &str, conv: Option<&str>, below: Option<&str>, limit: u32) -> LocalSearchPage {
    let query = SearchQuery::parse(raw).unwrap();
    store.search(ME, &query, conv, below.map(|c| Position::parse(c).unwrap()), limit).await.unwrap()
}

/// The seqs of the messages `raw` finds, newest first.
async fn seqs(store: &Store, raw: &str) -> Vec<u64> {
    page(store, raw, None, None, 50).await.results.iter().map(|h| h.message.seq.unwrap()).collect()
}

#[tokio::test]
async fn fts5_is_compiled_into_the_linked_sqlite() {
    let (store, _dir) = store().await;
    let on: i64 =
        sqlx::query_scalar("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetch_one(&store.pool).await.unwrap();
    assert_eq!(on, 1);
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_terms'")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(tables, 1);
}

#[tokio::test]
async fn a_cjk_run_matches_as_a_substring_and_a_word_by_its_prefix() {
    let (store, _dir) = store().await;
    text(&store, 1, "新的部署方案已经发布").await;
    text(&store, 2, "方案部署").await;
    text(&store, 3, "Deployment plan v2").await;
    text(&store, 4, "we redeploy the airplane").await;
    text(&store, 5, "deployment plan 部署方案 v2").await;

    assert_eq!(seqs(&store, "部署方案").await, [5, 1], "inside a sentence; not reversed");
    assert_eq!(seqs(&store, "部署").await, [5, 2, 1], "a two-character word");
    assert_eq!(seqs(&store, "DEPLOY").await, [5, 3], "prefix, any case; not inside a word");
    assert!(seqs(&store, "plane").await.is_empty());
    assert_eq!(seqs(&store, "部署 deploy").await, [5], "mixed: every part must match");
    assert_eq!(seqs(&store, "方案 plan").await, [5]);

    let hit = &page(&store, "部署方案", None, None, 1).await.results[0];
    assert_eq!(hit.message.text().as_deref(), Some("deployment plan 部署方案 v2"));
    assert_eq!(hit.snippet, "deployment plan 部署方案 v2");
    assert_eq!(hit.highlights, [Highlight { start: 16, end: 20 }]);
    let hit = &page(&store, "部署方案", None, None, 50).await.results[1];
    assert_eq!(
        (hit.snippet.as_str(), hit.highlights.as_slice()),
        ("新的部署方案已经发布", &[Highlight { start: 2, end: 6 }][..])
    );
}

#[tokio::test]
async fn typed_syntax_is_searched_as_text() {
    let (store, _dir) = store().await;
    text(&store, 1, r#"he said "OR" (not NEAR) -- deploy* now"#).await;
    text(&store, 2, "nothing here").await;
    assert_eq!(seqs(&store, r#""OR" NEAR*"#).await, [1]);
    assert_eq!(seqs(&store, ") OR (").await, [1]);
    assert_eq!(seqs(&store, r#""deploy"#).await, [1], "an unbalanced quote");
    assert_eq!(seqs(&store, "not -here").await, [2], "a minus excludes nothing: `here` is a word to find");
    assert!(seqs(&store, "'; DROP TABLE messages; --").await.is_empty());
    assert_eq!(store.history(CONV, None, 10).await.unwrap().len(), 2, "the table is still there");
}

#[tokio::test]
async fn edits_recalls_and_uploads_match_what_the_message_is_now() {
    let (store, _dir) = store().await;
    text(&store, 1, "old words").await;
    store
        .store_wire(&wire(2, PEER, "edit", json!({"seq": 1, "body": {"text": "新的部署方案"}, "edited_at": 20})), ME)
        .await
        .unwrap();
    assert!(seqs(&store, "old").await.is_empty(), "the text before the edit");
    let hit = &page(&store, "部署方案", None, None, 5).await.results;
    assert_eq!(hit.len(), 1, "the edit entry itself is not a match");
    assert_eq!((hit[0].message.seq, hit[0].message.edited_at), (Some(1), Some(20)));

    // An edit stored before its target (a push ahead of a sync page): the target matches its
    // edited text only.
    store
        .store_wire(&wire(4, PEER, "edit", json!({"seq": 3, "body": {"text": "final"}, "edited_at": 40})), ME)
        .await
        .unwrap();
    text(&store, 3, "draft").await;
    assert!(seqs(&store, "draft").await.is_empty());
    assert_eq!(seqs(&store, "final").await, [3]);

    store.store_wire(&wire(5, PEER, "recall", json!({"seq": 1, "by": PEER})), ME).await.unwrap();
    assert!(seqs(&store, "部署方案").await.is_empty(), "recalled");
    // A recall stored before its target: the target never matches.
    store.store_wire(&wire(7, PEER, "recall", json!({"seq": 6, "by": PEER})), ME).await.unwrap();
    text(&store, 6, "secret plan").await;
    assert!(seqs(&store, "secret").await.is_empty());

    // Uploads by their file name; custom bodies and system entries never.
    let file = json!({"media_id": "m_1", "name": "季度报告 Report.pdf", "size": 3, "text": "body text"});
    store.store_wire(&wire(8, PEER, "file", file), ME).await.unwrap();
    store.store_wire(&wire(9, PEER, "custom", json!({"text": "report"})), ME).await.unwrap();
    assert_eq!(seqs(&store, "report").await, [8]);
    assert_eq!(seqs(&store, "报告").await, [8]);
    assert!(seqs(&store, "body").await.is_empty());
    let hit = &page(&store, "report", None, None, 5).await.results[0];
    assert_eq!(
        (hit.snippet.as_str(), hit.highlights.as_slice()),
        ("季度报告 Report.pdf", &[Highlight { start: 5, end: 11 }][..])
    );
}

#[tokio::test]
async fn own_messages_match_while_sending_and_once_acked() {
    let (store, _dir) = store().await;
    store.enqueue(&sending("c-local", "offline draft 草稿")).await.unwrap();
    let found = page(&store, "草稿", None, None, 5).await.results;
    assert_eq!((found.len(), found[0].message.status), (1, MessageStatus::Sending));
    store.mark_sent(ME, "c-local", 1, "m1", 10).await.unwrap();
    // The synced copy of the same message: still one match.
    let mut synced = wire(1, ME, "text", json!({"text": "offline draft 草稿"}));
    synced.client_msg_id = "c-local".into();
    store.store_wire(&synced, ME).await.unwrap();
    let found = page(&store, "offline", None, None, 5).await.results;
    assert_eq!((found.len(), found[0].message.seq, found[0].message.status), (1, Some(1), MessageStatus::Sent));
}

#[tokio::test]
async fn pages_run_newest_first_below_the_cursor_in_one_conversation_or_all() {
    let (store, _dir) = store().await;
    store.ensure_conversation(&ConvFacts::from_id(GROUP, ME)).await.unwrap();
    for seq in 1..=7 {
        text(&store, seq, &format!("deploy number {seq}")).await;
    }
    let mut elsewhere = wire(1, PEER, "text", json!({"text": "deploy elsewhere"}));
    elsewhere.conv = GROUP.into();
    elsewhere.client_msg_id = "c-elsewhere".into();
    elsewhere.ts = 1_004; // as old as seq 4 of the other conversation: the row id orders them
    store.store_wire(&elsewhere, ME).await.unwrap();

    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let p = page(&store, "deploy", Some(CONV), cursor.as_deref(), 3).await;
        sizes.push(p.results.len());
        walked.extend(p.results.iter().map(|h| h.message.seq.unwrap()));
        match p.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!((walked, sizes), (vec![7, 6, 5, 4, 3, 2, 1], vec![3, 3, 1]));
    let exact = page(&store, "deploy", Some(CONV), None, 7).await;
    assert_eq!((exact.results.len(), exact.next_cursor), (7, None), "no cursor when nothing is left");

    let all = page(&store, "deploy", None, None, 50).await.results;
    let order: Vec<_> = all.iter().map(|h| (h.message.conv.as_str(), h.message.seq.unwrap())).collect();
    assert_eq!(order[3..5], [(GROUP, 1), (CONV, 4)], "same time: the one stored later first");
    assert_eq!(order.len(), 8);
    assert!(page(&store, "deploy", Some("g:none"), None, 5).await.results.is_empty());
}

#[tokio::test]
async fn a_write_path_that_forgets_the_index_still_leaves_it_right() {
    let (store, _dir) = store().await;
    text(&store, 1, "before").await;
    // Straight SQL, no refresh: the triggers take the old text out at once and the search writes
    // the new one.
    sqlx::query("UPDATE messages SET body = '{\"text\":\"after\"}' WHERE seq = 1").execute(&store.pool).await.unwrap();
    sqlx::query(
        "INSERT INTO messages (conv, seq, sender, client_msg_id, kind, body, ts, status)
         VALUES (?, 2, ?, 'raw', 'text', '{\"text\":\"raw insert\"}', 2000, 'received')",
    )
    .bind(CONV)
    .bind(PEER)
    .execute(&store.pool)
    .await
    .unwrap();
    assert!(seqs(&store, "before").await.is_empty());
    assert_eq!(seqs(&store, "after").await, [1]);
    assert_eq!(seqs(&store, "raw").await, [2]);
    // Another user logs in here: the store is wiped, and the index with it.
    store.wipe().await.unwrap();
    assert!(seqs(&store, "after").await.is_empty());
    text(&store, 1, "after the wipe").await;
    assert_eq!(seqs(&store, "after").await, [1]);
}

#[tokio::test]
async fn a_store_from_before_the_index_is_filled_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The store as the SDK left it before local search: no index, messages in it.
        let store = Store::open(dir.path()).await.unwrap();
        for sql in [
            "DROP TRIGGER message_terms_on_insert",
            "DROP TRIGGER message_terms_on_update",
            "DROP TRIGGER message_terms_on_delete",
            "DROP TABLE message_terms_stale",
            "DROP TABLE message_terms",
            "PRAGMA user_version = 1",
        ] {
            sqlx::query(sql).execute(&store.pool).await.unwrap();
        }
        for (seq, text) in [(1, "新的部署方案已经发布"), (2, "deployment notes")] {
            sqlx::query(
                "INSERT INTO messages (conv, seq, sender, client_msg_id, kind, body, ts, status)
                 VALUES (?, ?, ?, ?, 'text', ?, ?, 'received')",
            )
            .bind(CONV)
            .bind(seq)
            .bind(PEER)
            .bind(format!("c{seq}"))
            .bind(json!({ "text": text }).to_string())
            .bind(1_000 + seq)
            .execute(&store.pool)
            .await
            .unwrap();
        }
        store.close().await;
    }
    for _ in 0..2 {
        // Reopened twice: filled once, never twice.
        let store = Store::open(dir.path()).await.unwrap();
        assert_eq!(seqs(&store, "部署方案").await, [1]);
        assert_eq!(seqs(&store, "deploy").await, [2]);
        let rows: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM message_terms WHERE message_terms MATCH 'wdeployment'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(rows, 1);
        let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&store.pool).await.unwrap();
        assert_eq!(version, 2);
        store.close().await;
    }
}
