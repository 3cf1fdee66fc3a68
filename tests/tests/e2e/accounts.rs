//! Accounts and device sessions: register, login, refresh rotation, logout, token checks.

use std::time::Duration;

use base64::Engine;
use serde_json::json;
use tidings_tests::client::{Closed, WsClient};
use tidings_tests::{Backend, spawn_server, spawn_server_with};

async fn register_login_profile_refresh_logout(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;

    let alice = api.register("alice").await;
    assert!(alice.starts_with("u_"), "{alice}");
    let (status, body) = api
        .call("POST", "/api/v1/auth/register", None, Some(json!({"username": "alice", "password": "another-pass"})))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("username_taken")));

    let (status, body) = api
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "alice", "password": "wrong-horse", "device_id": "d1", "platform": "ios"})),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("invalid_credentials")));

    let login = api.login("alice", "d1").await;
    assert_eq!(login.user_id, alice);

    let (status, me) = api.call("GET", "/api/v1/me", Some(&login.access_token), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (me["user_id"].as_str(), me["username"].as_str(), me["display_name"].as_str()),
        (Some(alice.as_str()), Some("alice"), Some("alice"))
    );

    let (status, me) =
        api.call("PATCH", "/api/v1/me", Some(&login.access_token), Some(json!({"display_name": "Alice L."}))).await;
    assert_eq!((status, me["display_name"].as_str()), (200, Some("Alice L.")));

    let bob = api.register("bob").await;
    let (status, other) = api
        .call("GET", &format!("/api/v1/users/{alice}"), Some(&api.login("bob", "b1").await.access_token), None)
        .await;
    assert_eq!((status, other["display_name"].as_str()), (200, Some("Alice L.")));
    let (status, missing) = api.call("GET", "/api/v1/users/u_NOBODY", Some(&login.access_token), None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (404, Some("not_found")));
    assert_ne!(alice, bob);

    // Refresh rotates: the new pair works, the old refresh token is spent.
    let (status, next) =
        api.call("POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": login.refresh_token}))).await;
    assert_eq!(status, 200, "{next}");
    let next_access = next["access_token"].as_str().unwrap().to_owned();
    let next_refresh = next["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next_refresh, login.refresh_token);
    assert_eq!(api.call("GET", "/api/v1/me", Some(&next_access), None).await.0, 200);

    // Replaying the spent token is theft: the whole device session is revoked.
    let (status, body) =
        api.call("POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": login.refresh_token}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("refresh_reused")));
    let (status, body) =
        api.call("POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": next_refresh}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    assert_eq!(api.call("GET", "/api/v1/me", Some(&next_access), None).await.0, 401);

    // A fresh login, then logout: the token stops working at once.
    let again = api.login("alice", "d1").await;
    assert_eq!(api.call("POST", "/api/v1/auth/logout", Some(&again.access_token), None).await.0, 204);
    let (status, body) = api.call("GET", "/api/v1/me", Some(&again.access_token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (status, _) =
        api.call("POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": again.refresh_token}))).await;
    assert_eq!(status, 401);
}

async fn logout_closes_the_devices_socket_only(backend: Backend) {
    let srv = spawn_server(backend).await;
    let phone = srv.api.user("carol", "phone").await;
    let laptop = srv.api.login("carol", "laptop").await;
    let mut phone_ws = WsClient::connect(&srv.ws_url(), &phone.access_token).await;
    let mut laptop_ws = WsClient::connect(&srv.ws_url(), &laptop.access_token).await;

    assert_eq!(srv.api.call("POST", "/api/v1/auth/logout", Some(&phone.access_token), None).await.0, 204);
    assert_eq!(phone_ws.closed().await, Closed::Code(1008));
    assert_eq!(WsClient::try_connect(&srv.ws_url(), &phone.access_token).await.err(), Some(401));

    laptop_ws.send(json!({"type": "ping"})).await;
    laptop_ws.expect("pong").await;
}

async fn a_new_login_of_the_same_device_replaces_the_old_session(backend: Backend) {
    let srv = spawn_server(backend).await;
    let first = srv.api.user("dave", "tablet").await;
    let mut old_ws = WsClient::connect(&srv.ws_url(), &first.access_token).await;
    let second = srv.api.login("dave", "tablet").await;
    assert_eq!(old_ws.closed().await, Closed::Code(1008));
    assert_eq!(srv.api.call("GET", "/api/v1/me", Some(&first.access_token), None).await.0, 401);
    assert_eq!(srv.api.call("GET", "/api/v1/me", Some(&second.access_token), None).await.0, 200);
}

async fn bad_tokens_are_refused_everywhere(backend: Backend) {
    let srv = spawn_server(backend).await;
    let erin = srv.api.user("erin", "d").await;
    let (status, body) = srv.api.call("GET", "/api/v1/me", None, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    assert_eq!(srv.api.call("GET", "/api/v1/me", Some("not.a.jwt"), None).await.0, 401);

    let mut parts: Vec<String> = erin.access_token.split('.').map(str::to_owned).collect();
    // Claims changed after signing (a longer expiry): the signature no longer matches.
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400);
    let tampered = format!("{}.{}.{}", parts[0], engine.encode(claims.to_string()), parts[2]);
    assert_eq!(srv.api.call("GET", "/api/v1/me", Some(&tampered), None).await.0, 401);

    parts[0] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    parts[2] = String::new();
    let none = parts.join(".");
    assert_eq!(srv.api.call("GET", "/api/v1/me", Some(&none), None).await.0, 401);
    assert_eq!(WsClient::try_connect(&srv.ws_url(), &none).await.err(), Some(401));
    assert_eq!(WsClient::try_connect(&srv.ws_url(), "garbage").await.err(), Some(401));
}

async fn expired_access_tokens_say_so(backend: Backend) {
    let srv = spawn_server_with(backend, |s| s.auth.access_ttl = std::time::Duration::from_secs(1)).await;
    let frank = srv.api.user("frank", "d").await;
    // Past the token's one-second life, by the server's clock (no sleeping).
    srv.advance(Duration::from_secs(2));
    let (status, body) = srv.api.call("GET", "/api/v1/me", Some(&frank.access_token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("token_expired")));
    let (status, fresh) =
        srv.api.call("POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": frank.refresh_token}))).await;
    assert_eq!(status, 200);
    assert_eq!(srv.api.call("GET", "/api/v1/me", fresh["access_token"].as_str(), None).await.0, 200);
}

async fn changing_the_password_revokes_the_other_sessions(backend: Backend) {
    let srv = spawn_server(backend).await;
    let peer = srv.peer().await;
    let there = peer.as_ref().unwrap_or(&srv);
    let api = &srv.api;
    api.register("alice").await;
    let here = api.login("alice", "d1").await;
    let other = api.login("alice", "d2").await;
    let mut other_ws = WsClient::connect(&there.ws_url(), &other.access_token).await;
    let mut here_ws = WsClient::connect(&srv.ws_url(), &here.access_token).await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    // Refusals change nothing.
    let (status, body) = api
        .call("PUT", "/api/v1/me/password", Some(&here.access_token), Some(change("wrong-pass", "brand-new-pass")))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("invalid_credentials")));
    let (status, body) =
        api.call("PUT", "/api/v1/me/password", Some(&here.access_token), Some(change("correct-horse", "short"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_field")));
    let (status, _) =
        api.call("PUT", "/api/v1/me/password", None, Some(change("correct-horse", "brand-new-pass"))).await;
    assert_eq!(status, 401);
    assert_eq!(api.call("GET", "/api/v1/me", Some(&other.access_token), None).await.0, 200);

    let (status, body) = api
        .call("PUT", "/api/v1/me/password", Some(&here.access_token), Some(change("correct-horse", "brand-new-pass")))
        .await;
    assert_eq!(status, 204, "{body}");
    // The other device is out: socket closed, tokens refused.
    assert_eq!(other_ws.closed().await, Closed::Code(1008));
    assert_eq!(api.call("GET", "/api/v1/me", Some(&other.access_token), None).await.0, 401);
    let (status, _) =
        api.call("POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": other.refresh_token}))).await;
    assert_eq!(status, 401);
    // This device stays in.
    here_ws.send(json!({"type": "ping"})).await;
    here_ws.expect("pong").await;
    assert_eq!(api.call("GET", "/api/v1/me", Some(&here.access_token), None).await.0, 200);
    // The old password is gone, the new one works.
    let login =
        |password: &str| json!({"username": "alice", "password": password, "device_id": "d3", "platform": "web"});
    assert_eq!(api.call("POST", "/api/v1/auth/login", None, Some(login("correct-horse"))).await.0, 401);
    assert_eq!(api.call("POST", "/api/v1/auth/login", None, Some(login("brand-new-pass"))).await.0, 200);
}

async fn users_are_found_by_exact_username_only(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob_id = api.register("bob.builder").await;
    let find = |name: &str| format!("/api/v1/users?username={name}");

    let (status, found) = api.call("GET", &find("bob.builder"), Some(&alice.access_token), None).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
    assert_eq!(found["users"][0]["user_id"], bob_id.as_str());
    assert!(found["users"][0].get("role").is_none(), "another user's role is not shown: {found}");
    // Usernames are lowercase: any case finds the same account.
    let (_, upper) = api.call("GET", &find("BOB.Builder"), Some(&alice.access_token), None).await;
    assert_eq!(upper["users"][0]["user_id"], bob_id.as_str());
    // No prefix or substring matches, no system account, nothing for nobody.
    for name in ["bob", "builder", "system", "nobody"] {
        let (status, none) = api.call("GET", &find(name), Some(&alice.access_token), None).await;
        assert_eq!((status, none["users"].as_array().map(Vec::len)), (200, Some(0)), "{name}: {none}");
    }
    // Bad input is refused by name; no token, no answer.
    let (status, empty) = api.call("GET", &find(""), Some(&alice.access_token), None).await;
    assert_eq!((status, empty["error"]["code"].as_str()), (400, Some("invalid_field")), "{empty}");
    let (status, _) = api.call("GET", "/api/v1/users", Some(&alice.access_token), None).await;
    assert_eq!(status, 400);
    assert_eq!(api.call("GET", &find("bob.builder"), None, None).await.0, 401);
    // The caller's own profile says their role.
    let (_, me) = api.call("GET", "/api/v1/me", Some(&alice.access_token), None).await;
    assert_eq!(me["role"], "user");
}

tidings_tests::both_modes!(
    users_are_found_by_exact_username_only,
    changing_the_password_revokes_the_other_sessions,
    register_login_profile_refresh_logout,
    logout_closes_the_devices_socket_only,
    a_new_login_of_the_same_device_replaces_the_old_session,
    bad_tokens_are_refused_everywhere,
    expired_access_tokens_say_so,
);
