//! Search beyond the words: the sender, time and kind filters; an administrator's compliance
//! search across every conversation and the audit record each one leaves.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, direct};
use tidings_tests::helpers::{code, create_group, send, with_initial_admin};
use tidings_tests::media::upload_ok;
use tidings_tests::{Backend, spawn_server, spawn_server_with};

use super::search::{escaped, finds, hits, text};

/// The `(conv, seq)` of every result of `GET {path}?q={query}{extra}` for `who` (the tests wait
/// for indexing with `finds` first).
async fn page(api: &Api, who: &Login, path: &str, query: &str, extra: &str) -> Vec<(String, u64)> {
    let (status, body) =
        api.call("GET", &format!("{path}?q={}{extra}", escaped(query)), Some(&who.access_token), None).await;
    assert_eq!(status, 200, "{query}{extra}: {body}");
    hits(&body)
}

async fn filters_narrow_by_sender_time_and_kind(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let at = |seq: u64| (conv.clone(), seq);
    let by_alice = text(api, &alice, &conv, "f1", "budget draft").await;
    let (status, ack) = send(api, &bob, &conv, "f2", "text", json!({"text": "budget reply"})).await;
    assert_eq!(status, 201, "{ack}");
    let (by_bob, bob_ts) = (ack["seq"].as_u64().unwrap(), ack["ts"].as_i64().unwrap());
    let file_id = upload_ok(api, &alice, "file", "application/pdf", b"%PDF-1.4 budget".to_vec()).await;
    let body = json!({"media_id": file_id, "name": "Budget-2027.pdf", "size": 15});
    let (status, ack) = send(api, &alice, &conv, "f3", "file", body).await;
    assert_eq!(status, 201, "{ack}");
    let file = ack["seq"].as_u64().unwrap();
    finds(api, &bob, "budget", &[at(file), at(by_bob), at(by_alice)]).await;

    let search = "/api/v1/search";
    let alice_id = &alice.user_id;
    assert_eq!(page(api, &bob, search, "budget", &format!("&from={alice_id}")).await, [at(file), at(by_alice)]);
    assert_eq!(page(api, &bob, search, "budget", "&kind=file").await, [at(file)]);
    assert_eq!(page(api, &bob, search, "budget", "&kind=text").await, [at(by_bob), at(by_alice)]);
    assert_eq!(page(api, &bob, search, "budget", &format!("&before={bob_ts}")).await.last(), Some(&at(by_alice)));
    assert!(!page(api, &bob, search, "budget", &format!("&after={bob_ts}")).await.contains(&at(by_bob)));
    let around = format!("&after={}&before={}", bob_ts - 1, bob_ts + 1);
    assert!(page(api, &bob, search, "budget", &around).await.contains(&at(by_bob)));
    assert_eq!(page(api, &bob, search, "budget", "&after=0&before=1").await, []);
    assert_eq!(page(api, &bob, search, "2027", "&kind=file").await, [at(file)]);

    for extra in ["&kind=custom", "&kind=edit", "&from=not%20a%20user", "&after=-1", "&before=x"] {
        let (status, err) = api.call("GET", &format!("{search}?q=budget{extra}"), Some(&bob.access_token), None).await;
        assert_eq!((status, code(&err)), (400, Some("invalid_field")), "{extra}: {err}");
    }
}

async fn audit_entries(api: &Api, admin: &Login) -> Vec<Value> {
    let (status, body) = api.call("GET", "/admin/v1/audit?limit=100", Some(&admin.access_token), None).await;
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().unwrap().clone()
}

async fn admins_search_everything_and_every_search_is_audited(backend: Backend) {
    let srv = spawn_server_with(backend, with_initial_admin).await;
    let api = &srv.api;
    let root = api.login("root", "console").await;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dm = direct(&alice.user_id, &bob.user_id);
    let gid = create_group(api, &bob, &[&carol], json!({})).await;
    let group = format!("g:{gid}");
    let in_dm = text(api, &alice, &dm, "x1", "merger 并购 terms").await;
    let in_group = text(api, &carol, &group, "x2", "merger rumours").await;
    // Indexed: the members find their own.
    finds(api, &carol, "merger", &[(group.clone(), in_group)]).await;
    finds(api, &alice, "merger", &[(dm.clone(), in_dm)]).await;

    let admin = "/admin/v1/search";
    assert_eq!(page(api, &root, admin, "merger", "").await, [(group.clone(), in_group), (dm.clone(), in_dm)]);
    assert_eq!(page(api, &root, admin, "并购", "").await, [(dm.clone(), in_dm)]);
    assert_eq!(page(api, &root, admin, "merger", &format!("&conv={group}&limit=5")).await, [(group.clone(), in_group)]);
    let carol_id = &carol.user_id;
    assert_eq!(page(api, &root, admin, "merger", &format!("&from={carol_id}")).await, [(group.clone(), in_group)]);

    // Every search is in the audit log, newest first, with who asked and what exactly.
    let entries = audit_entries(api, &root).await;
    assert_eq!(entries.len(), 4, "{entries:?}");
    let newest = &entries[0];
    assert_eq!(newest["action"], "search");
    assert_eq!(newest["actor"], root.user_id.as_str());
    assert_eq!(newest["detail"]["q"], "merger");
    assert_eq!(newest["detail"]["from"], carol_id.as_str());
    assert!(newest["at"].as_i64().is_some_and(|t| t > 0), "{newest}");
    assert_eq!(entries[1]["detail"]["conv"], group.as_str());
    assert_eq!(entries[1]["detail"]["limit"], 5);
    assert_eq!(entries[2]["detail"]["q"], "并购");
    let ids: Vec<u64> = entries.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    // Paged with a cursor.
    let (_, first) = api.call("GET", "/admin/v1/audit?limit=3", Some(&root.access_token), None).await;
    let cursor = first["next_cursor"].as_str().expect("a cursor after a full page").to_owned();
    let (_, rest) = api.call("GET", &format!("/admin/v1/audit?cursor={cursor}"), Some(&root.access_token), None).await;
    assert_eq!(rest["entries"].as_array().map(Vec::len), Some(1), "{rest}");
    assert_eq!(rest["entries"][0]["id"], entries[3]["id"]);

    // A refused query leaves no record; users may neither search everything nor read the log.
    let (status, err) = api.call("GET", &format!("{admin}?q=%20"), Some(&root.access_token), None).await;
    assert_eq!((status, code(&err)), (400, Some("invalid_field")), "{err}");
    for path in [format!("{admin}?q=merger"), "/admin/v1/audit".to_owned()] {
        let (status, err) = api.call("GET", &path, Some(&alice.access_token), None).await;
        assert_eq!((status, code(&err)), (403, Some("forbidden")), "{path}: {err}");
        assert_eq!(api.call("GET", &path, None, None).await.0, 401, "{path}");
    }
    assert_eq!(audit_entries(api, &root).await.len(), 4);
}

tidings_tests::both_modes!(
    filters_narrow_by_sender_time_and_kind,
    admins_search_everything_and_every_search_is_audited
);
