//! Group administration by enterprise admins (`/admin/v1/groups`): search, create for an owner,
//! members, roles, announcements and dissolution, each recorded as a notice; nobody else may call
//! these routes.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient};
use tidings_tests::helpers::{code, until_notice, with_initial_admin};
use tidings_tests::{Backend, spawn_server_with};

async fn call(api: &Api, who: &Login, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    api.call(method, path, Some(&who.access_token), body).await
}

async fn admin_manages_groups(backend: Backend) {
    let srv = spawn_server_with(backend, with_initial_admin).await;
    let api = &srv.api;
    let root = api.login("root", "console").await;
    let owner = api.user("owner", "o1").await;
    let m1 = api.user("member-one", "m1").await;
    let m2 = api.user("member-two", "m2").await;
    let plain = api.user("plain", "p1").await;
    let mut m1_ws = WsClient::connect(&srv.ws_url(), &m1.access_token).await;

    // Create for an owner.
    let (status, g) = call(
        api,
        &root,
        "POST",
        "/admin/v1/groups",
        Some(json!({"owner": owner.user_id, "name": "Finance team", "members": [m1.user_id]})),
    )
    .await;
    assert_eq!(status, 201, "{g}");
    assert_eq!((g["owner"].as_str(), g["member_count"].as_u64()), (Some(owner.user_id.as_str()), Some(2)));
    let gid = g["group_id"].as_str().unwrap().to_owned();
    let base = format!("/admin/v1/groups/{gid}");
    assert_eq!(until_notice(&mut m1_ws, "created").await["body"]["actor"], owner.user_id.as_str());
    let (_, mine) = call(api, &owner, "GET", &format!("/api/v1/groups/{gid}"), None).await;
    assert_eq!(mine["me"]["role"], "owner");

    // Search by name part and by id; pages.
    let (_, other) =
        call(api, &root, "POST", "/admin/v1/groups", Some(json!({"owner": plain.user_id, "name": "Sales"}))).await;
    let (_, found) = call(api, &root, "GET", "/admin/v1/groups?q=FINANCE", None).await;
    let ids: Vec<&str> = found["groups"].as_array().unwrap().iter().map(|g| g["group_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![gid.as_str()], "{found}");
    let (_, by_id) =
        call(api, &root, "GET", &format!("/admin/v1/groups?q={}", other["group_id"].as_str().unwrap()), None).await;
    assert_eq!(by_id["groups"][0]["name"], "Sales");
    let (_, page) = call(api, &root, "GET", "/admin/v1/groups?limit=1", None).await;
    let next = page["next_after"].as_str().unwrap().to_owned();
    let (_, rest) = call(api, &root, "GET", &format!("/admin/v1/groups?limit=1&after={next}"), None).await;
    assert_eq!(page["groups"].as_array().unwrap().len() + rest["groups"].as_array().unwrap().len(), 2);
    assert_ne!(page["groups"][0]["group_id"], rest["groups"][0]["group_id"]);

    // Members and roles.
    let (status, body) =
        call(api, &root, "POST", &format!("{base}/members"), Some(json!({"user_ids": [m2.user_id, m1.user_id]}))).await;
    assert_eq!((status, body["added"].clone()), (200, json!([m2.user_id])), "{body}");
    let joined = until_notice(&mut m1_ws, "joined").await["body"].clone();
    assert_eq!((joined["via"].as_str(), joined["actor"].as_str()), (Some("admin"), Some(root.user_id.as_str())));
    let (status, body) =
        call(api, &root, "PUT", &format!("{base}/members/{}/role", m1.user_id), Some(json!({"role": "admin"}))).await;
    assert_eq!((status, body["role"].as_str()), (200, Some("admin")), "{body}");
    let (status, body) =
        call(api, &root, "PUT", &format!("{base}/members/{}/role", m2.user_id), Some(json!({"role": "owner"}))).await;
    assert_eq!((status, body["role"].as_str()), (200, Some("owner")), "{body}");
    let (_, members) = call(api, &root, "GET", &format!("{base}/members"), None).await;
    let role_of = |u: &Login| {
        members["members"].as_array().unwrap().iter().find(|m| m["user_id"] == u.user_id.as_str()).unwrap()["role"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!((role_of(&owner), role_of(&m1), role_of(&m2)), ("admin".into(), "admin".into(), "owner".into()));
    let (status, body) = call(api, &root, "DELETE", &format!("{base}/members/{}", m2.user_id), None).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")), "the owner cannot be removed");
    let (status, _) = call(api, &root, "DELETE", &format!("{base}/members/{}", m1.user_id), None).await;
    assert_eq!(status, 204);
    let kicked = until_notice(&mut m1_ws, "kicked").await["body"].clone();
    assert_eq!(kicked["users"][0], m1.user_id.as_str());

    // Announcement, then dissolution.
    let (status, body) =
        call(api, &root, "PUT", &format!("{base}/announcement"), Some(json!({"announcement": "Q4 close on Friday"})))
            .await;
    assert_eq!((status, body["announcement"].as_str()), (200, Some("Q4 close on Friday")), "{body}");
    let history = api.all_messages(&owner, &format!("g:{gid}")).await;
    let events: Vec<&str> = history.iter().filter_map(|m| m["body"]["event"].as_str()).collect();
    assert_eq!(events, vec!["created", "joined", "role_changed", "owner_transferred", "kicked", "announcement"]);

    // Nobody else may use these routes, and refusals change nothing.
    let before = call(api, &root, "GET", &base, None).await.1;
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/admin/v1/groups".into(), None),
        ("POST", "/admin/v1/groups".into(), Some(json!({"owner": plain.user_id, "name": "x"}))),
        ("GET", base.clone(), None),
        ("DELETE", base.clone(), None),
        ("GET", format!("{base}/members"), None),
        ("POST", format!("{base}/members"), Some(json!({"user_ids": [plain.user_id]}))),
        ("DELETE", format!("{base}/members/{}", owner.user_id), None),
        ("PUT", format!("{base}/members/{}/role", owner.user_id), Some(json!({"role": "owner"}))),
        ("PUT", format!("{base}/announcement"), Some(json!({"announcement": "hijacked"}))),
    ];
    for (method, path, body) in &routes {
        for who in [&plain, &m2] {
            let (status, resp) = call(api, who, method, path, body.clone()).await;
            assert_eq!((status, code(&resp)), (403, Some("forbidden")), "{method} {path}: {resp}");
        }
        let (status, resp) = api.call(method, path, None, body.clone()).await;
        assert_eq!((status, code(&resp)), (401, Some("unauthorized")), "{method} {path}: {resp}");
    }
    assert_eq!(call(api, &root, "GET", &base, None).await.1, before, "refused calls changed nothing");

    let (status, body) = call(api, &root, "GET", "/admin/v1/groups/g_00000000000000000000000000", None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));
    let (status, body) =
        call(api, &root, "POST", "/admin/v1/groups", Some(json!({"owner": "u_NOBODY", "name": "x"}))).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));
    let (status, _) = call(api, &root, "DELETE", &base, None).await;
    assert_eq!(status, 204);
    let (status, body) = call(api, &root, "DELETE", &base, None).await;
    assert_eq!((status, code(&body)), (410, Some("group_dissolved")));
    let (status, body) = call(
        api,
        &owner,
        "POST",
        &format!("/api/v1/conversations/g:{gid}/messages"),
        Some(json!({"client_msg_id": "late", "kind": "text", "body": {"text": "hi"}})),
    )
    .await;
    assert_eq!((status, code(&body)), (410, Some("group_dissolved")));
}

tidings_tests::both_modes!(admin_manages_groups);
