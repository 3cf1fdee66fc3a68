//! Search: Chinese substrings, word prefixes and mixed text; only what the caller may read
//! (strangers, a newcomer to a group with hidden history, a removed member); recall and edit;
//! paging; bad queries.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_infrastructure::db::SqlSearchIndex;
use tidings_tests::client::{Api, Login, direct};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::{Backend, spawn_server};

pub(crate) async fn search(api: &Api, who: &Login, query: &str) -> (u16, Value) {
    api.call("GET", &format!("/api/v1/search?q={}", escaped(query)), Some(&who.access_token), None).await
}

/// `query` as a URL's query value: every byte but ASCII letters and digits escaped.
pub(crate) fn escaped(query: &str) -> String {
    query
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The `(conv, seq)` of every result of `query`, in order.
async fn found(api: &Api, who: &Login, query: &str) -> Vec<(String, u64)> {
    let (status, page) = search(api, who, query).await;
    assert_eq!(status, 200, "{query}: {page}");
    hits(&page)
}

/// The `(conv, seq)` of every result on a page, in order.
pub(crate) fn hits(page: &Value) -> Vec<(String, u64)> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["message"]["conv"].as_str().unwrap().to_owned(), r["message"]["seq"].as_u64().unwrap()))
        .collect()
}

/// Polls until `query` finds exactly `want` for `who` (indexing runs after commit), at most 5 s.
pub(crate) async fn finds(api: &Api, who: &Login, query: &str, want: &[(String, u64)]) {
    let mut got = Vec::new();
    for _ in 0..100 {
        got = found(api, who, query).await;
        if got == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{query}: wanted {want:?}, found {got:?}");
}

pub(crate) async fn text(api: &Api, who: &Login, conv: &str, id: &str, text: &str) -> u64 {
    let (status, ack) = send(api, who, conv, id, "text", json!({ "text": text })).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

async fn cjk_latin_and_mixed_text_match_newest_first(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let at = |seq: u64| (conv.clone(), seq);
    let plan = text(api, &alice, &conv, "m1", "新的部署方案已经发布").await;
    let doc = text(api, &bob, &conv, "m2", "请看部署文档, deployment notes").await;
    let mixed = text(api, &alice, &conv, "m3", "Deployment plan 部署方案 v2").await;
    let other = text(api, &bob, &conv, "m4", "lunch at noon?").await;
    let (status, ack) = send(api, &alice, &conv, "m5", "custom", json!({"text": "部署方案 in a custom body"})).await;
    assert_eq!(status, 201, "{ack}");

    finds(api, &bob, "部署方案", &[at(mixed), at(plan)]).await;
    finds(api, &bob, "部署", &[at(mixed), at(doc), at(plan)]).await;
    finds(api, &alice, "deploy", &[at(mixed), at(doc)]).await;
    finds(api, &alice, "DEPLOYMENT 部署", &[at(mixed), at(doc)]).await;
    finds(api, &alice, "lunch", &[at(other)]).await;
    // A reversed phrase is not the phrase; a word matches at its start only.
    finds(api, &alice, "方案部署", &[]).await;
    finds(api, &alice, "ployment", &[]).await;

    // The snippet is the message's text with the matches marked.
    let (_, page) = search(api, &bob, "部署方案").await;
    let first = &page["results"][1];
    assert_eq!(first["snippet"], "新的部署方案已经发布");
    assert_eq!(first["highlights"], json!([[2, 6]]));
    assert_eq!(first["message"]["body"]["text"], "新的部署方案已经发布");
}

async fn only_what_the_caller_may_read(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    let group = format!("g:{gid}");
    let early = text(api, &alice, &group, "g1", "quarterly budget 预算").await;
    let dm = direct(&alice.user_id, &bob.user_id);
    let private = text(api, &alice, &dm, "d1", "budget for bob only").await;
    finds(api, &carol, "budget", &[(group.clone(), early)]).await;
    finds(api, &bob, "budget", &[(dm.clone(), private), (group.clone(), early)]).await;
    // A stranger finds nothing; asking for a conversation of others is refused.
    finds(api, &dave, "budget", &[]).await;
    let (status, err) =
        api.call("GET", &format!("/api/v1/search?q=budget&conv={group}"), Some(&dave.access_token), None).await;
    assert_eq!((status, code(&err)), (403, Some("not_member")), "{err}");

    // A newcomer (history hidden by default) finds only what came after joining.
    let members = format!("/api/v1/groups/{gid}/members");
    let (status, added) =
        api.call("POST", &members, Some(&alice.access_token), Some(json!({"user_ids": [dave.user_id]}))).await;
    assert_eq!(status, 200, "{added}");
    let later = text(api, &alice, &group, "g2", "budget approved 预算通过").await;
    finds(api, &dave, "budget", &[(group.clone(), later)]).await;
    finds(api, &dave, "预算", &[(group.clone(), later)]).await;

    // A removed member keeps what they could see up to the removal, nothing after.
    let kick = format!("{members}/{}", carol.user_id);
    assert_eq!(api.call("DELETE", &kick, Some(&alice.access_token), None).await.0, 204);
    let after = text(api, &alice, &group, "g3", "budget final").await;
    finds(api, &carol, "budget", &[(group.clone(), later), (group.clone(), early)]).await;
    finds(api, &bob, "budget final", &[(group.clone(), after)]).await;
}

async fn recall_edit_paging_and_bad_queries(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let at = |seq: u64| (conv.clone(), seq);
    let gone = text(api, &alice, &conv, "r1", "secret launch date").await;
    let changed = text(api, &alice, &conv, "e1", "meeting on monday").await;
    finds(api, &bob, "launch", &[at(gone)]).await;
    finds(api, &bob, "monday", &[at(changed)]).await;
    let path = format!("/api/v1/conversations/{conv}/messages/{gone}/recall");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), None).await.0, 201);
    finds(api, &bob, "launch", &[]).await;
    let path = format!("/api/v1/conversations/{conv}/messages/{changed}/edit");
    let (status, ack) =
        api.call("POST", &path, Some(&alice.access_token), Some(json!({"body": {"text": "meeting on tuesday"}}))).await;
    assert_eq!(status, 201, "{ack}");
    finds(api, &bob, "tuesday", &[at(changed)]).await;
    finds(api, &bob, "monday", &[]).await;

    let mut seqs = Vec::new();
    for i in 0..7 {
        seqs.push(text(api, &bob, &conv, &format!("p{i}"), &format!("page item {i}")).await);
    }
    let newest_first: Vec<(String, u64)> = seqs.iter().rev().map(|&s| at(s)).collect();
    finds(api, &alice, "item", &newest_first).await;
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, page) =
            api.call("GET", &format!("/api/v1/search?q=item&limit=3{after}"), Some(&alice.access_token), None).await;
        assert_eq!(status, 200, "{page}");
        let seqs: Vec<u64> =
            page["results"].as_array().unwrap().iter().map(|r| r["message"]["seq"].as_u64().unwrap()).collect();
        assert!(seqs.len() <= 3, "{page}");
        pages.extend(seqs.into_iter().map(&at));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages.len() <= 7, "paging never ends: {pages:?}");
    }
    assert_eq!(pages, newest_first);

    // Query syntax is text; nothing searchable, too long, bad cursors and limits are refused.
    for q in ["\"item\" OR (page*) -x", "item NEAR/2 page; DROP TABLE messages; --"] {
        assert_eq!(search(api, &alice, q).await.0, 200, "{q}");
    }
    for q in ["", " ,.!? ", "a b", &"长".repeat(101)] {
        let (status, err) = search(api, &alice, q).await;
        assert_eq!((status, code(&err)), (400, Some("invalid_field")), "{q:?}: {err}");
    }
    for extra in ["&cursor=x", "&limit=0", "&limit=51", &format!("&q2={}", "x")] {
        let (status, err) =
            api.call("GET", &format!("/api/v1/search?q=item{extra}"), Some(&alice.access_token), None).await;
        assert_eq!((status, code(&err)), (400, Some("invalid_field")), "{extra}: {err}");
    }
    let (status, err) = api.call("GET", "/api/v1/search?q=item&conv=nonsense", Some(&alice.access_token), None).await;
    assert_eq!((status, code(&err)), (404, Some("unknown_conversation")), "{err}");
    assert_eq!(api.call("GET", "/api/v1/search?q=item", None, None).await.0, 401);
}

/// `tidings search reindex` puts back a wiped index as live indexing left it: edits by their
/// current text, recalled messages out.
async fn reindex_rebuilds_a_wiped_index(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let gid = create_group(api, &alice, &[&bob], json!({})).await;
    let group = format!("g:{gid}");
    let kept = text(api, &alice, &conv, "k1", "roadmap 路线图 draft").await;
    let in_group = text(api, &bob, &group, "k2", "roadmap review").await;
    let edited = text(api, &alice, &conv, "k3", "roadmap old wording").await;
    let recalled = text(api, &alice, &conv, "k4", "roadmap leak").await;
    let path = format!("/api/v1/conversations/{conv}/messages/{edited}/edit");
    let body = json!({"body": {"text": "new wording"}});
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), Some(body)).await.0, 201);
    let path = format!("/api/v1/conversations/{conv}/messages/{recalled}/recall");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), None).await.0, 201);
    let live = vec![(group.clone(), in_group), (conv.clone(), kept)];
    finds(api, &bob, "roadmap", &live).await;
    finds(api, &bob, "wording", &[(conv.clone(), edited)]).await;

    // Wiped: nothing is found.
    let settings = srv.settings();
    let url = settings.effective_database_url();
    let db = sea_orm::Database::connect(url.clone()).await.unwrap();
    let index = SqlSearchIndex::open(db, &url).await.unwrap();
    index.clear().await.unwrap();
    finds(api, &bob, "roadmap", &[]).await;

    let done = tidings_interfaces::startup::search_reindex(&settings).await.unwrap();
    // k1, k2 and the edited k3 (stored with its new text) are put, the edit entry puts k3 again,
    // the recall entry removes k4 (stored as `recalled`, which is not indexed).
    assert_eq!((done.conversations, done.changes), (2, 5), "{done:?}");
    finds(api, &bob, "roadmap", &live).await;
    finds(api, &bob, "wording", &[(conv.clone(), edited)]).await;
    finds(api, &bob, "路线图", &[(conv.clone(), kept)]).await;
    finds(api, &bob, "leak", &[]).await;
}

/// Searches spend a per-user budget.
async fn searches_are_rate_limited(backend: Backend) {
    let srv = tidings_tests::spawn_server_with(backend, |s| {
        s.limits.search_per_sec = 0.01;
        s.limits.search_burst = 2;
    })
    .await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    for _ in 0..2 {
        assert_eq!(search(api, &alice, "anything").await.0, 200);
    }
    let (status, err) = search(api, &alice, "anything").await;
    assert_eq!((status, code(&err)), (429, Some("rate_limited")), "{err}");
    assert!(err["error"]["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0), "{err}");
}

tidings_tests::both_modes!(
    reindex_rebuilds_a_wiped_index,
    searches_are_rate_limited,
    cjk_latin_and_mixed_text_match_newest_first,
    only_what_the_caller_may_read,
    recall_edit_paging_and_bad_queries
);
