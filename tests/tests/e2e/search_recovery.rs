//! Indexing catches up: what a crash took from the indexer's queue (here: the index set back to
//! before the last changes, the indexer's record to the time before them and to a beat long
//! past, as a process that died leaves them) is replayed from the log at the next start.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tidings_domain::ConvId;
use tidings_domain::ports::{IndexChange, IndexerProgress, SearchIndex, SearchRecovery};
use tidings_domain::search::index_text;
use tidings_infrastructure::db::SqlSearchIndex;
use tidings_tests::client::direct;
use tidings_tests::{Backend, spawn_server};

use super::search::{finds, text};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

async fn a_restart_replays_what_a_crash_lost(backend: Backend) {
    let mut srv = spawn_server(backend).await;
    let alice = srv.api.user("alice", "a1").await;
    let bob = srv.api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let at = |seq: u64| (conv.clone(), seq);
    let api = &srv.api;
    let early = text(api, &alice, &conv, "c1", "harbor plan").await;
    let edited = text(api, &alice, &conv, "c2", "anchor old words").await;
    finds(api, &bob, "harbor", &[at(early)]).await;
    finds(api, &bob, "anchor", &[at(edited)]).await;

    // The changes the crash will lose: a new message and an edit.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cut = now_ms();
    let lost = text(api, &alice, &conv, "c3", "harbor lights 灯塔").await;
    let path = format!("/api/v1/conversations/{conv}/messages/{edited}/edit");
    let (status, ack) =
        api.call("POST", &path, Some(&alice.access_token), Some(json!({"body": {"text": "anchor new words"}}))).await;
    assert_eq!(status, 201, "{ack}");
    finds(api, &bob, "harbor", &[at(lost), at(early)]).await;
    finds(api, &bob, "new", &[at(edited)]).await;
    srv.drain().await;

    // The index as the crash left it.
    let settings = srv.settings();
    let url = settings.effective_database_url();
    let db = sea_orm::Database::connect(url.clone()).await.unwrap();
    let index = SqlSearchIndex::open(db, &url).await.unwrap();
    let c = ConvId::parse(&conv).unwrap();
    index
        .apply(&[
            IndexChange::Remove { conv: c.clone(), seq: lost },
            IndexChange::Put { conv: c, seq: edited, terms: index_text("anchor old words") },
        ])
        .await
        .unwrap();
    let records = index.progress().await.unwrap();
    assert_eq!(records.len(), 1, "one indexer ran: {records:?}");
    let dead = IndexerProgress { writer: records[0].writer.clone(), through: cut, beat: cut - 60_000 };
    index.mark(&dead).await.unwrap();
    drop(index);

    let srv = srv.restart().await;
    let api = &srv.api;
    finds(api, &bob, "灯塔", &[at(lost)]).await;
    finds(api, &bob, "harbor", &[at(lost), at(early)]).await;
    finds(api, &bob, "new", &[at(edited)]).await;
    // The dead indexer's record is gone once replayed; the new one keeps its own.
    let url = srv.settings().effective_database_url();
    let db = sea_orm::Database::connect(url.clone()).await.unwrap();
    let index = SqlSearchIndex::open(db, &url).await.unwrap();
    let writers: Vec<String> = index.progress().await.unwrap().into_iter().map(|p| p.writer).collect();
    assert!(!writers.contains(&dead.writer), "{writers:?}");
    assert_eq!(writers.len(), 1, "{writers:?}");
}

tidings_tests::both_modes!(a_restart_replays_what_a_crash_lost);
