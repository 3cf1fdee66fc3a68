//! Gateway protection: per-IP auth budgets (shared across instances), the per-account
//! failed-login budget, IP allow/deny lists behind a trusted proxy, and connection caps.

use serde_json::{Value, json};
use tidings_interfaces::settings::Settings;
use tidings_tests::client::{PASSWORD, WsClient};
use tidings_tests::{Backend, TestServer, spawn_server_with};

/// A request as a client at `ip` behind the trusted proxy (the test itself, on 127.0.0.1).
async fn post_from(srv: &TestServer, ip: &str, path: &str, body: Value) -> (u16, Option<String>, Value) {
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}{path}", srv.port()))
        .header("x-forwarded-for", format!("6.6.6.6, {ip}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, retry, resp.json().await.unwrap_or(Value::Null))
}

fn behind_proxy(s: &mut Settings) {
    s.gateway.trusted_proxies = vec!["127.0.0.0/8".into()];
}

fn tight_auth_budget(s: &mut Settings) {
    behind_proxy(s);
    s.gateway.auth_per_sec = 0.001;
    s.gateway.auth_burst = 3;
}

async fn auth_requests_are_budgeted_per_client_address(backend: Backend) {
    let srv = spawn_server_with(backend, tight_auth_budget).await;
    let peer = srv.peer().await;
    let there = peer.as_ref().unwrap_or(&srv);
    let reg = |name: &str| json!({"username": name, "password": PASSWORD});
    // Three requests of the budget; in a cluster they land on both instances and still add up.
    assert_eq!(post_from(&srv, "198.51.100.1", "/api/v1/auth/register", reg("ann")).await.0, 201);
    assert_eq!(post_from(there, "198.51.100.1", "/api/v1/auth/register", reg("ben")).await.0, 201);
    let login = json!({"username": "ann", "password": PASSWORD, "device_id": "d1", "platform": "web"});
    assert_eq!(post_from(there, "198.51.100.1", "/api/v1/auth/login", login.clone()).await.0, 200);
    let (status, retry, body) = post_from(&srv, "198.51.100.1", "/api/v1/auth/register", reg("cat")).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["retry_after_ms"].as_u64().unwrap() > 0, "{body}");
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
    let (status, _, body) = post_from(there, "198.51.100.1", "/api/v1/auth/login", login.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")));
    let (status, _, _) = post_from(there, "198.51.100.1", "/api/v1/auth/refresh", json!({"refresh_token": "x"})).await;
    assert_eq!(status, 429, "refresh shares the budget");
    // The refused registration changed nothing: another address registers the same name.
    assert_eq!(post_from(&srv, "198.51.100.2", "/api/v1/auth/register", reg("cat")).await.0, 201);
    // A spoofed left part of X-Forwarded-For does not buy a fresh budget: the hop next to the
    // proxy is what counts (the helper always prepends 6.6.6.6).
    let (status, _, _) = post_from(&srv, "198.51.100.1", "/api/v1/auth/login", login).await;
    assert_eq!(status, 429);
}
tidings_tests::both_modes!(auth_requests_are_budgeted_per_client_address);

fn three_failures(s: &mut Settings) {
    behind_proxy(s);
    s.gateway.login_failures = 3;
    s.gateway.login_failure_ttl = std::time::Duration::from_secs(3600);
}

async fn failed_logins_lock_the_account_for_a_while(backend: Backend) {
    let srv = spawn_server_with(backend, three_failures).await;
    let peer = srv.peer().await;
    let there = peer.as_ref().unwrap_or(&srv);
    srv.api.register("dora").await;
    srv.api.register("eve").await;
    let attempt = |user: &str, password: &str| json!({"username": user, "password": password, "device_id": "d1", "platform": "web"});
    // The right password works, and successes spend nothing.
    for _ in 0..5 {
        assert_eq!(post_from(&srv, "198.51.100.7", "/api/v1/auth/login", attempt("dora", PASSWORD)).await.0, 200);
    }
    // Three failures from different addresses and instances...
    for (i, ip) in ["198.51.100.7", "198.51.100.8", "203.0.113.9"].iter().enumerate() {
        let at = if i % 2 == 0 { &srv } else { there };
        let (status, _, body) = post_from(at, ip, "/api/v1/auth/login", attempt("dora", "wrong password")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("invalid_credentials")));
    }
    // ...and even the right password is refused for now, from anywhere.
    let (status, retry, body) = post_from(there, "192.0.2.1", "/api/v1/auth/login", attempt("dora", PASSWORD)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "{body}");
    let wait: u64 = retry.unwrap().parse().unwrap();
    assert!((1000..=3600).contains(&wait), "one failure is forgiven per hour: {wait}");
    // Another account is untouched.
    assert_eq!(post_from(&srv, "198.51.100.7", "/api/v1/auth/login", attempt("eve", PASSWORD)).await.0, 200);
}
tidings_tests::both_modes!(failed_logins_lock_the_account_for_a_while);

fn lists(s: &mut Settings) {
    behind_proxy(s);
    s.gateway.allow = vec!["198.51.100.0/24".into(), "127.0.0.1".into()];
    s.gateway.deny = vec!["198.51.100.66".into()];
}

async fn the_address_lists_hold_for_rest_and_websocket(backend: Backend) {
    let srv = spawn_server_with(backend, lists).await;
    let reg = |name: &str| json!({"username": name, "password": PASSWORD});
    assert_eq!(post_from(&srv, "198.51.100.5", "/api/v1/auth/register", reg("fay")).await.0, 201);
    for ip in ["198.51.100.66", "203.0.113.1", "2001:db8::1"] {
        let (status, _, body) = post_from(&srv, ip, "/api/v1/auth/register", reg("gus")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("ip_denied")), "{ip}: {body}");
    }
    // Nothing was created by the refused calls.
    assert_eq!(post_from(&srv, "198.51.100.5", "/api/v1/auth/register", reg("gus")).await.0, 201);

    // The WebSocket handshake goes through the same gate.
    let fay = srv.api.login("fay", "d1").await;
    let ws = |ip: &'static str| {
        let url = format!("ws://127.0.0.1:{}/ws?token={}", srv.port(), fay.access_token);
        async move {
            let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
            req.headers_mut().insert("x-forwarded-for", ip.parse().unwrap());
            match tokio_tungstenite::connect_async(req).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
                Err(e) => panic!("{e}"),
            }
        }
    };
    assert_eq!(ws("203.0.113.1").await, 403);
    assert_eq!(ws("198.51.100.5").await, 101);
    // Probes answer whatever the lists say, so a load balancer outside them can still ask.
    let probe = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", srv.port()))
        .header("x-forwarded-for", "203.0.113.1")
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status().as_u16(), 200);
}
tidings_tests::both_modes!(the_address_lists_hold_for_rest_and_websocket);

fn caps(s: &mut Settings) {
    s.gateway.max_connections = 3;
    s.gateway.max_connections_per_user = 2;
    s.devices.desktop = 0;
}

async fn connection_caps_refuse_the_extra_socket_and_free_up_on_close(backend: Backend) {
    let srv = spawn_server_with(backend, caps).await;
    let api = &srv.api;
    api.register("hal").await;
    api.register("ida").await;
    let h1 = api.login_on("hal", "h1", "desktop").await;
    let h2 = api.login_on("hal", "h2", "desktop").await;
    let h3 = api.login_on("hal", "h3", "desktop").await;
    let i1 = api.login_on("ida", "i1", "desktop").await;
    let i2 = api.login_on("ida", "i2", "desktop").await;
    let url = srv.ws_url();
    let hal1 = WsClient::connect(&url, &h1.access_token).await;
    let _hal2 = WsClient::connect(&url, &h2.access_token).await;
    // Hal's third device is over his cap; a reconnect of a device he holds replaces it.
    assert_eq!(WsClient::try_connect(&url, &h3.access_token).await.err(), Some(429));
    let hal1_again = WsClient::connect(&url, &h1.access_token).await;
    drop(hal1);
    // Three sockets on the instance: Ida's first fits, her second does not.
    let _ida1 = WsClient::connect(&url, &i1.access_token).await;
    assert_eq!(WsClient::try_connect(&url, &i2.access_token).await.err(), Some(503));
    // A closed socket frees its place.
    hal1_again.close().await;
    let mut freed = None;
    for _ in 0..50 {
        match WsClient::try_connect(&url, &i2.access_token).await {
            Ok(c) => {
                freed = Some(c);
                break;
            }
            Err(status) => {
                assert_eq!(status, 503);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    let mut ida2 = freed.expect("a place frees up once a socket closes");
    ida2.send(json!({"type": "ping"})).await;
    ida2.expect("pong").await;
}
tidings_tests::both_modes!(connection_caps_refuse_the_extra_socket_and_free_up_on_close);
