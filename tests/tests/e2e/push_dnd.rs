//! Do-not-disturb and what a notice carries: a mute that ends at a time, quiet hours in the
//! user's time zone (mentions by name still push), the privacy of the text, the badge (the exact
//! unread count over all conversations, as `GET /api/v1/me/badge` answers), and the push-token
//! and settings routes with their bad input. Through the signed webhook provider, whose notices
//! carry the same fields the native senders word (tests/e2e/push_native.rs).
//!
//! "No push" is proven with a sentinel, as in push.rs: a message known to push is sent right
//! after, and the notices before it are exactly the expected ones.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, direct};
use tidings_tests::receiver::Receiver;
use tidings_tests::{Backend, TestServer, helpers, spawn_server_with};

async fn server_with_push(backend: Backend, url: &str) -> TestServer {
    let url = url.to_owned();
    spawn_server_with(backend, move |s| {
        s.push.provider = tidings_interfaces::settings::PushProviderKind::Webhook;
        s.push.url = Some(url.clone());
        s.push.secret = Some("dnd-secret".into());
        s.push.preview = true;
        s.push.max_in_flight = 1;
    })
    .await
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn send(api: &Api, who: &Login, conv: &str, cmid: &str, body: Value) -> String {
    let (status, ack) = helpers::send(api, who, conv, cmid, "text", body).await;
    assert_eq!(status, 201, "{ack}");
    ack["msg_id"].as_str().unwrap_or_default().to_owned()
}

/// Notices received before the one for `sentinel`.
async fn notices_before(rx: &mut Receiver, sentinel: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let got = rx.next().await;
        for notice in got.json()["notices"].as_array().cloned().unwrap_or_default() {
            if notice["msg_id"] == sentinel {
                return out;
            }
            out.push(notice);
        }
    }
}

/// `(user_id, msg_id)` of each notice.
fn who(notices: &[Value]) -> Vec<(String, String)> {
    notices
        .iter()
        .map(|n| {
            (n["user_id"].as_str().unwrap_or_default().to_owned(), n["msg_id"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

struct Sentinel<'a> {
    api: &'a Api,
    from: &'a Login,
    conv: String,
    n: u32,
}

impl Sentinel<'_> {
    async fn send(&mut self) -> String {
        self.n += 1;
        send(self.api, self.from, &self.conv, &format!("sentinel{}", self.n), json!({"text": "sentinel"})).await
    }
}

async fn patch(api: &Api, who: &Login, path: &str, body: Value) -> (u16, Value) {
    api.call("PATCH", path, Some(&who.access_token), Some(body)).await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn badge(api: &Api, who: &Login) -> u64 {
    let (status, body) = api.call("GET", "/api/v1/me/badge", Some(&who.access_token), None).await;
    assert_eq!(status, 200, "{body}");
    body["unread"].as_u64().unwrap_or(u64::MAX)
}

/// The sum of the conversation list's `unread`.
async fn list_unread(api: &Api, who: &Login) -> u64 {
    api.conversations(who).await.iter().map(|c| c["unread"].as_u64().unwrap_or(0)).sum()
}

async fn timed_mute_and_quiet_hours_hold_back_pushes(backend: Backend) {
    let mut rx = Receiver::start(vec![]).await;
    let srv = server_with_push(backend, &rx.url).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let mut sentinel = Sentinel { api, from: &alice, conv: direct(&alice.user_id, &dave.user_id), n: 0 };
    let ab = direct(&alice.user_id, &bob.user_id);
    let ac = direct(&alice.user_id, &carol.user_id);
    let bob_conv = format!("/api/v1/conversations/{ab}");

    // A timed mute: bad values change nothing.
    let (s, b) = patch(api, &bob, &bob_conv, json!({"muted_until": now_ms() - 1000})).await;
    assert_eq!((s, code(&b)), (400, "invalid_field"), "{b}");
    let (s, b) = patch(api, &bob, &bob_conv, json!({"muted_until": now_ms() + 400 * 86_400_000})).await;
    assert_eq!((s, code(&b)), (400, "invalid_field"), "a mute over a year ahead: {b}");
    let (s, b) = patch(api, &bob, &bob_conv, json!({"muted": true, "muted_until": now_ms() + 60_000})).await;
    assert_eq!((s, code(&b)), (400, "invalid_field"), "{b}");
    let (s, b) = patch(api, &bob, &bob_conv, json!({"muted_until": "soon"})).await;
    assert_eq!((s, code(&b)), (400, "invalid_field"), "{b}");

    // Muted for an hour (replacing a mute for good): listed as muted, with its end; no push.
    let (s, _) = patch(api, &bob, &bob_conv, json!({"muted": true})).await;
    assert_eq!(s, 200);
    let until = now_ms() + 3_600_000;
    let (s, b) = patch(api, &bob, &bob_conv, json!({"muted_until": until})).await;
    assert_eq!((s, b["muted"].as_bool(), b["muted_until"].as_i64()), (200, Some(true), Some(until)), "{b}");
    let rows = api.conversations(&bob).await;
    let row = rows.iter().find(|r| r["conv"] == ab.as_str()).cloned().unwrap_or_default();
    assert_eq!((row["muted"].as_bool(), row["muted_until"].as_i64()), (Some(true), Some(until)), "{row}");
    send(api, &alice, &ab, "m1", json!({"text": "while muted"})).await;
    let named = send(api, &alice, &ab, "m2", json!({"text": "@bob", "mentions": [bob.user_id]})).await;
    let s1 = sentinel.send().await;
    assert_eq!(
        who(&notices_before(&mut rx, &s1).await),
        vec![(bob.user_id.clone(), named)],
        "a mention by name pushes through"
    );

    // `null` ends it at once (and the mute for good it replaced is gone too).
    let (s, b) = patch(api, &bob, &bob_conv, json!({"muted_until": null})).await;
    assert_eq!((s, b["muted"].as_bool(), b.get("muted_until")), (200, Some(false), None), "{b}");
    let heard = send(api, &alice, &ab, "m3", json!({"text": "unmuted"})).await;
    let s2 = sentinel.send().await;
    assert_eq!(who(&notices_before(&mut rx, &s2).await), vec![(bob.user_id.clone(), heard)]);

    // A mute that ends by itself: muted now, pushing again once its time has passed.
    let (s, _) = patch(api, &bob, &bob_conv, json!({"muted_until": now_ms() + 1500})).await;
    assert_eq!(s, 200);
    send(api, &alice, &ab, "m4", json!({"text": "still muted"})).await;
    let s3 = sentinel.send().await;
    assert_eq!(who(&notices_before(&mut rx, &s3).await), vec![]);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let after = send(api, &alice, &ab, "m5", json!({"text": "mute over"})).await;
    let s4 = sentinel.send().await;
    assert_eq!(who(&notices_before(&mut rx, &s4).await), vec![(bob.user_id.clone(), after)]);

    // Quiet hours around now, in a zone far from UTC: nothing but mentions by name.
    let (s, b) =
        patch(api, &carol, "/api/v1/me/push", json!({"quiet_hours": quiet_around_now("Asia/Kolkata", 330)})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["quiet_hours"]["tz"], "Asia/Kolkata");
    send(api, &alice, &ac, "q1", json!({"text": "late night"})).await;
    let named = send(api, &alice, &ac, "q2", json!({"text": "@carol urgent", "mentions": [carol.user_id]})).await;
    let s5 = sentinel.send().await;
    let got = notices_before(&mut rx, &s5).await;
    assert_eq!(who(&got), vec![(carol.user_id.clone(), named)]);
    assert_eq!(got[0]["mentioned"], true);
    // The same clock times in a zone where it is not now: pushes again.
    let (s, _) =
        patch(api, &carol, "/api/v1/me/push", json!({"quiet_hours": quiet_around_now("Asia/Kolkata", 330 + 180)}))
            .await;
    assert_eq!(s, 200);
    let heard = send(api, &alice, &ac, "q3", json!({"text": "morning"})).await;
    let s6 = sentinel.send().await;
    assert_eq!(who(&notices_before(&mut rx, &s6).await), vec![(carol.user_id.clone(), heard)]);
    // Unread counts are kept through all of it.
    assert_eq!(badge(api, &carol).await, 3);
    assert_eq!(badge(api, &bob).await, 5);
}

/// A quiet-hours window from an hour before to an hour after now, in clock times of a zone
/// `offset_min` ahead of UTC (shifting the offset moves the window away from now).
fn quiet_around_now(tz: &str, offset_min: i64) -> Value {
    let local_min = (now_ms() / 60_000 + offset_min).rem_euclid(1440);
    let at = |m: i64| {
        let m = m.rem_euclid(1440);
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    json!({"start": at(local_min - 60), "end": at(local_min + 60), "tz": tz})
}

async fn notices_carry_the_badge_and_respect_privacy(backend: Backend) {
    let mut rx = Receiver::start(vec![]).await;
    let srv = server_with_push(backend, &rx.url).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let dave = api.user("dave", "d1").await;
    let mut sentinel = Sentinel { api, from: &alice, conv: direct(&alice.user_id, &dave.user_id), n: 0 };
    let ab = direct(&alice.user_id, &bob.user_id);
    let (status, group) = api
        .call(
            "POST",
            "/api/v1/groups",
            Some(&alice.access_token),
            Some(json!({"name": "Ops", "members": [bob.user_id]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let g = format!("g:{}", group["group_id"].as_str().unwrap_or_default());

    // Full privacy (the default): sender, group and text; the badge counts this message too.
    send(api, &alice, &ab, "d1", json!({"text": "one"})).await;
    let (_, recalled) = helpers::send(api, &alice, &ab, "d2", "text", json!({"text": "oops"})).await;
    let seq = recalled["seq"].as_u64().unwrap_or_default();
    let (s, b) = api
        .call("POST", &format!("/api/v1/conversations/{ab}/messages/{seq}/recall"), Some(&alice.access_token), None)
        .await;
    assert!(s < 300, "{b}");
    send(api, &alice, &g, "g1", json!({"text": "deploy done"})).await;
    let s1 = sentinel.send().await;
    let got = notices_before(&mut rx, &s1).await;
    let last = got.last().cloned().unwrap_or_default();
    assert_eq!((last["group_name"].as_str(), last["sender_name"].as_str()), (Some("Ops"), Some("alice")), "{last}");
    assert_eq!(last["preview"], "deploy done");
    let rows = api.conversations(&bob).await;
    let direct_unread = rows.iter().find(|r| r["conv"] == ab.as_str()).and_then(|r| r["unread"].as_u64());
    assert_eq!(direct_unread, Some(1), "the recalled message is not unread");
    let unread = list_unread(api, &bob).await;
    assert!(unread >= 2, "{rows:?}");
    assert_eq!(last["badge"].as_u64(), Some(unread), "the badge is the list's sum: {got:?}");
    assert_eq!(badge(api, &bob).await, unread);

    // Sender only, then hidden: no text in the notice.
    for privacy in ["sender", "hidden"] {
        let (s, b) = patch(api, &bob, "/api/v1/me/push", json!({"privacy": privacy})).await;
        assert_eq!((s, b["privacy"].as_str()), (200, Some(privacy)), "{b}");
        send(api, &alice, &ab, &format!("p-{privacy}"), json!({"text": "secret plans"})).await;
        let s = sentinel.send().await;
        let got = notices_before(&mut rx, &s).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].get("preview").is_none(), "{privacy}: {}", got[0]);
    }
    assert_eq!(badge(api, &bob).await, unread + 2);

    // Reading moves the badge exactly as it moves the list.
    let rows = api.conversations(&bob).await;
    let gmax = rows.iter().find(|r| r["conv"] == g.as_str()).and_then(|r| r["max_seq"].as_u64()).unwrap_or(0);
    let (s, b) = api
        .call("POST", &format!("/api/v1/conversations/{g}/read"), Some(&bob.access_token), Some(json!({"seq": gmax})))
        .await;
    assert!(s < 300, "{b}");
    assert_eq!(badge(api, &bob).await, 3);
    assert_eq!(list_unread(api, &bob).await, 3);
    let (s, _) = api.call("POST", "/api/v1/conversations/read-all", Some(&bob.access_token), None).await;
    assert_eq!(s, 200);
    assert_eq!(badge(api, &bob).await, 0);
}

async fn push_tokens_and_settings_refuse_bad_input(backend: Backend) {
    let srv = tidings_tests::spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "phone-1").await;
    let eve = api.user("eve", "eve-phone").await;
    let put = |who: &Login, device: &str, body: Value| {
        let path = format!("/api/v1/me/devices/{device}/push");
        let token = who.access_token.clone();
        async move { api.call("PUT", &path, Some(&token), Some(body)).await }
    };
    let token = "a".repeat(64);
    for (body, want) in [
        (json!({"platform": "gcm", "token": token}), "invalid_field"),
        (json!({"platform": "apns", "token": "has space"}), "invalid_field"),
        (json!({"platform": "apns", "token": ""}), "invalid_field"),
        (json!({"platform": "fcm", "token": "x".repeat(4097)}), "invalid_field"),
        (json!({"platform": "apns"}), "invalid_field"),
        (json!({"platform": "apns", "token": token, "extra": 1}), "invalid_field"),
    ] {
        let (s, b) = put(&bob, "phone-1", body.clone()).await;
        assert_eq!((s, code(&b)), (400, want), "{body}: {b}");
    }
    let (s, b) = put(&bob, "someone-elses", json!({"platform": "apns", "token": token})).await;
    assert_eq!((s, code(&b)), (404, "not_found"), "only the caller's logged-in devices: {b}");
    let (s, b) = put(&bob, "eve-phone", json!({"platform": "apns", "token": token})).await;
    assert_eq!((s, code(&b)), (404, "not_found"), "{b}");
    let (s, b) = api.call("GET", "/api/v1/me/push", Some(&bob.access_token), None).await;
    assert_eq!((s, b["devices"].as_array().map(Vec::len)), (200, Some(0)), "nothing was stored: {b}");

    let (s, b) = put(&bob, "phone-1", json!({"platform": "apns", "token": token})).await;
    assert_eq!(s, 204, "{b}");
    let (_, b) = api.call("GET", "/api/v1/me/push", Some(&bob.access_token), None).await;
    assert_eq!((b["privacy"].as_str(), b["devices"][0]["device_id"].as_str()), (Some("full"), Some("phone-1")), "{b}");
    assert_eq!(b["devices"][0]["platform"], "apns");
    // The same token registered by another account's device moves there.
    let (s, _) = put(&eve, "eve-phone", json!({"platform": "apns", "token": token})).await;
    assert_eq!(s, 204);
    let (_, b) = api.call("GET", "/api/v1/me/push", Some(&bob.access_token), None).await;
    assert_eq!(b["devices"].as_array().map(Vec::len), Some(0), "{b}");
    let (_, b) = api.call("GET", "/api/v1/me/push", Some(&eve.access_token), None).await;
    assert_eq!(b["devices"].as_array().map(Vec::len), Some(1), "{b}");
    let (s, _) = api.call("DELETE", "/api/v1/me/devices/eve-phone/push", Some(&eve.access_token), None).await;
    assert_eq!(s, 204);
    let (s, _) = api.call("DELETE", "/api/v1/me/devices/eve-phone/push", Some(&eve.access_token), None).await;
    assert_eq!(s, 204, "idempotent");
    let (_, b) = api.call("GET", "/api/v1/me/push", Some(&eve.access_token), None).await;
    assert_eq!(b["devices"].as_array().map(Vec::len), Some(0), "{b}");

    for (body, want) in [
        (json!({"privacy": "loud"}), "invalid_field"),
        (json!({"quiet_hours": {"start": "22:00", "end": "22:00", "tz": "UTC"}}), "invalid_field"),
        (json!({"quiet_hours": {"start": "24:00", "end": "07:00", "tz": "UTC"}}), "invalid_field"),
        (json!({"quiet_hours": {"start": "22:00", "end": "07:00", "tz": "Mars/Base"}}), "invalid_field"),
        (json!({"quiet_hours": {"start": "22:00", "end": "07:00"}}), "invalid_field"),
        (json!({"quiet": true}), "invalid_field"),
        (json!([null, null]), "invalid_field"),
        (json!(["hidden", null]), "invalid_field"),
    ] {
        let (s, b) = patch(api, &bob, "/api/v1/me/push", body.clone()).await;
        assert_eq!((s, code(&b)), (400, want), "{body}: {b}");
    }
    let (_, b) = api.call("GET", "/api/v1/me/push", Some(&bob.access_token), None).await;
    assert_eq!((b["privacy"].as_str(), b.get("quiet_hours")), (Some("full"), None), "nothing changed: {b}");
    let quiet = json!({"start": "22:30", "end": "07:00", "tz": "Europe/Berlin"});
    let (s, b) = patch(api, &bob, "/api/v1/me/push", json!({"privacy": "hidden", "quiet_hours": quiet})).await;
    assert_eq!((s, b["privacy"].as_str(), &b["quiet_hours"]), (200, Some("hidden"), &quiet), "{b}");
    let (s, b) = patch(api, &bob, "/api/v1/me/push", json!({"quiet_hours": null})).await;
    assert_eq!((s, b["privacy"].as_str(), b.get("quiet_hours")), (200, Some("hidden"), None), "{b}");
    let (s, b) = api.call("GET", "/api/v1/me/push", None, None).await;
    assert_eq!((s, code(&b)), (401, "unauthorized"), "{b}");
}

tidings_tests::both_modes!(
    timed_mute_and_quiet_hours_hold_back_pushes,
    notices_carry_the_badge_and_respect_privacy,
    push_tokens_and_settings_refuse_bad_input
);
