//! The admin API `/admin/v1` over real HTTP and WebSocket: the first admin (setting and CLI),
//! user search, creation, disable/enable, password reset, role changes, stats, and who may
//! call what.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Api, Closed, Login, PASSWORD, WsClient, direct};
use tidings_tests::helpers::{code, with_initial_admin};
use tidings_tests::{Backend, TestServer, spawn_server, spawn_server_with};

const BIN: &str = env!("CARGO_BIN_EXE_tidings-e2e-server");

/// A server whose first admin `root` comes from the settings, and root logged in.
async fn server_with_admin(backend: Backend) -> (TestServer, Login) {
    let srv = spawn_server_with(backend, with_initial_admin).await;
    let root = srv.api.login("root", "console").await;
    (srv, root)
}

async fn stats(api: &Api, admin: &Login) -> Value {
    let (status, body) = api.call("GET", "/admin/v1/stats", Some(&admin.access_token), None).await;
    assert_eq!(status, 200, "stats: {body}");
    body
}

/// Polls the stats until `online_devices` is `want` (disconnects are processed asynchronously).
async fn wait_online(api: &Api, admin: &Login, want: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = stats(api, admin).await;
        if s["online_devices"] == want || tokio::time::Instant::now() > deadline {
            assert_eq!(s["online_devices"], want, "{s}");
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn search(api: &Api, admin: &Login, query: &str) -> Vec<Value> {
    let (status, body) = api.call("GET", &format!("/admin/v1/users?{query}"), Some(&admin.access_token), None).await;
    assert_eq!(status, 200, "search {query}: {body}");
    body["users"].as_array().cloned().unwrap_or_default()
}

async fn login_raw(api: &Api, username: &str, password: &str) -> (u16, Value) {
    api.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"username": username, "password": password, "device_id": "d9", "platform": "web"})),
    )
    .await
}

async fn admin_lifecycle(backend: Backend) {
    let (srv, root) = server_with_admin(backend).await;
    let api = &srv.api;
    let t = Some(root.access_token.as_str());

    // The first admin from the settings is an admin; the system account exists and cannot log in.
    let (status, me) = api.call("GET", &format!("/admin/v1/users/{}", root.user_id), t, None).await;
    assert_eq!((status, me["role"].as_str(), me["disabled"].as_bool()), (200, Some("admin"), Some(false)), "{me}");
    let (status, sys) = api.call("GET", "/admin/v1/users/u_00000000000000000000000000", t, None).await;
    assert_eq!((status, sys["role"].as_str(), sys["username"].as_str()), (200, Some("system"), Some("system")));
    assert_eq!(code(&login_raw(api, "system", "anything-at-all").await.1), Some("invalid_credentials"));
    // Registering the system account's name is refused like any taken name.
    let (status, _) = api
        .call("POST", "/api/v1/auth/register", None, Some(json!({"username": "system", "password": PASSWORD})))
        .await;
    assert_eq!(status, 409);

    // People register; alice is online on her phone and sends bob two messages.
    let alice = api.user("alice", "phone").await;
    let bob = api.user("bob", "laptop").await;
    let mut alice_ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let conv = direct(&alice.user_id, &bob.user_id);
    for i in 0..2 {
        let (status, body) = api
            .call(
                "POST",
                &format!("/api/v1/conversations/{conv}/messages"),
                Some(&alice.access_token),
                Some(json!({"client_msg_id": format!("m{i}"), "kind": "text", "body": {"text": "hi"}})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    // Create accounts: a user, an admin, a bot (which has no password and cannot log in).
    let (status, carol) = api
        .call(
            "POST",
            "/admin/v1/users",
            t,
            Some(json!({"username": "carol", "password": PASSWORD, "display_name": "Carol Ng", "role": "admin"})),
        )
        .await;
    assert_eq!((status, carol["role"].as_str()), (201, Some("admin")), "{carol}");
    let (status, bot) =
        api.call("POST", "/admin/v1/users", t, Some(json!({"username": "alerts-bot", "role": "bot"}))).await;
    assert_eq!((status, bot["role"].as_str()), (201, Some("bot")), "{bot}");
    assert_eq!(code(&login_raw(api, "alerts-bot", PASSWORD).await.1), Some("invalid_credentials"));
    let (status, body) =
        api.call("POST", "/admin/v1/users", t, Some(json!({"username": "dave", "role": "user"}))).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")), "a user needs a password");
    let (status, body) =
        api.call("POST", "/admin/v1/users", t, Some(json!({"username": "alice", "password": PASSWORD}))).await;
    assert_eq!((status, code(&body)), (409, Some("username_taken")));
    let (status, body) = api
        .call("POST", "/admin/v1/users", t, Some(json!({"username": "eve", "password": PASSWORD, "role": "system"})))
        .await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));

    // Search by username and display name; page through everyone with a small page size.
    let found = search(api, &root, "q=ali").await;
    assert_eq!(found.iter().map(|u| u["username"].as_str().unwrap()).collect::<Vec<_>>(), ["alice"]);
    let found = search(api, &root, "q=Carol%20N").await;
    assert_eq!(found.len(), 1, "display-name search: {found:?}");
    assert_eq!(search(api, &root, "q=%25").await.len(), 0, "LIKE wildcards are literal");
    let mut everyone = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = api.call("GET", &format!("/admin/v1/users?limit=2{cursor}"), t, None).await;
        assert_eq!(status, 200, "{page}");
        let users = page["users"].as_array().unwrap();
        assert!(users.len() <= 2);
        everyone.extend(users.iter().map(|u| u["username"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    everyone.sort();
    assert_eq!(everyone, ["alerts-bot", "alice", "bob", "carol", "root", "system"]);
    let (status, body) = api.call("GET", "/admin/v1/users?limit=100000", t, None).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")), "page size is bounded");

    // Stats match what happened: 5 accounts besides the system, alice's one socket, 2 messages.
    let s = wait_online(api, &root, 1).await;
    assert_eq!((s["users"].as_u64(), s["messages_today"].as_u64()), (Some(5), Some(2)), "{s}");

    // Disable alice: her socket closes, her tokens and her login are refused.
    let (status, body) = api.call("POST", &format!("/admin/v1/users/{}/disable", alice.user_id), t, None).await;
    assert_eq!((status, body["disabled"].as_bool()), (200, Some(true)), "{body}");
    assert_eq!(alice_ws.closed().await, Closed::Code(1008));
    let (status, body) = api.call("GET", "/api/v1/me", Some(&alice.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("account_disabled")), "{body}");
    let (status, body) =
        api.call("POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": alice.refresh_token}))).await;
    assert_eq!((status, code(&body)), (403, Some("account_disabled")), "{body}");
    let (status, body) = login_raw(api, "alice", PASSWORD).await;
    assert_eq!((status, code(&body)), (403, Some("account_disabled")), "{body}");
    assert_eq!(code(&login_raw(api, "alice", "wrong-password").await.1), Some("invalid_credentials"));
    assert_eq!(WsClient::try_connect(&srv.ws_url(), &alice.access_token).await.err(), Some(403));
    wait_online(api, &root, 0).await;
    let (_, listed) = api.call("GET", &format!("/admin/v1/users/{}", alice.user_id), t, None).await;
    assert!(listed["disabled_at"].as_i64().is_some(), "{listed}");

    // Enable: she logs in again (old sessions stay revoked).
    let (status, body) = api.call("POST", &format!("/admin/v1/users/{}/enable", alice.user_id), t, None).await;
    assert_eq!((status, body["disabled"].as_bool()), (200, Some(false)));
    assert_eq!(api.call("GET", "/api/v1/me", Some(&alice.access_token), None).await.0, 401);
    let alice = api.login("alice", "phone").await;
    let mut alice_ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;

    // Reset her password: sessions revoked (socket closed), old password refused, new one works.
    let (status, _) = api
        .call(
            "POST",
            &format!("/admin/v1/users/{}/password", alice.user_id),
            t,
            Some(json!({"password": "brand-new-secret"})),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(alice_ws.closed().await, Closed::Code(1008));
    let (status, body) = api.call("GET", "/api/v1/me", Some(&alice.access_token), None).await;
    assert_eq!((status, code(&body)), (401, Some("unauthorized")));
    assert_eq!(code(&login_raw(api, "alice", PASSWORD).await.1), Some("invalid_credentials"));
    assert_eq!(login_raw(api, "alice", "brand-new-secret").await.0, 200);
    let (status, body) = api
        .call(
            "POST",
            &format!("/admin/v1/users/{}/password", bot["user_id"].as_str().unwrap()),
            t,
            Some(json!({"password": "brand-new-secret"})),
        )
        .await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")), "bots have no password");

    // Role changes take effect on the next request, with the same token.
    assert_eq!(api.call("GET", "/admin/v1/stats", Some(&bob.access_token), None).await.0, 403);
    let role = |r: &str| Some(json!({"role": r}));
    let (status, body) = api.call("PUT", &format!("/admin/v1/users/{}/role", bob.user_id), t, role("admin")).await;
    assert_eq!((status, body["role"].as_str()), (200, Some("admin")));
    assert_eq!(api.call("GET", "/admin/v1/stats", Some(&bob.access_token), None).await.0, 200);
    let (status, _) = api.call("PUT", &format!("/admin/v1/users/{}/role", bob.user_id), t, role("user")).await;
    assert_eq!(status, 200);
    let (status, body) = api.call("GET", "/admin/v1/stats", Some(&bob.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")));
    let (status, body) = api.call("PUT", &format!("/admin/v1/users/{}/role", bob.user_id), t, role("system")).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));

    // Guard rails: no admin disables or demotes themself; the system account cannot be changed.
    let (status, body) = api.call("POST", &format!("/admin/v1/users/{}/disable", root.user_id), t, None).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")));
    let (status, body) = api.call("PUT", &format!("/admin/v1/users/{}/role", root.user_id), t, role("user")).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")));
    let (status, body) = api.call("POST", "/admin/v1/users/u_00000000000000000000000000/disable", t, None).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")));
    let (status, body) = api.call("GET", "/admin/v1/users/u_NOBODY", t, None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));

    // A disabled admin is refused on the admin API too.
    let carol_login = api.login("carol", "c1").await;
    assert_eq!(api.call("GET", "/admin/v1/stats", Some(&carol_login.access_token), None).await.0, 200);
    api.call("POST", &format!("/admin/v1/users/{}/disable", carol["user_id"].as_str().unwrap()), t, None).await;
    let (status, body) = api.call("GET", "/admin/v1/stats", Some(&carol_login.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("account_disabled")));

    // The initial admin is created once: a restart with the setting changes nothing.
    let root_id = root.user_id.clone();
    let srv = srv.restart().await;
    let root = srv.api.login("root", "console").await;
    assert_eq!(root.user_id, root_id);
    assert_eq!(search(&srv.api, &root, "q=root").await.len(), 1);
}

/// Every admin route, with a body that would be valid for an admin.
fn admin_routes(target: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/admin/v1/users".into(), None),
        ("GET", "/admin/v1/users?q=a&limit=5".into(), None),
        ("POST", "/admin/v1/users".into(), Some(json!({"username": "mallory", "password": PASSWORD}))),
        ("GET", format!("/admin/v1/users/{target}"), None),
        ("POST", format!("/admin/v1/users/{target}/disable"), None),
        ("POST", format!("/admin/v1/users/{target}/enable"), None),
        ("POST", format!("/admin/v1/users/{target}/password"), Some(json!({"password": "owned-by-mallory"}))),
        ("PUT", format!("/admin/v1/users/{target}/role"), Some(json!({"role": "admin"}))),
        ("GET", "/admin/v1/stats".into(), None),
        ("POST", "/admin/v1/api-keys".into(), Some(json!({"name": "k", "scopes": ["users:read"]}))),
        ("GET", "/admin/v1/api-keys".into(), None),
        ("DELETE", "/admin/v1/api-keys/01AAAAAAAAAAAAAAAAAAAAAAAA".into(), None),
    ]
}

async fn admin_routes_refuse_everyone_else(backend: Backend) {
    let (srv, root) = server_with_admin(backend).await;
    let api = &srv.api;
    let user = api.user("oscar", "o1").await;
    let target = api.register("trent").await;

    for (method, path, body) in admin_routes(&target) {
        let (status, resp) = api.call(method, &path, Some(&user.access_token), body.clone()).await;
        assert_eq!((status, code(&resp)), (403, Some("forbidden")), "{method} {path} as a user: {resp}");
        let (status, resp) = api.call(method, &path, None, body.clone()).await;
        assert_eq!((status, code(&resp)), (401, Some("unauthorized")), "{method} {path} without a token: {resp}");
        let (status, resp) = api.call(method, &path, Some("tk_garbage_key"), body).await;
        assert_eq!(status, 401, "{method} {path} with an API key instead of a token: {resp}");
    }

    // Nothing changed: no account created, trent untouched, no API key.
    let t = Some(root.access_token.as_str());
    assert!(search(api, &root, "q=mallory").await.is_empty());
    let (_, trent) = api.call("GET", &format!("/admin/v1/users/{target}"), t, None).await;
    assert_eq!((trent["role"].as_str(), trent["disabled"].as_bool()), (Some("user"), Some(false)), "{trent}");
    assert_eq!(login_raw(api, "trent", PASSWORD).await.0, 200, "password unchanged");
    let (_, keys) = api.call("GET", "/admin/v1/api-keys", t, None).await;
    assert_eq!(keys["api_keys"], json!([]));
    assert_eq!(stats(api, &root).await["users"], 3);
}

async fn api_keys_are_shown_once_and_revocable(backend: Backend) {
    let (srv, root) = server_with_admin(backend).await;
    let api = &srv.api;
    let t = Some(root.access_token.as_str());
    let (status, created) = api
        .call(
            "POST",
            "/admin/v1/api-keys",
            t,
            Some(json!({"name": "hr-sync", "scopes": ["users:read", "users:write"]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["key_id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("tk_{key_id}_")), "{key}");
    assert_eq!(created["scopes"], json!(["users:read", "users:write"]));

    let (status, list) = api.call("GET", "/admin/v1/api-keys", t, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["api_keys"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&key), "the secret is never listed: {list}");
    assert_eq!(list["api_keys"][0]["name"], "hr-sync");

    let (status, body) =
        api.call("POST", "/admin/v1/api-keys", t, Some(json!({"name": "x", "scopes": ["everything"]}))).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));
    let (status, body) = api.call("POST", "/admin/v1/api-keys", t, Some(json!({"name": "x", "scopes": []}))).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));

    let me = format!("/integration/v1/users/{}", root.user_id);
    assert_eq!(api.call("GET", &me, Some(&key), None).await.0, 200);
    assert_eq!(api.call("DELETE", &format!("/admin/v1/api-keys/{key_id}"), t, None).await.0, 204);
    let (status, body) = api.call("GET", &me, Some(&key), None).await;
    assert_eq!((status, code(&body)), (401, Some("unauthorized")));
    let (status, body) = api.call("DELETE", &format!("/admin/v1/api-keys/{key_id}"), t, None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));
    let (_, list) = api.call("GET", "/admin/v1/api-keys", t, None).await;
    assert!(list["api_keys"][0]["revoked_at"].as_i64().is_some(), "{list}");
}

/// Runs the real binary's `admin create` against the server's storage.
fn cli(srv: &TestServer, args: &[&str]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(BIN);
    cmd.arg("admin")
        .arg("create")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TIDINGS_DATA_DIR", srv.data_dir())
        .env("TIDINGS_AUTH__ARGON2_MEMORY_KIB", "1024")
        .env("TIDINGS_AUTH__ARGON2_ITERATIONS", "1");
    if let Some(res) = srv.cluster() {
        for (k, v) in res.env("cli") {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("running {BIN}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn cli_creates_and_promotes_admins(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;

    let (status, out, err) = cli(&srv, &["--username", "boss", "--password", PASSWORD, "--display-name", "The Boss"]);
    assert_eq!(status, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("created admin: boss (u_"), "{out}");
    let boss = api.login("boss", "b1").await;
    let (status, me) = api.call("GET", "/api/v1/me", Some(&boss.access_token), None).await;
    assert_eq!((status, me["display_name"].as_str()), (200, Some("The Boss")));
    assert_eq!(api.call("GET", "/admin/v1/stats", Some(&boss.access_token), None).await.0, 200);

    // An existing user is promoted, and gets the given password.
    let eve = api.user("eve", "e1").await;
    assert_eq!(api.call("GET", "/admin/v1/stats", Some(&eve.access_token), None).await.0, 403);
    let (status, out, err) = cli(&srv, &["--username", "eve", "--password", "eve-is-admin-now"]);
    assert_eq!(status, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("promoted existing user to admin"), "{out}");
    assert_eq!(api.call("GET", "/admin/v1/stats", Some(&eve.access_token), None).await.0, 200);
    assert_eq!(login_raw(api, "eve", "eve-is-admin-now").await.0, 200);

    let (status, out, _) = cli(&srv, &["--username", "boss", "--password", PASSWORD]);
    assert_eq!(status, 0);
    assert!(out.contains("already an admin"), "{out}");

    // Bad input is refused before touching anything; the system account cannot be promoted.
    let (status, _, err) = cli(&srv, &["--username", "boss", "--password", "short"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("--password"), "{err}");
    let (status, _, err) = cli(&srv, &["--username", "system", "--password", PASSWORD]);
    assert_ne!(status, 0);
    assert!(err.contains("cannot be an admin"), "{err}");
}

tidings_tests::both_modes!(
    admin_lifecycle,
    admin_routes_refuse_everyone_else,
    api_keys_are_shown_once_and_revocable,
    cli_creates_and_promotes_admins,
);
