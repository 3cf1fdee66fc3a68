//! Native push end to end: the real server (`push.provider = native`) with fake APNs (HTTP/2
//! over TLS, a test CA, ES256 provider tokens) and fake FCM (OAuth 2, HTTP v1) on loopback.
//! Devices register tokens over REST; an offline user's devices get one notification each,
//! worded per their privacy, with the exact badge, priority by mention, the message id as the
//! collapse id; an invalid token is removed; a logged-out device gets nothing; `/metrics` counts.
//!
//! "Nothing arrived" is proven with a sentinel: a message to a user whose FCM device always
//! gets it, sent after; the dispatcher runs one batch at a time, so once the sentinel's push is
//! at the fake, everything before it was sent or skipped.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, direct};
use tidings_tests::fake_apns::{ApnsRecord, FakeApns};
use tidings_tests::fake_fcm::{FakeFcm, FcmRecord};
use tidings_tests::fake_push::{FakePush, FakePushOptions};
use tidings_tests::{Backend, TestServer, helpers, spawn_server_with};

const TOPIC: &str = "com.example.tidings";

/// Both fakes and the directory of the files the server reads.
struct Fakes {
    apns: Arc<FakeApns>,
    fcm: Arc<FakeFcm>,
    _push: FakePush,
    _dir: tempfile::TempDir,
}

async fn server_with_fakes(backend: Backend) -> (TestServer, Fakes) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let push = FakePush::start(dir.path(), FakePushOptions { topic: TOPIC.into(), ..FakePushOptions::default() })
        .await
        .unwrap_or_else(|e| panic!("fake push services: {e}"));
    let mut settings = tidings_interfaces::settings::PushSettings::default();
    push.configure(&mut settings);
    let srv = spawn_server_with(backend, move |s| {
        s.push = settings.clone();
        s.push.preview = true;
        s.push.max_in_flight = 1;
    })
    .await;
    (srv, Fakes { apns: push.apns.clone(), fcm: push.fcm.clone(), _push: push, _dir: dir })
}

async fn send(api: &Api, who: &Login, conv: &str, cmid: &str, body: Value) -> String {
    let (status, ack) = helpers::send(api, who, conv, cmid, "text", body).await;
    assert_eq!(status, 201, "{ack}");
    ack["msg_id"].as_str().unwrap_or_default().to_owned()
}

async fn register(api: &Api, who: &Login, platform: &str, token: &str) {
    let (s, b) = api
        .call(
            "PUT",
            &format!("/api/v1/me/devices/{}/push", who.device_id),
            Some(&who.access_token),
            Some(json!({"platform": platform, "token": token})),
        )
        .await;
    assert_eq!(s, 204, "{b}");
}

/// Waits (bounded) until the fake FCM holds a push for `msg_id`; returns everything APNs and
/// FCM accepted before it.
async fn until_fcm_has(fakes: &Fakes, msg_id: &str) -> (Vec<ApnsRecord>, Vec<FcmRecord>) {
    for _ in 0..200 {
        let fcm = fakes.fcm.accepted();
        if let Some(at) = fcm.iter().position(|r| r.message["data"]["msg_id"] == msg_id) {
            return (fakes.apns.accepted(), fcm[..at].to_vec());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no FCM push for {msg_id}: {:?}", fakes.fcm.accepted().iter().map(|r| &r.message).collect::<Vec<_>>());
}

fn apns_for<'a>(records: &'a [ApnsRecord], msg_id: &str) -> Vec<&'a ApnsRecord> {
    records.iter().filter(|r| r.headers.get("apns-collapse-id").map(String::as_str) == Some(msg_id)).collect()
}

async fn native_pushes_reach_registered_devices(backend: Backend) {
    let (srv, fakes) = server_with_fakes(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a-laptop").await;
    api.register("bob").await;
    let bob = api.login_on("bob", "bob-iphone", "ios").await;
    api.register("dave").await;
    let dave = api.login_on("dave", "dave-pixel", "android").await;
    let bob_token = "a1".repeat(32);
    register(api, &bob, "apns", &bob_token).await;
    register(api, &dave, "fcm", "dave-fcm-token:1").await;
    let ab = direct(&alice.user_id, &bob.user_id);
    let ad = direct(&alice.user_id, &dave.user_id);

    // Bob offline: one APNs push, worded in full, with the badge, normal priority, HTTP/2.
    let first = send(api, &alice, &ab, "m1", json!({"text": "hello bob"})).await;
    let named = send(api, &alice, &ab, "m2", json!({"text": "@bob look", "mentions": [bob.user_id]})).await;
    let sentinel = send(api, &alice, &ad, "s1", json!({"text": "for dave"})).await;
    let (apns, _) = until_fcm_has(&fakes, &sentinel).await;
    let one = apns_for(&apns, &first);
    assert_eq!(one.len(), 1, "{apns:?}");
    let r = one[0];
    assert_eq!(r.token, bob_token);
    assert_eq!(r.version, hyper::Version::HTTP_2);
    assert_eq!(r.headers.get("apns-topic").map(String::as_str), Some(TOPIC));
    assert_eq!(r.headers.get("apns-push-type").map(String::as_str), Some("alert"));
    assert_eq!(r.headers.get("apns-priority").map(String::as_str), Some("5"));
    assert_eq!(r.payload["aps"]["alert"]["title"], "alice");
    assert_eq!(r.payload["aps"]["alert"]["body"], "hello bob");
    // The badge is the unread count when the push is sent: the mention, committed right after,
    // may already be counted.
    let badge = r.payload["aps"]["badge"].as_u64();
    assert!(matches!(badge, Some(1 | 2)), "{badge:?}");
    assert_eq!(r.payload["aps"]["thread-id"], ab.as_str());
    let mention = apns_for(&apns, &named);
    assert_eq!(mention.len(), 1, "{apns:?}");
    assert_eq!(mention[0].headers.get("apns-priority").map(String::as_str), Some("10"), "a mention is urgent");
    assert_eq!(mention[0].payload["aps"]["badge"], 2);

    // Dave's FCM push: HTTP v1 with the OAuth token, notification and data.
    let fcm = fakes.fcm.accepted();
    let d = fcm.iter().find(|r| r.message["data"]["msg_id"] == sentinel.as_str()).cloned();
    let d = d.unwrap_or_else(|| panic!("dave's push: {fcm:?}"));
    assert_eq!(d.token, "dave-fcm-token:1");
    assert_eq!(d.message["notification"]["title"], "alice");
    assert_eq!(d.message["notification"]["body"], "for dave");
    assert_eq!(d.message["android"]["priority"], "NORMAL");
    assert_eq!(d.message["data"]["conv"], ad.as_str());

    // Hidden privacy: nothing about who or what.
    let (s, _) =
        api.call("PATCH", "/api/v1/me/push", Some(&bob.access_token), Some(json!({"privacy": "hidden"}))).await;
    assert_eq!(s, 200);
    let secret = send(api, &alice, &ab, "m3", json!({"text": "the secret"})).await;
    let sentinel = send(api, &alice, &ad, "s2", json!({"text": "again"})).await;
    let (apns, _) = until_fcm_has(&fakes, &sentinel).await;
    let hidden = apns_for(&apns, &secret);
    assert_eq!(hidden.len(), 1, "{apns:?}");
    assert_eq!(hidden[0].payload["aps"]["alert"]["title"], "Tidings");
    assert_eq!(hidden[0].payload["aps"]["alert"]["body"], "New message");
    assert!(!hidden[0].payload.to_string().contains("the secret"), "{}", hidden[0].payload);

    // APNs says the token is gone: it is removed and never tried again.
    fakes.apns.unregister(&bob_token);
    send(api, &alice, &ab, "m4", json!({"text": "anyone?"})).await;
    let sentinel = send(api, &alice, &ad, "s3", json!({"text": "still here"})).await;
    until_fcm_has(&fakes, &sentinel).await;
    let (_, b) = api.call("GET", "/api/v1/me/push", Some(&bob.access_token), None).await;
    assert_eq!(b["devices"].as_array().map(Vec::len), Some(0), "the dead token was removed: {b}");
    let requests = fakes.apns.requests();
    send(api, &alice, &ab, "m5", json!({"text": "hello?"})).await;
    let sentinel = send(api, &alice, &ad, "s4", json!({"text": "ok"})).await;
    until_fcm_has(&fakes, &sentinel).await;
    assert_eq!(fakes.apns.requests(), requests, "no request for a removed token");

    // A logged-out device gets nothing, though its token row is still there.
    let carol_token = "c2".repeat(32);
    api.register("carol").await;
    let carol = api.login_on("carol", "carol-iphone", "ios").await;
    register(api, &carol, "apns", &carol_token).await;
    let (s, _) =
        api.call("DELETE", &format!("/api/v1/me/devices/{}", carol.device_id), Some(&carol.access_token), None).await;
    assert!(s < 300, "logout: {s}");
    let ac = direct(&alice.user_id, &carol.user_id);
    let late = send(api, &alice, &ac, "c1", json!({"text": "carol?"})).await;
    let sentinel = send(api, &alice, &ad, "s5", json!({"text": "fine"})).await;
    let (apns, _) = until_fcm_has(&fakes, &sentinel).await;
    assert!(apns_for(&apns, &late).is_empty(), "a logged-out device is not notified");

    // /metrics counts by platform and outcome.
    let resp = reqwest::get(format!("http://127.0.0.1:{}/metrics", srv.port())).await;
    let text = match resp {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => panic!("/metrics: {e}"),
    };
    for line in [
        "tidings_native_push_total{platform=\"apns\",outcome=\"invalid_token\"} 1",
        "tidings_native_push_total{platform=\"fcm\",outcome=\"delivered\"} 5",
    ] {
        assert!(text.contains(line), "{line} in:\n{}", metric_lines(&text));
    }
}

fn metric_lines(text: &str) -> String {
    text.lines().filter(|l| l.contains("push")).collect::<Vec<_>>().join("\n")
}

tidings_tests::both_modes!(native_pushes_reach_registered_devices);
