//! Friends, friend requests, blocks and the direct-message policy, over HTTP and WebSocket.

use serde_json::json;
use tidings_tests::client::{Login, WsClient, direct};
use tidings_tests::helpers::code;
use tidings_tests::{Backend, spawn_server};

async fn friend_ids(api: &tidings_tests::client::Api, who: &Login) -> Vec<String> {
    let (status, body) = api.call("GET", "/api/v1/friends", Some(&who.access_token), None).await;
    assert_eq!(status, 200, "{body}");
    body["friends"].as_array().unwrap().iter().map(|f| f["user"]["user_id"].as_str().unwrap().to_owned()).collect()
}

async fn friend_lifecycle(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let (a, b) = (alice.access_token.as_str(), bob.access_token.as_str());

    // A request with a message; repeating it changes nothing.
    let ask = json!({"user_id": bob.user_id, "message": "hi, it's Alice"});
    let (status, first) = api.call("POST", "/api/v1/friends/requests", Some(a), Some(ask.clone())).await;
    assert_eq!((status, first["friends"].as_bool()), (201, Some(false)), "{first}");
    assert_eq!(first["request"]["status"], "pending");
    let request_id = first["request"]["request_id"].as_str().unwrap().to_owned();
    let (status, again) = api.call("POST", "/api/v1/friends/requests", Some(a), Some(ask)).await;
    assert_eq!((status, again["request"]["request_id"].as_str()), (200, Some(request_id.as_str())));

    // Incoming for Bob, outgoing for Alice; nothing for Carol.
    let (_, incoming) = api.call("GET", "/api/v1/friends/requests?direction=incoming", Some(b), None).await;
    let rows = incoming["requests"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{incoming}");
    assert_eq!(
        (rows[0]["from"].as_str(), rows[0]["message"].as_str()),
        (Some(alice.user_id.as_str()), Some("hi, it's Alice"))
    );
    let (_, outgoing) = api.call("GET", "/api/v1/friends/requests?direction=outgoing", Some(a), None).await;
    assert_eq!(outgoing["requests"].as_array().unwrap().len(), 1);
    let (_, none) = api.call("GET", "/api/v1/friends/requests", Some(&carol.access_token), None).await;
    assert_eq!(none["requests"].as_array().unwrap().len(), 0);

    // Only the recipient answers; to anyone else the request does not exist.
    let accept = format!("/api/v1/friends/requests/{request_id}/accept");
    let (status, body) = api.call("POST", &accept, Some(&carol.access_token), None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));
    let (status, body) = api.call("POST", &accept, Some(a), None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")), "the asker cannot accept their own request");
    let (status, body) = api.call("POST", &accept, Some(b), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("accepted")), "{body}");
    let (status, body) = api.call("POST", &accept, Some(b), None).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")));
    let (status, body) =
        api.call("POST", "/api/v1/friends/requests", Some(a), Some(json!({"user_id": bob.user_id}))).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")), "already friends");

    // Both lists, with profiles; a remark is private to its author.
    assert_eq!(friend_ids(api, &alice).await, vec![bob.user_id.clone()]);
    assert_eq!(friend_ids(api, &bob).await, vec![alice.user_id.clone()]);
    let path = format!("/api/v1/friends/{}", bob.user_id);
    let (status, body) = api.call("PATCH", &path, Some(a), Some(json!({"remark": "Bobby from work"}))).await;
    assert_eq!((status, body["remark"].as_str()), (200, Some("Bobby from work")), "{body}");
    let (_, list) = api.call("GET", "/api/v1/friends", Some(a), None).await;
    assert_eq!(list["friends"][0]["remark"], "Bobby from work");
    assert_eq!(list["friends"][0]["user"]["username"], "bob");
    let (_, list) = api.call("GET", "/api/v1/friends", Some(b), None).await;
    assert!(list["friends"][0].get("remark").is_none(), "{list}");
    let (status, body) = api.call("PATCH", &path, Some(a), Some(json!({"remark": "x".repeat(65)}))).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));

    // Crossing requests make friends at once.
    let (status, _) = api
        .call("POST", "/api/v1/friends/requests", Some(&carol.access_token), Some(json!({"user_id": alice.user_id})))
        .await;
    assert_eq!(status, 201);
    let (status, body) =
        api.call("POST", "/api/v1/friends/requests", Some(a), Some(json!({"user_id": carol.user_id}))).await;
    assert_eq!((status, body["friends"].as_bool()), (200, Some(true)), "{body}");
    let mut expected = vec![bob.user_id.clone(), carol.user_id.clone()];
    expected.sort();
    assert_eq!(friend_ids(api, &alice).await, expected);

    // Reject.
    let (_, body) =
        api.call("POST", "/api/v1/friends/requests", Some(b), Some(json!({"user_id": carol.user_id}))).await;
    let rid = body["request"]["request_id"].as_str().unwrap().to_owned();
    let (status, body) =
        api.call("POST", &format!("/api/v1/friends/requests/{rid}/reject"), Some(&carol.access_token), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("rejected")));
    let (_, out) = api.call("GET", "/api/v1/friends/requests?direction=outgoing&status=rejected", Some(b), None).await;
    assert_eq!(out["requests"][0]["request_id"].as_str(), Some(rid.as_str()));
    assert_eq!(friend_ids(api, &carol).await, vec![alice.user_id.clone()]);

    // Unfriend: both sides lose each other.
    let (status, _) = api.call("DELETE", &path, Some(a), None).await;
    assert_eq!(status, 204);
    assert_eq!(friend_ids(api, &alice).await, vec![carol.user_id.clone()]);
    assert!(friend_ids(api, &bob).await.is_empty());
    let (status, body) = api.call("DELETE", &path, Some(a), None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));

    // Bad input.
    for (body, want) in [
        (json!({"user_id": alice.user_id}), (400, "invalid_field")),
        (json!({"user_id": "u_NOBODY"}), (404, "not_found")),
        (json!({"user_id": "not an id"}), (400, "invalid_field")),
        (json!({"user_id": bob.user_id, "message": "m".repeat(257)}), (400, "invalid_field")),
        (json!({"user_id": bob.user_id, "extra": 1}), (400, "invalid_field")),
    ] {
        let (status, resp) = api.call("POST", "/api/v1/friends/requests", Some(a), Some(body.clone())).await;
        assert_eq!((status, code(&resp)), (want.0, Some(want.1)), "{body}: {resp}");
    }
    let (status, body) = api.call("GET", "/api/v1/friends?limit=0", Some(a), None).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));
}

async fn blocks_and_dm_policy(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let mut alice_ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let mut bob_ws = WsClient::connect(&srv.ws_url(), &bob.access_token).await;

    alice_ws.send_text(&conv, "before-block", "hello").await;
    alice_ws.expect("ack").await;
    bob_ws.expect("msg").await;

    // Bob blocks Alice: her messages and requests are refused and nothing is stored.
    let (status, _) =
        api.call("PUT", &format!("/api/v1/blocks/{}", alice.user_id), Some(&bob.access_token), None).await;
    assert_eq!(status, 204);
    let (status, _) =
        api.call("PUT", &format!("/api/v1/blocks/{}", alice.user_id), Some(&bob.access_token), None).await;
    assert_eq!(status, 204, "blocking twice is harmless");
    alice_ws.send_text(&conv, "while-blocked", "can you hear me").await;
    assert_eq!(alice_ws.expect_error().await, "blocked");
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&alice.access_token),
            Some(json!({"client_msg_id": "rest-blocked", "kind": "text", "body": {"text": "hi"}})),
        )
        .await;
    assert_eq!((status, code(&body)), (403, Some("blocked")));
    let (status, body) = api
        .call("POST", "/api/v1/friends/requests", Some(&alice.access_token), Some(json!({"user_id": bob.user_id})))
        .await;
    assert_eq!((status, code(&body)), (403, Some("blocked")));
    bob_ws.expect_silence(std::time::Duration::from_millis(300)).await;
    assert_eq!(api.all_messages(&bob, &conv).await.len(), 1, "nothing stored while blocked");
    // Bob may still write to Alice (the block is his, not hers).
    bob_ws.send_text(&conv, "bob-to-alice", "I blocked you").await;
    bob_ws.expect("ack").await;
    assert_eq!(alice_ws.expect("msg").await["message"]["sender"], bob.user_id.as_str());

    let (_, list) = api.call("GET", "/api/v1/blocks", Some(&bob.access_token), None).await;
    assert_eq!(list["blocks"][0]["user_id"].as_str(), Some(alice.user_id.as_str()), "{list}");
    let (status, _) =
        api.call("DELETE", &format!("/api/v1/blocks/{}", alice.user_id), Some(&bob.access_token), None).await;
    assert_eq!(status, 204);
    let (status, body) =
        api.call("DELETE", &format!("/api/v1/blocks/{}", alice.user_id), Some(&bob.access_token), None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));
    alice_ws.send_text(&conv, "after-unblock", "friends again?").await;
    alice_ws.expect("ack").await;
    bob_ws.expect("msg").await;

    // Carol takes direct messages from friends only.
    let (_, body) = api.call("GET", "/api/v1/me/privacy", Some(&carol.access_token), None).await;
    assert_eq!(body["dm_policy"], "anyone");
    let (status, body) =
        api.call("PUT", "/api/v1/me/privacy", Some(&carol.access_token), Some(json!({"dm_policy": "friends"}))).await;
    assert_eq!((status, body["dm_policy"].as_str()), (200, Some("friends")));
    let (status, body) =
        api.call("PUT", "/api/v1/me/privacy", Some(&carol.access_token), Some(json!({"dm_policy": "nobody"}))).await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{}/messages", direct(&dave.user_id, &carol.user_id)),
            Some(&dave.access_token),
            Some(json!({"client_msg_id": "dave-1", "kind": "text", "body": {"text": "hi carol"}})),
        )
        .await;
    assert_eq!((status, code(&body)), (403, Some("not_friends")));
    // Once friends, Dave gets through.
    let (_, req) = api
        .call("POST", "/api/v1/friends/requests", Some(&dave.access_token), Some(json!({"user_id": carol.user_id})))
        .await;
    let rid = req["request"]["request_id"].as_str().unwrap();
    let (status, _) =
        api.call("POST", &format!("/api/v1/friends/requests/{rid}/accept"), Some(&carol.access_token), None).await;
    assert_eq!(status, 200);
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{}/messages", direct(&dave.user_id, &carol.user_id)),
            Some(&dave.access_token),
            Some(json!({"client_msg_id": "dave-2", "kind": "text", "body": {"text": "hi carol"}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(api.all_messages(&carol, &direct(&dave.user_id, &carol.user_id)).await.len(), 1);

    // Asking someone you block is refused; a request whose asker has since blocked you cannot be
    // accepted.
    let (_, req) = api
        .call("POST", "/api/v1/friends/requests", Some(&dave.access_token), Some(json!({"user_id": alice.user_id})))
        .await;
    let rid = req["request"]["request_id"].as_str().unwrap().to_owned();
    let (status, _) =
        api.call("PUT", &format!("/api/v1/blocks/{}", alice.user_id), Some(&dave.access_token), None).await;
    assert_eq!(status, 204);
    let (status, body) =
        api.call("POST", &format!("/api/v1/friends/requests/{rid}/accept"), Some(&alice.access_token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("blocked")));
    let (status, body) = api
        .call("POST", "/api/v1/friends/requests", Some(&dave.access_token), Some(json!({"user_id": alice.user_id})))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));
    let (_, friends) = api.call("GET", "/api/v1/friends", Some(&alice.access_token), None).await;
    assert!(friends["friends"].as_array().unwrap().iter().all(|f| f["user"]["user_id"] != dave.user_id.as_str()));
}

tidings_tests::both_modes!(friend_lifecycle, blocks_and_dm_policy);
