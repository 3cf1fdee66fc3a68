//! Offline push: a signed webhook notice for each recipient with no connected device who has
//! not muted the conversation (a personal mention pushes through a mute, `@all` does not); never
//! for the sender, never for system kinds, and from one instance only in a cluster.
//!
//! Every "no push" is proven with a sentinel: a message known to push (to an offline user) is
//! sent right after, and the notices received before the sentinel's are exactly the expected
//! ones (the test dispatcher runs one provider call at a time, so notices arrive in order).

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::receiver::{Receiver, signature_ok};
use tidings_tests::{Backend, TestServer, helpers, spawn_server_with};

const SECRET: &str = "push-test-secret";

async fn server_with_push(backend: Backend, url: &str) -> TestServer {
    let url = url.to_owned();
    spawn_server_with(backend, move |s| {
        s.push.provider = tidings_interfaces::settings::PushProviderKind::Webhook;
        s.push.url = Some(url.clone());
        s.push.secret = Some(SECRET.into());
        s.push.preview = true;
        s.push.max_in_flight = 1;
    })
    .await
}

/// Sends over REST; returns the msg_id.
async fn send(api: &Api, who: &Login, conv: &str, cmid: &str, body: Value) -> String {
    let (status, ack) = helpers::send(api, who, conv, cmid, "text", body).await;
    assert_eq!(status, 201, "{ack}");
    ack["msg_id"].as_str().unwrap().to_owned()
}

/// Notices received before the one for `sentinel` (checking every request's signature).
async fn notices_before(rx: &mut Receiver, sentinel: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let got = rx.next().await;
        assert!(got.request_line.starts_with("POST /hook "), "{}", got.request_line);
        assert_eq!(got.header("x-tidings-event"), "push");
        assert!(got.header("x-tidings-delivery").starts_with("p_"));
        assert!(signature_ok(SECRET, got.header("x-tidings-signature"), &got.body), "signature of {}", got.body);
        assert!(!signature_ok("another-secret", got.header("x-tidings-signature"), &got.body));
        for notice in got.json()["notices"].as_array().cloned().unwrap_or_default() {
            if notice["msg_id"] == sentinel {
                return out;
            }
            out.push(notice);
        }
    }
}

/// `(user_id, msg_id, mentioned)` of each notice, sorted.
fn who(notices: &[Value]) -> Vec<(String, String, bool)> {
    let mut v: Vec<_> = notices
        .iter()
        .map(|n| {
            (
                n["user_id"].as_str().unwrap_or_default().to_owned(),
                n["msg_id"].as_str().unwrap_or_default().to_owned(),
                n["mentioned"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A message to an offline user (dave), which always pushes.
async fn sentinel(api: &Api, alice: &Login, to_dave: &str, n: &mut u32) -> String {
    *n += 1;
    send(api, alice, to_dave, &format!("sentinel{n}"), json!({"text": "sentinel"})).await
}

async fn mute(api: &Api, who: &Login, conv: &str) {
    let (status, body) = api
        .call("PATCH", &format!("/api/v1/conversations/{conv}"), Some(&who.access_token), Some(json!({"muted": true})))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn offline_push_reaches_only_offline_unmuted_recipients(backend: Backend) {
    let mut rx = Receiver::start(vec![]).await;
    let srv = server_with_push(backend, &rx.url).await;
    let peer = srv.peer().await;
    // In a cluster, online users are connected to the other instance.
    let far = peer.as_ref().unwrap_or(&srv);
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let erin = api.user("erin", "e1").await;
    let to_dave = direct(&alice.user_id, &dave.user_id);
    let mut sentinels = 0;

    // Bob has no device connected: exactly one signed notice, for him, not for the sender.
    let ab = direct(&alice.user_id, &bob.user_id);
    let first = send(api, &alice, &ab, "m1", json!({"text": "hello bob"})).await;
    let s = sentinel(api, &alice, &to_dave, &mut sentinels).await;
    let got = notices_before(&mut rx, &s).await;
    assert_eq!(who(&got), vec![(bob.user_id.clone(), first.clone(), false)], "{got:?}");
    let n = &got[0];
    assert_eq!((n["conv"].as_str(), n["seq"].as_u64(), n["kind"].as_str()), (Some(ab.as_str()), Some(1), Some("text")));
    assert_eq!((n["sender"].as_str(), n["preview"].as_str()), (Some(alice.user_id.as_str()), Some("hello bob")));

    // Bob online (on the other instance in a cluster): the socket carries it, no push.
    let mut bob_ws = WsClient::connect(&far.ws_url(), &bob.access_token).await;
    send(api, &alice, &ab, "m2", json!({"text": "are you there"})).await;
    assert_eq!(bob_ws.expect("msg").await["message"]["body"]["text"], "are you there");
    let s = sentinel(api, &alice, &to_dave, &mut sentinels).await;
    assert_eq!(who(&notices_before(&mut rx, &s).await), vec![], "online users get no push");

    // Carol muted the chat: nothing, unless she is mentioned by name.
    let ac = direct(&alice.user_id, &carol.user_id);
    mute(api, &carol, &ac).await;
    send(api, &alice, &ac, "m3", json!({"text": "quiet please"})).await;
    let named = send(api, &alice, &ac, "m4", json!({"text": "@carol look", "mentions": [carol.user_id]})).await;
    let s = sentinel(api, &alice, &to_dave, &mut sentinels).await;
    assert_eq!(who(&notices_before(&mut rx, &s).await), vec![(carol.user_id.clone(), named, true)]);

    // A group: bob online, carol muted it, dave and erin offline. Creation notices never push.
    let members = [&bob, &carol, &dave, &erin].map(|m| m.user_id.clone());
    let (status, group) = api
        .call("POST", "/api/v1/groups", Some(&alice.access_token), Some(json!({"name": "Team", "members": members})))
        .await;
    assert_eq!(status, 201, "{group}");
    let conv = format!("g:{}", group["group_id"].as_str().unwrap());
    mute(api, &carol, &conv).await;
    let hi = send(api, &alice, &conv, "g1", json!({"text": "team hi"})).await;
    let all = send(api, &alice, &conv, "g2", json!({"text": "everyone", "mention_all": true})).await;
    let to_carol = send(api, &alice, &conv, "g3", json!({"text": "carol?", "mentions": [carol.user_id]})).await;
    let s = sentinel(api, &alice, &to_dave, &mut sentinels).await;
    let mut want = vec![
        (dave.user_id.clone(), hi.clone(), false),
        (erin.user_id.clone(), hi.clone(), false),
        (dave.user_id.clone(), all.clone(), true),
        (erin.user_id.clone(), all.clone(), true),
        (carol.user_id.clone(), to_carol.clone(), true),
        (dave.user_id.clone(), to_carol.clone(), false),
        (erin.user_id.clone(), to_carol.clone(), false),
    ];
    want.sort();
    assert_eq!(who(&notices_before(&mut rx, &s).await), want, "only offline unmuted members, once each");
    bob_ws.close().await;
}

tidings_tests::both_modes!(offline_push_reaches_only_offline_unmuted_recipients);
