//! Content rules before anything is stored: the administrators' word lists (reject, mask,
//! flag; Chinese forms, widths and separators; names and announcements too; a change applies on
//! every instance within a second) and the admin routes that keep them.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::helpers::{code, create_group, with_initial_admin};
use tidings_tests::{Backend, spawn_server_with};

/// Creates a list; answers its id.
pub async fn add_list(api: &Api, admin: &Login, name: &str, action: &str, words: &[&str]) -> String {
    let body = json!({"name": name, "action": action, "words": words});
    let (status, list) = api.call("POST", "/admin/v1/filters", Some(&admin.access_token), Some(body)).await;
    assert_eq!(status, 201, "{list}");
    let kept = words.iter().filter(|w| !w.trim().is_empty()).count();
    assert_eq!(list["word_count"], kept, "blank words are dropped, the rest kept: {list}");
    list["id"].as_str().unwrap().to_owned()
}

/// The texts of `conv` as `who` reads them, oldest first.
async fn texts(api: &Api, who: &Login, conv: &str) -> Vec<String> {
    api.all_messages(who, conv)
        .await
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["body"]["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn flagged(api: &Api, admin: &Login) -> Vec<Value> {
    let (status, page) = api.call("GET", "/admin/v1/flagged?limit=100", Some(&admin.access_token), None).await;
    assert_eq!(status, 200, "{page}");
    page["entries"].as_array().unwrap().clone()
}

/// Waits (bounded) until the review list holds `n` entries: flags are written beside the send.
async fn flagged_until(api: &Api, admin: &Login, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let entries = flagged(api, admin).await;
        if entries.len() >= n {
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the review list never reached {n} entries: {:?}", flagged(api, admin).await);
}

async fn word_lists_reject_mask_and_flag_messages(backend: Backend) {
    let srv = spawn_server_with(backend, with_initial_admin).await;
    let api = &srv.api;
    let root = api.login("root", "console").await;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    add_list(api, &root, "banned", "reject", &["法轮", "spam"]).await;
    add_list(api, &root, "rude", "mask", &["傻瓜", "damn"]).await;
    add_list(api, &root, "watch", "flag", &["merger"]).await;

    // Refused over REST and WebSocket: separators, width and case do not hide a word.
    for (i, text) in ["法 轮 功", "法-轮", "buy ＳＰＡＭ now", "S.P.A.M!"].iter().enumerate() {
        let (status, err) = api.send_text(&alice, &conv, &format!("r{i}"), text).await;
        assert_eq!((status, code(&err)), (403, Some("content_rejected")), "{text}: {err}");
    }
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let id = ws.send_text(&conv, "r-ws", "法轮").await;
    let (err, _) = ws.wait_for("error").await;
    assert_eq!((err["id"].as_str(), err["code"].as_str()), (Some(id.as_str()), Some("content_rejected")), "{err}");
    assert_eq!(texts(api, &bob, &conv).await, Vec::<String>::new(), "a refused send was stored");

    // Whole words only for Latin words; Chinese words anywhere.
    let allowed = ["spammer or not", "一个法律问题"];
    for (i, text) in allowed.iter().enumerate() {
        let (status, ack) = api.send_text(&alice, &conv, &format!("ok{i}"), text).await;
        assert_eq!(status, 201, "{text}: {ack}");
    }
    // Masked: stored and pushed with each character of the word as `*`, the rest as written.
    let mut bob_ws = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let (status, _) = api.send_text(&alice, &conv, "m1", "你个傻瓜, Damn it").await;
    assert_eq!(status, 201);
    let (push, _) = bob_ws.wait_for("msg").await;
    assert_eq!(push["message"]["body"]["text"], "你个**, **** it", "{push}");
    // Flagged: stored as written, and listed for review with where it was.
    let (status, _) = api.send_text(&alice, &conv, "f1", "the merger is off").await;
    assert_eq!(status, 201);
    assert_eq!(
        texts(api, &bob, &conv).await,
        ["spammer or not", "一个法律问题", "你个**, **** it", "the merger is off"]
    );
    let entries = flagged_until(api, &root, 1).await;
    let entry = &entries[0];
    assert_eq!(entry["subject"], "message", "{entry}");
    assert_eq!(entry["author"], alice.user_id.as_str(), "{entry}");
    assert_eq!(entry["conv"], conv.as_str(), "{entry}");
    assert_eq!(entry["reference"], "f1", "{entry}");
    assert_eq!(entry["lists"], json!(["watch"]), "{entry}");
    assert_eq!(entry["words"], json!(["merger"]), "{entry}");
    assert_eq!(entry["excerpt"], "the merger is off", "{entry}");

    // Edits pass the lists too.
    let (status, ack) = api.send_text(&alice, &conv, "e0", "draft").await;
    assert_eq!(status, 201);
    let seq = ack["seq"].as_u64().unwrap();
    let edit = json!({"type": "edit", "id": "ed1", "conv": conv, "seq": seq, "body": {"text": "more spam"}});
    ws.send(edit).await;
    let (err, _) = ws.wait_for("error").await;
    assert_eq!(err["code"], "content_rejected", "{err}");
    let edit = json!({"type": "edit", "id": "ed2", "conv": conv, "seq": seq, "body": {"text": "damn draft"}});
    ws.send(edit).await;
    ws.wait_for("ack").await;
    assert_eq!(texts(api, &bob, &conv).await.last().map(String::as_str), Some("**** draft"));
}

async fn names_and_announcements_pass_the_lists(backend: Backend) {
    let srv = spawn_server_with(backend, with_initial_admin).await;
    let api = &srv.api;
    let root = api.login("root", "console").await;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    add_list(api, &root, "banned", "reject", &["法轮"]).await;
    add_list(api, &root, "rude", "mask", &["傻瓜"]).await;
    add_list(api, &root, "watch", "flag", &["merger"]).await;

    let token = Some(alice.access_token.as_str());
    let (status, err) = api.call("PATCH", "/api/v1/me", token, Some(json!({"display_name": "法轮 fan"}))).await;
    assert_eq!((status, code(&err)), (403, Some("content_rejected")), "{err}");
    let (status, me) = api.call("PATCH", "/api/v1/me", token, Some(json!({"display_name": "大傻瓜"}))).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], "大**", "{me}");
    let (status, err) = api
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "carol", "password": "correct horse battery", "display_name": "法轮"})),
        )
        .await;
    assert_eq!((status, code(&err)), (403, Some("content_rejected")), "{err}");

    let admin = Some(root.access_token.as_str());
    let new_user = json!({"username": "dave", "password": "correct horse battery", "display_name": "法轮"});
    let (status, err) = api.call("POST", "/admin/v1/users", admin, Some(new_user)).await;
    assert_eq!((status, code(&err)), (403, Some("content_rejected")), "{err}");
    let new_user = json!({"username": "erin", "password": "correct horse battery", "display_name": "傻瓜 erin"});
    let (status, user) = api.call("POST", "/admin/v1/users", admin, Some(new_user)).await;
    assert_eq!((status, &user["display_name"]), (201, &json!("** erin")), "{user}");

    let gid = create_group(api, &alice, &[&bob], json!({"name": "傻瓜 club"})).await;
    let (status, group) = api.call("GET", &format!("/api/v1/groups/{gid}"), token, None).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["name"], "** club", "{group}");
    let path = format!("/api/v1/groups/{gid}");
    let (status, err) = api.call("PATCH", &path, token, Some(json!({"name": "法轮"}))).await;
    assert_eq!((status, code(&err)), (403, Some("content_rejected")), "{err}");
    let (status, group) = api.call("PATCH", &path, token, Some(json!({"announcement": "merger on Friday"}))).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["announcement"], "merger on Friday", "{group}");
    let entries = flagged_until(api, &root, 1).await;
    assert_eq!(entries[0]["subject"], "announcement", "{}", entries[0]);
    assert_eq!(entries[0]["author"], alice.user_id.as_str());
}

async fn admins_keep_the_lists(backend: Backend) {
    let srv = spawn_server_with(backend, with_initial_admin).await;
    let api = &srv.api;
    let root = api.login("root", "console").await;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let admin = Some(root.access_token.as_str());
    let id = add_list(api, &root, "banned", "reject", &["spam", " ", "法轮"]).await;

    let (status, page) = api.call("GET", "/admin/v1/filters", admin, None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["lists"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["lists"][0]["word_count"], 2, "{page}");
    assert!(page["lists"][0].get("words").is_none(), "a listing carries words: {page}");
    let (status, list) = api.call("GET", &format!("/admin/v1/filters/{id}"), admin, None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["words"], json!(["spam", "法轮"]), "{list}");

    // Replaced: the old word stops applying at once on this instance.
    let (status, err) = api.send_text(&alice, &conv, "a", "spam").await;
    assert_eq!((status, code(&err)), (403, Some("content_rejected")));
    let body = json!({"name": "banned", "action": "reject", "words": ["法轮"]});
    let (status, list) = api.call("PUT", &format!("/admin/v1/filters/{id}"), admin, Some(body)).await;
    assert_eq!(status, 200, "{list}");
    let (status, ack) = api.send_text(&alice, &conv, "b", "spam").await;
    assert_eq!(status, 201, "{ack}");

    // Bad input changes nothing.
    let long = "x".repeat(65);
    let bad = [
        json!({"name": "x", "action": "nuke", "words": ["a"]}),
        json!({"name": "", "action": "reject", "words": ["a"]}),
        json!({"name": "x", "action": "reject", "words": [long]}),
        json!({"name": "x", "action": "reject", "words": ["a\nb"]}),
        json!({"name": "x", "action": "reject"}),
    ];
    for body in bad {
        let (status, err) = api.call("POST", "/admin/v1/filters", admin, Some(body.clone())).await;
        assert_eq!((status, code(&err)), (400, Some("invalid_field")), "{body}: {err}");
    }
    // A word without a letter or digit could never match: dropped, like a blank one.
    let (status, list) = api
        .call(
            "POST",
            "/admin/v1/filters",
            admin,
            Some(json!({"name": "marks", "action": "flag", "words": ["!!!", "ok"]})),
        )
        .await;
    assert_eq!((status, &list["words"]), (201, &json!(["ok"])), "{list}");
    let (status, _) =
        api.call("DELETE", &format!("/admin/v1/filters/{}", list["id"].as_str().unwrap()), admin, None).await;
    assert_eq!(status, 204);
    let dup = json!({"name": "banned", "action": "mask", "words": ["x"]});
    let (status, err) = api.call("POST", "/admin/v1/filters", admin, Some(dup)).await;
    assert_eq!((status, code(&err)), (409, Some("conflict")), "{err}");
    let (status, err) = api.call_raw("/admin/v1/filters", admin, "text/plain", b"spam".to_vec()).await;
    assert_eq!((status, code(&err)), (415, Some("bad_json")), "{err}");
    let ok = json!({"name": "y", "action": "reject", "words": ["y"]});
    let (status, err) = api.call("POST", "/admin/v1/filters", Some(&alice.access_token), Some(ok)).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    let (status, page) = api.call("GET", "/admin/v1/filters", admin, None).await;
    assert_eq!((status, page["lists"].as_array().map(Vec::len)), (200, Some(1)), "{page}");

    // A large list: far past the server-wide body limit, stored in parts, loaded whole.
    let many: Vec<String> = (0..20_000).map(|i| format!("词{i:05}")).collect();
    let body = json!({"name": "large", "action": "mask", "words": many});
    let (status, list) = api.call("POST", "/admin/v1/filters", admin, Some(body)).await;
    assert_eq!((status, &list["word_count"]), (201, &json!(20_000)), "{}", list["error"]);
    let large = list["id"].as_str().unwrap().to_owned();
    let (status, list) = api.call("GET", &format!("/admin/v1/filters/{large}"), admin, None).await;
    assert_eq!((status, list["words"].as_array().map(Vec::len)), (200, Some(20_000)));
    assert_eq!(list["words"][19_999], "词19999");
    let (status, _) = api.send_text(&alice, &conv, "big", "see 词12345 and 词00000").await;
    assert_eq!(status, 201);
    let last = api.all_messages(&bob, &conv).await.pop().unwrap();
    assert_eq!(last["body"]["text"], "see ****** and ******", "{last}");
    let (status, _) = api.call("DELETE", &format!("/admin/v1/filters/{large}"), admin, None).await;
    assert_eq!(status, 204);

    let (status, _) = api.call("DELETE", &format!("/admin/v1/filters/{id}"), admin, None).await;
    assert_eq!(status, 204);
    let (status, err) = api.call("DELETE", &format!("/admin/v1/filters/{id}"), admin, None).await;
    assert_eq!((status, code(&err)), (404, Some("not_found")), "{err}");
    let (status, ack) = api.send_text(&alice, &conv, "c", "法轮").await;
    assert_eq!(status, 201, "{ack}");
}

/// A list made on one instance applies on the other within a second.
async fn a_change_applies_on_every_instance_within_a_second(backend: Backend) {
    let srv = spawn_server_with(backend, with_initial_admin).await;
    let Some(peer) = srv.peer().await else { return };
    let root = srv.api.login("root", "console").await;
    let alice = peer.api.user("alice", "a1").await;
    let bob = peer.api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let (status, _) = peer.api.send_text(&alice, &conv, "before", "rollout").await;
    assert_eq!(status, 201);
    add_list(&srv.api, &root, "banned", "reject", &["rollout"]).await;
    let made = Instant::now();
    let mut i = 0;
    loop {
        i += 1;
        let (status, _) = peer.api.send_text(&alice, &conv, &format!("try{i}"), "rollout").await;
        if status == 403 {
            break;
        }
        assert!(made.elapsed() < Duration::from_millis(1500), "the peer still allows it after {:?}", made.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(made.elapsed() < Duration::from_secs(1), "applied on the peer after {:?}", made.elapsed());
}

tidings_tests::both_modes!(
    word_lists_reject_mask_and_flag_messages,
    names_and_announcements_pass_the_lists,
    admins_keep_the_lists,
    a_change_applies_on_every_instance_within_a_second
);
