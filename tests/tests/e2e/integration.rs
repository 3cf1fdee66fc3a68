//! The integration API `/integration/v1` (API keys): idempotent provisioning, sending as a bot
//! or the system account, scopes, and outgoing webhooks against a real receiver on loopback.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_interfaces::Settings;
use tidings_tests::client::{Api, Login, PASSWORD, WsClient, direct};
use tidings_tests::helpers::{code, with_initial_admin};
use tidings_tests::receiver::{Receiver, signature_ok};
use tidings_tests::{Backend, TestServer, spawn_server_with};

const SYSTEM: &str = "u_00000000000000000000000000";

fn settings(s: &mut Settings) {
    with_initial_admin(s);
    // Fast retries, so the retry story takes well under a second.
    s.webhooks.retry_base = Duration::from_millis(100);
}

async fn server(backend: Backend) -> (TestServer, Login) {
    let srv = spawn_server_with(backend, settings).await;
    let root = srv.api.login("root", "console").await;
    (srv, root)
}

/// An API key with `scopes`, made by the admin.
async fn key(api: &Api, admin: &Login, scopes: &[&str]) -> String {
    let (status, body) = api
        .call("POST", "/admin/v1/api-keys", Some(&admin.access_token), Some(json!({"name": "test", "scopes": scopes})))
        .await;
    assert_eq!(status, 201, "{body}");
    body["key"].as_str().unwrap().to_owned()
}

async fn bulk(api: &Api, key: &str, users: Value) -> (u16, Value) {
    api.call("POST", "/integration/v1/users/bulk", Some(key), Some(json!({"users": users}))).await
}

async fn provisioning_is_idempotent(backend: Backend) {
    let (srv, root) = server(backend).await;
    let api = &srv.api;
    let k = key(api, &root, &["users:read", "users:write"]).await;
    let people = json!([
        {"username": "ann", "display_name": "Ann Lee", "password": PASSWORD},
        {"username": "ben"},
        {"username": "payroll-bot", "display_name": "Payroll", "role": "bot"},
    ]);

    let (status, first) = bulk(api, &k, people.clone()).await;
    assert_eq!(status, 200, "{first}");
    let results = first["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["created"] == true && r["error"].is_null()), "{first}");

    // The same call again: same ids, nothing created or changed.
    let (status, again) = bulk(api, &k, people).await;
    assert_eq!(status, 200);
    for (a, b) in results.iter().zip(again["results"].as_array().unwrap()) {
        assert_eq!((&a["username"], &a["user_id"]), (&b["username"], &b["user_id"]));
        assert_eq!((&b["created"], &b["updated"]), (&json!(false), &json!(false)), "{again}");
    }

    // A changed display name is an update; an admin account is not the integration's to touch.
    let (_, changed) = bulk(
        api,
        &k,
        json!([{"username": "ben", "display_name": "Ben K."}, {"username": "root", "display_name": "pwned"}]),
    )
    .await;
    assert_eq!((&changed["results"][0]["created"], &changed["results"][0]["updated"]), (&json!(false), &json!(true)));
    assert_eq!(changed["results"][1]["error"]["code"], "forbidden", "{changed}");
    let (_, me) = api.call("GET", "/api/v1/me", Some(&root.access_token), None).await;
    assert_eq!(me["display_name"], "root");

    // The accounts are what was asked: ann logs in, the bot cannot, roles and names stored.
    assert_eq!(api.login("ann", "a1").await.user_id, results[0]["user_id"].as_str().unwrap());
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "payroll-bot", "password": PASSWORD, "device_id": "x", "platform": "web"})),
        )
        .await;
    assert_eq!((status, code(&body)), (401, Some("invalid_credentials")));
    let bot_id = results[2]["user_id"].as_str().unwrap();
    let (status, bot) = api.call("GET", &format!("/integration/v1/users/{bot_id}"), Some(&k), None).await;
    assert_eq!((status, bot["role"].as_str(), bot["display_name"].as_str()), (200, Some("bot"), Some("Payroll")));
    let (status, body) = api.call("GET", "/integration/v1/users/u_NOBODY", Some(&k), None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));

    // Bad input anywhere refuses the whole call and creates nothing.
    let (status, body) = bulk(api, &k, json!([{"username": "cat"}, {"username": "Not Valid"}])).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")), "{body}");
    let too_many: Vec<Value> = (0..501).map(|i| json!({"username": format!("user{i}")})).collect();
    let (status, body) = bulk(api, &k, Value::Array(too_many)).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));
    let (status, body) = bulk(api, &k, json!([{"username": "bot2", "role": "bot", "password": PASSWORD}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["error"]["code"], "invalid_field", "a bot with a password: {body}");
    let (_, search) = api.call("GET", "/admin/v1/users?q=cat", Some(&root.access_token), None).await;
    assert_eq!(search["users"], json!([]));
}

async fn bots_and_the_system_message_users(backend: Backend) {
    let (srv, root) = server(backend).await;
    let api = &srv.api;
    let k = key(api, &root, &["users:write", "messages:send"]).await;
    let (_, made) = bulk(api, &k, json!([{"username": "deploy-bot", "role": "bot"}])).await;
    let bot = made["results"][0]["user_id"].as_str().unwrap().to_owned();
    let alice = api.user("alice", "phone").await;
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;

    // From the system account (no sender), to a user.
    let k = k.as_str();
    let send = |body: Value| async move { api.call("POST", "/integration/v1/messages", Some(k), Some(body)).await };
    let (status, ack) = send(json!({"to_user": alice.user_id, "client_msg_id": "welcome-1", "kind": "text",
                                    "body": {"text": "Welcome to Tidings"}}))
    .await;
    assert_eq!(status, 201, "{ack}");
    let sys_conv = direct(SYSTEM, &alice.user_id);
    assert_eq!(ack["conv"], sys_conv.as_str());
    let msg = ws.expect("msg").await["message"].clone();
    assert_eq!((msg["sender"].as_str(), msg["conv"].as_str()), (Some(SYSTEM), Some(sys_conv.as_str())));
    assert_eq!(msg["body"]["text"], "Welcome to Tidings");

    // A repeat is the same message (dedupe by client_msg_id) and pushes nothing.
    let (status, dup) = send(json!({"to_user": alice.user_id, "client_msg_id": "welcome-1", "kind": "text",
                                    "body": {"text": "Welcome to Tidings"}}))
    .await;
    assert_eq!((status, dup["duplicate"].as_bool(), &dup["seq"]), (200, Some(true), &ack["seq"]));
    ws.expect_silence(Duration::from_millis(300)).await;

    // From a bot, to a conversation id.
    let bot_conv = direct(&bot, &alice.user_id);
    let (status, ack) = send(json!({"sender": bot, "conv": bot_conv, "client_msg_id": "deploy-7", "kind": "custom",
                                    "body": {"service": "api", "version": "7"}}))
    .await;
    assert_eq!(status, 201, "{ack}");
    let msg = ws.expect("msg").await["message"].clone();
    assert_eq!((msg["sender"].as_str(), msg["kind"].as_str()), (Some(bot.as_str()), Some("custom")));

    // Alice sees both conversations, and can answer the bot.
    let convs = api.conversations(&alice).await;
    assert_eq!(convs.len(), 2, "{convs:?}");
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{bot_conv}/messages"),
            Some(&alice.access_token),
            Some(json!({"client_msg_id": "re-1", "kind": "text", "body": {"text": "thanks"}})),
        )
        .await;
    assert_eq!(status, 201);

    // Only bots (or the system) send here; bad targets are refused.
    let (status, body) = send(json!({"sender": alice.user_id, "to_user": bot, "client_msg_id": "x1", "kind": "text",
                                     "body": {"text": "spoof"}}))
    .await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")), "{body}");
    let (status, body) =
        send(json!({"to_user": alice.user_id, "conv": sys_conv, "client_msg_id": "x2", "kind": "text",
                                     "body": {"text": "?"}}))
        .await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));
    let (status, body) = send(json!({"client_msg_id": "x3", "kind": "text", "body": {"text": "?"}})).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));
    let (status, body) = send(json!({"to_user": "u_NOBODY", "client_msg_id": "x4", "kind": "text",
                                     "body": {"text": "?"}}))
    .await;
    assert_eq!((status, code(&body)), (404, Some("unknown_conversation")));
    let (status, body) = send(json!({"sender": bot, "conv": direct(&alice.user_id, &root.user_id),
                                     "client_msg_id": "x5", "kind": "text", "body": {"text": "?"}}))
    .await;
    assert_eq!((status, code(&body)), (403, Some("not_member")));
    // The system account cannot write into two other people's chat either (docs/admin.md).
    let (status, body) = send(json!({"conv": direct(&alice.user_id, &root.user_id),
                                     "client_msg_id": "x6", "kind": "text", "body": {"text": "?"}}))
    .await;
    assert_eq!((status, code(&body)), (403, Some("not_member")));
    ws.expect_silence(Duration::from_millis(200)).await;
}

/// Every integration route, the scope it needs, and a valid body.
fn integration_routes(user: &str) -> Vec<(&'static str, String, &'static str, Option<Value>)> {
    vec![
        ("POST", "/integration/v1/users/bulk".into(), "users:write", Some(json!({"users": [{"username": "zed"}]}))),
        ("GET", format!("/integration/v1/users/{user}"), "users:read", None),
        (
            "POST",
            "/integration/v1/messages".into(),
            "messages:send",
            Some(json!({"to_user": user, "client_msg_id": "c1", "kind": "text", "body": {"text": "x"}})),
        ),
        (
            "POST",
            "/integration/v1/webhooks".into(),
            "webhooks:manage",
            Some(json!({"url": "http://127.0.0.1:9/hook", "events": ["message.sent"]})),
        ),
        ("GET", "/integration/v1/webhooks".into(), "webhooks:manage", None),
        ("DELETE", "/integration/v1/webhooks/wh_01AAAAAAAAAAAAAAAAAAAAAAAA".into(), "webhooks:manage", None),
        ("GET", "/integration/v1/webhooks/wh_01AAAAAAAAAAAAAAAAAAAAAAAA/deliveries".into(), "webhooks:manage", None),
    ]
}

async fn keys_are_held_to_their_scopes(backend: Backend) {
    let (srv, root) = server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "phone").await;
    let all = ["users:read", "users:write", "messages:send", "webhooks:manage"];
    let revoked = key(api, &root, &all).await;
    let (_, keys) = api.call("GET", "/admin/v1/api-keys", Some(&root.access_token), None).await;
    let revoked_id = keys["api_keys"][0]["key_id"].as_str().unwrap();
    api.call("DELETE", &format!("/admin/v1/api-keys/{revoked_id}"), Some(&root.access_token), None).await;

    for (method, path, scope, body) in integration_routes(&alice.user_id) {
        let others: Vec<&str> = all.iter().copied().filter(|s| *s != scope).collect();
        let lacking = key(api, &root, &others).await;
        let (status, resp) = api.call(method, &path, Some(&lacking), body.clone()).await;
        assert_eq!((status, code(&resp)), (403, Some("forbidden")), "{method} {path} without {scope}: {resp}");
        for bad in [revoked.as_str(), "tk_01AAAAAAAAAAAAAAAAAAAAAAAA_guess", "garbage", alice.access_token.as_str()] {
            let (status, resp) = api.call(method, &path, Some(bad), body.clone()).await;
            assert_eq!((status, code(&resp)), (401, Some("unauthorized")), "{method} {path} with {bad}: {resp}");
        }
        let (status, _) = api.call(method, &path, None, body).await;
        assert_eq!(status, 401, "{method} {path} without a key");
    }

    // Nothing happened: no user, no message, no webhook.
    let (_, search) = api.call("GET", "/admin/v1/users?q=zed", Some(&root.access_token), None).await;
    assert_eq!(search["users"], json!([]));
    assert!(api.conversations(&alice).await.is_empty());
    let manage = key(api, &root, &["webhooks:manage"]).await;
    let (_, hooks) = api.call("GET", "/integration/v1/webhooks", Some(&manage), None).await;
    assert_eq!(hooks["webhooks"], json!([]));
}

async fn keys_are_rate_limited(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        settings(s);
        s.integration.requests_per_sec = 0.5;
        s.integration.burst = 3;
    })
    .await;
    let api = &srv.api;
    let root = api.login("root", "console").await;
    let k = key(api, &root, &["users:read"]).await;
    let path = format!("/integration/v1/users/{}", root.user_id);
    for _ in 0..3 {
        assert_eq!(api.call("GET", &path, Some(&k), None).await.0, 200);
    }
    let (status, body) = api.call("GET", &path, Some(&k), None).await;
    assert_eq!((status, code(&body)), (429, Some("rate_limited")), "{body}");
    assert!(body["error"]["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0));
    // Another key has its own budget.
    let other = key(api, &root, &["users:read"]).await;
    assert_eq!(api.call("GET", &path, Some(&other), None).await.0, 200);
}

async fn webhooks_are_signed_retried_logged_and_stop_when_deleted(backend: Backend) {
    let (srv, root) = server(backend).await;
    let api = &srv.api;
    let k = key(api, &root, &["webhooks:manage", "messages:send"]).await;
    let alice = api.user("alice", "phone").await;
    let bob = api.user("bob", "laptop").await;

    // Receiver 1 fails twice, then accepts; it wants messages.
    let mut messages = Receiver::start(vec![500, 500]).await;
    let (status, hook) = api
        .call(
            "POST",
            "/integration/v1/webhooks",
            Some(&k),
            Some(json!({"url": messages.url, "events": ["message.sent"]})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let hook_id = hook["webhook_id"].as_str().unwrap().to_owned();
    // Receiver 2 wants presence.
    let mut presence = Receiver::start(vec![]).await;
    let (status, _) = api
        .call(
            "POST",
            "/integration/v1/webhooks",
            Some(&k),
            Some(json!({"url": presence.url, "events": ["user.online", "user.offline"]})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, list) = api.call("GET", "/integration/v1/webhooks", Some(&k), None).await;
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&secret), "secrets are shown once");

    // A user message: three attempts of one delivery, each signed, the third accepted.
    let conv = direct(&alice.user_id, &bob.user_id);
    let (status, ack) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&alice.access_token),
            Some(json!({"client_msg_id": "h1", "kind": "text", "body": {"text": "hello hooks"}})),
        )
        .await;
    assert_eq!(status, 201);
    let mut attempts = Vec::new();
    for _ in 0..3 {
        attempts.push(messages.next().await);
    }
    let delivery = attempts[0].header("x-tidings-delivery").to_owned();
    for (i, got) in attempts.iter().enumerate() {
        assert!(got.request_line.starts_with("POST /hook "), "{}", got.request_line);
        assert_eq!(got.header("x-tidings-event"), "message.sent");
        assert_eq!(got.header("x-tidings-delivery"), delivery, "retries carry the same delivery id");
        assert!(signature_ok(&secret, got.header("x-tidings-signature"), &got.body), "attempt {i} signature");
        assert!(!signature_ok("whsec_wrong", got.header("x-tidings-signature"), &got.body));
        assert_eq!(got.body, attempts[0].body, "every attempt sends the same body");
    }
    assert_eq!(attempts.iter().map(|a| a.answered).collect::<Vec<_>>(), [500, 500, 200]);
    let payload = attempts[0].json();
    assert_eq!((payload["id"].as_str(), payload["event"].as_str()), (Some(delivery.as_str()), Some("message.sent")));
    assert_eq!(payload["data"]["msg_id"], ack["msg_id"]);
    assert_eq!(payload["data"]["sender"], alice.user_id.as_str());
    assert_eq!(payload["data"]["body"]["text"], "hello hooks");

    // The log shows one delivery, delivered on the third attempt.
    let log_path = format!("/integration/v1/webhooks/{hook_id}/deliveries");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let log = loop {
        let (status, log) = api.call("GET", &log_path, Some(&k), None).await;
        assert_eq!(status, 200, "{log}");
        if log["deliveries"][0]["status"] == "delivered" || tokio::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let d = &log["deliveries"][0];
    assert_eq!(log["deliveries"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!((d["delivery_id"].as_str(), d["status"].as_str()), (Some(delivery.as_str()), Some("delivered")));
    assert_eq!(
        (d["attempts"].as_u64(), d["last_status"].as_u64(), d["event"].as_str()),
        (Some(3), Some(200), Some("message.sent"))
    );

    // Presence: alice's first device brings her online, her last one takes her offline.
    let ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let online = presence.next().await;
    assert_eq!(online.header("x-tidings-event"), "user.online");
    assert_eq!(online.json()["data"]["user_id"], alice.user_id.as_str());
    let laptop = api.login("alice", "laptop").await;
    let second = WsClient::connect(&srv.ws_url(), &laptop.access_token).await;
    second.close().await;
    assert!(presence.next_within(Duration::from_millis(500)).await.is_none(), "a second device changes nothing");
    ws.close().await;
    let offline = presence.next().await;
    assert_eq!(offline.header("x-tidings-event"), "user.offline");
    assert_eq!(offline.json()["data"]["user_id"], alice.user_id.as_str());

    // A system message is a message too; then the webhook is deleted and hears nothing more.
    let (status, _) = api
        .call(
            "POST",
            "/integration/v1/messages",
            Some(&k),
            Some(
                json!({"to_user": bob.user_id, "client_msg_id": "s1", "kind": "text", "body": {"text": "maintenance"}}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    let got = messages.next().await;
    assert_eq!(got.json()["data"]["sender"], SYSTEM);
    assert_eq!(api.call("DELETE", &format!("/integration/v1/webhooks/{hook_id}"), Some(&k), None).await.0, 204);
    assert_eq!(api.call("GET", &log_path, Some(&k), None).await.0, 404);
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&bob.access_token),
            Some(json!({"client_msg_id": "h2", "kind": "text", "body": {"text": "anyone?"}})),
        )
        .await;
    assert_eq!(status, 201);
    assert!(messages.next_within(Duration::from_millis(1500)).await.is_none(), "a deleted webhook hears nothing");
    let (_, list) = api.call("GET", "/integration/v1/webhooks", Some(&k), None).await;
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);

    // Registration is validated.
    for body in [
        json!({"url": "ftp://example.com/x", "events": ["message.sent"]}),
        json!({"url": "http://example.com/x", "events": ["message.deleted"]}),
        json!({"url": "http://example.com/x", "events": []}),
    ] {
        let (status, resp) = api.call("POST", "/integration/v1/webhooks", Some(&k), Some(body)).await;
        assert_eq!((status, code(&resp)), (400, Some("invalid_field")), "{resp}");
    }
}

async fn a_failing_receiver_is_given_up_after_max_attempts(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        settings(s);
        s.webhooks.max_attempts = 2;
        s.webhooks.retry_base = Duration::from_millis(50);
    })
    .await;
    let api = &srv.api;
    let root = api.login("root", "console").await;
    let k = key(api, &root, &["webhooks:manage", "messages:send"]).await;
    let alice = api.register("alice").await;
    let mut down = Receiver::start(vec![503; 10]).await;
    let (_, hook) = api
        .call("POST", "/integration/v1/webhooks", Some(&k), Some(json!({"url": down.url, "events": ["message.sent"]})))
        .await;
    let hook_id = hook["webhook_id"].as_str().unwrap();
    api.call(
        "POST",
        "/integration/v1/messages",
        Some(&k),
        Some(json!({"to_user": alice, "client_msg_id": "f1", "kind": "text", "body": {"text": "x"}})),
    )
    .await;
    assert_eq!(down.next().await.answered, 503);
    assert_eq!(down.next().await.answered, 503);
    assert!(down.next_within(Duration::from_millis(600)).await.is_none(), "no third attempt");
    let (_, log) = api.call("GET", &format!("/integration/v1/webhooks/{hook_id}/deliveries"), Some(&k), None).await;
    let d = &log["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_u64(), d["last_status"].as_u64()),
        (Some("failed"), Some(2), Some(503)),
        "{log}"
    );
    assert!(d["last_error"].as_str().is_some_and(|e| e.contains("503")), "{log}");
}

async fn group_notices_and_bot_posts_reach_webhooks(backend: Backend) {
    let (srv, root) = server(backend).await;
    let api = &srv.api;
    let k = key(api, &root, &["users:write", "messages:send", "webhooks:manage"]).await;
    let (_, made) = bulk(api, &k, json!([{"username": "standup-bot", "role": "bot"}])).await;
    let bot = made["results"][0]["user_id"].as_str().unwrap().to_owned();
    let mut hooks = Receiver::start(vec![]).await;
    let (status, hook) = api
        .call(
            "POST",
            "/integration/v1/webhooks",
            Some(&k),
            Some(json!({"url": hooks.url, "events": ["group.changed"]})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();

    // A person makes a group with a colleague and the bot: the group's notice is a `group.changed`.
    let alice = api.user("alice", "phone").await;
    let bob = api.user("bob", "laptop").await;
    let (status, group) = api
        .call(
            "POST",
            "/api/v1/groups",
            Some(&alice.access_token),
            Some(json!({"name": "Standup", "members": [bob.user_id, bot]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let conv = group["conv"].as_str().unwrap().to_owned();
    let notice = hooks.next().await;
    assert_eq!(notice.header("x-tidings-event"), "group.changed");
    assert!(signature_ok(&secret, notice.header("x-tidings-signature"), &notice.body));
    let data = notice.json()["data"].clone();
    assert_eq!((data["conv"].as_str(), data["kind"].as_str()), (Some(conv.as_str()), Some("group_notice")), "{data}");

    // The bot posts to the group through the same send call; members get it, ordinary messages
    // raise no `group.changed`.
    let mut bob_ws = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let (status, ack) = api
        .call(
            "POST",
            "/integration/v1/messages",
            Some(&k),
            Some(json!({"sender": bot, "conv": conv, "client_msg_id": "standup-1", "kind": "text",
                        "body": {"text": "Standup in 5 minutes"}})),
        )
        .await;
    assert_eq!(status, 201, "{ack}");
    let (msg, _) = bob_ws.wait_for("msg").await;
    assert_eq!(
        (msg["message"]["sender"].as_str(), msg["message"]["conv"].as_str()),
        (Some(bot.as_str()), Some(conv.as_str()))
    );
    assert!(hooks.next_within(Duration::from_millis(500)).await.is_none(), "a text message is not a group change");

    // The system account may post to any group; a bot that is not a member may not.
    let (status, ack) = api
        .call(
            "POST",
            "/integration/v1/messages",
            Some(&k),
            Some(json!({"conv": conv, "client_msg_id": "sys-1", "kind": "text", "body": {"text": "Maintenance tonight"}})),
        )
        .await;
    assert_eq!(status, 201, "{ack}");
    let (msg, _) = bob_ws.wait_for("msg").await;
    assert_eq!(msg["message"]["sender"], "u_00000000000000000000000000");
    let (_, made) = bulk(api, &k, json!([{"username": "outside-bot", "role": "bot"}])).await;
    let outsider = made["results"][0]["user_id"].as_str().unwrap().to_owned();
    let (status, body) = api
        .call(
            "POST",
            "/integration/v1/messages",
            Some(&k),
            Some(json!({"sender": outsider, "conv": conv, "client_msg_id": "ob-1", "kind": "text", "body": {"text": "hi"}})),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("not_member")), "{body}");

    // An announcement is a change.
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/groups/{}", group["group_id"].as_str().unwrap()),
            Some(&alice.access_token),
            Some(json!({"announcement": "Standups move to 9:30"})),
        )
        .await;
    assert_eq!(status, 200);
    let changed = hooks.next().await;
    assert_eq!(changed.json()["data"]["conv"], conv.as_str());
}

async fn admins_manage_webhooks_with_their_own_session(backend: Backend) {
    let (srv, root) = server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "phone").await;
    let bob = api.user("bob", "laptop").await;
    let mut receiver = Receiver::start(vec![]).await;
    let (status, hook) = api
        .call(
            "POST",
            "/admin/v1/webhooks",
            Some(&root.access_token),
            Some(json!({"url": receiver.url, "events": ["message.sent"]})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let hook_id = hook["webhook_id"].as_str().unwrap().to_owned();
    // The same webhooks the integration API manages: one list, no secrets in it.
    let manage = key(api, &root, &["webhooks:manage"]).await;
    let (_, by_key) = api.call("GET", "/integration/v1/webhooks", Some(&manage), None).await;
    let (_, by_admin) = api.call("GET", "/admin/v1/webhooks", Some(&root.access_token), None).await;
    assert_eq!(by_key, by_admin);
    assert_eq!(by_admin["webhooks"][0]["webhook_id"], hook_id.as_str());
    assert!(!by_admin.to_string().contains(&secret));

    // A message reaches the receiver, signed, and the delivery log says so.
    let conv = direct(&alice.user_id, &bob.user_id);
    let (status, _) = api.send_text(&alice, &conv, "w1", "to the hook").await;
    assert_eq!(status, 201);
    let got = receiver.next().await;
    assert!(signature_ok(&secret, got.header("x-tidings-signature"), &got.body));
    let log = format!("/admin/v1/webhooks/{hook_id}/deliveries");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, page) = api.call("GET", &log, Some(&root.access_token), None).await;
        assert_eq!(status, 200, "{page}");
        if page["deliveries"][0]["status"] == "delivered" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never delivered: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Not for ordinary users; bad input changes nothing; delete stops it.
    for (method, path, body) in [
        ("GET", "/admin/v1/webhooks".to_owned(), None),
        ("POST", "/admin/v1/webhooks".to_owned(), Some(json!({"url": receiver.url, "events": ["message.sent"]}))),
        ("DELETE", format!("/admin/v1/webhooks/{hook_id}"), None),
        ("GET", log.clone(), None),
    ] {
        let (status, answer) = api.call(method, &path, Some(&alice.access_token), body).await;
        assert_eq!((status, code(&answer)), (403, Some("forbidden")), "{method} {path}: {answer}");
    }
    let (status, answer) = api
        .call("POST", "/admin/v1/webhooks", Some(&root.access_token), Some(json!({"url": receiver.url, "events": []})))
        .await;
    assert_eq!((status, code(&answer)), (400, Some("invalid_field")), "{answer}");
    let (status, _) =
        api.call("DELETE", &format!("/admin/v1/webhooks/{hook_id}"), Some(&root.access_token), None).await;
    assert_eq!(status, 204);
    let (status, _) =
        api.call("DELETE", &format!("/admin/v1/webhooks/{hook_id}"), Some(&root.access_token), None).await;
    assert_eq!(status, 404);
    let (_, after) = api.call("GET", "/admin/v1/webhooks", Some(&root.access_token), None).await;
    assert_eq!(after["webhooks"], json!([]));
}

tidings_tests::both_modes!(
    admins_manage_webhooks_with_their_own_session,
    group_notices_and_bot_posts_reach_webhooks,
    provisioning_is_idempotent,
    bots_and_the_system_message_users,
    keys_are_held_to_their_scopes,
    keys_are_rate_limited,
    webhooks_are_signed_retried_logged_and_stop_when_deleted,
    a_failing_receiver_is_given_up_after_max_attempts,
);
