//! Push and do-not-disturb through the SDK: this device's push token (its id escaped into the
//! path), the notification settings as the server keeps them, a timed mute shown in the list and
//! kept offline across a restart, a mute changed on another device arriving with the next list,
//! and the badge equal to the store's unread count after receiving and after reading.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tidings_sdk::{ClientEvent, Conversation, QuietHours, direct_conv_id};
use tidings_tests::{Backend, both_modes, spawn_server};

use crate::support::{App, post_text, until};

/// A device id with characters that would break a URL path unescaped.
const DEVICE: &str = "a-phone#1/x?y%z";

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap())
}

fn mute_of(c: &Conversation) -> (bool, Option<i64>) {
    (c.muted, c.muted_until)
}

both_modes!(push_token_settings_mute_and_badge);
async fn push_token_settings_mute_and_badge(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice_rest = api.user("alice", "a-rest").await;
    let bob = api.user("bob", "b1").await;
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", srv.port());
    let mut app = App::new(vec![base.clone()], dir.path(), DEVICE).await;
    let me = app.login_and_connect("alice").await;
    let conv = direct_conv_id(&me, &bob.user_id);

    // The token, for this very device; bad ones are refused with the server's code.
    app.client.register_push_token("fcm".into(), "fcm-token-1".into()).await.unwrap();
    let settings = app.client.push_settings().await.unwrap();
    let devices: Vec<_> = settings.devices.iter().map(|d| (d.device_id.as_str(), d.platform.as_str())).collect();
    assert_eq!(devices, [(DEVICE, "fcm")]);
    for (platform, token) in [("fcm", "with space"), ("pager", "t"), ("apns", "")] {
        let e = app.client.register_push_token(platform.into(), token.into()).await.unwrap_err();
        assert_eq!(e.code(), Some("invalid_field"), "{platform} {token:?}: {e}");
    }

    // Settings: what the SDK sets is what the server keeps for every device of the user.
    assert_eq!(settings.privacy, "full");
    assert_eq!(app.client.set_push_privacy("sender".into()).await.unwrap().privacy, "sender");
    let e = app.client.set_push_privacy("loud".into()).await.unwrap_err();
    assert_eq!(e.code(), Some("invalid_field"), "{e}");
    let quiet = QuietHours { start: "22:00".into(), end: "07:30".into(), tz: "Asia/Shanghai".into() };
    let set = app.client.set_quiet_hours(quiet.start.clone(), quiet.end.clone(), quiet.tz.clone()).await.unwrap();
    assert_eq!(set.quiet_hours.as_ref(), Some(&quiet));
    for (start, end, tz) in
        [("22:00", "22:00", "Asia/Shanghai"), ("25:00", "07:00", "UTC"), ("22:00", "07:00", "Mars/Base")]
    {
        let e = app.client.set_quiet_hours(start.into(), end.into(), tz.into()).await.unwrap_err();
        assert_eq!(e.code(), Some("invalid_field"), "{start}-{end} {tz}: {e}");
    }
    let (status, rest): (u16, Value) = api.call("GET", "/api/v1/me/push", Some(&alice_rest.access_token), None).await;
    assert_eq!(status, 200);
    assert_eq!(rest["privacy"], "sender");
    assert_eq!(rest["quiet_hours"], json!({"start": "22:00", "end": "07:30", "tz": "Asia/Shanghai"}));
    assert_eq!(app.client.push_settings().await.unwrap(), set);
    assert_eq!(app.client.clear_quiet_hours().await.unwrap().quiet_hours, None);

    // Messages arrive: the badge is the store's count.
    for i in 1..=3 {
        post_text(api, &bob, &conv, &format!("b-{i}"), &format!("hello {i}")).await;
    }
    let last = app.new_text("hello 3").await;
    let client = app.client.clone();
    until("badge == total_unread == 3", move || {
        let client = client.clone();
        async move { client.badge_count().await.unwrap() == 3 && client.total_unread().await.unwrap() == 3 }
    })
    .await;

    // A timed mute: in the answer, the event and the list; a bad one changes nothing.
    let end = now_ms() + 3_600_000;
    let row = app.client.mute_conversation_until(conv.clone(), end).await.unwrap();
    assert_eq!(mute_of(&row), (true, Some(end)));
    app.wait("muted row", |e| matches!(e, ClientEvent::ConversationChanged { conversation: c } if c.muted)).await;
    for bad in [now_ms() - 1, now_ms() + 400 * 86_400_000] {
        let e = app.client.mute_conversation_until(conv.clone(), bad).await.unwrap_err();
        assert_eq!(e.code(), Some("invalid_field"), "{e}");
    }
    let e = app.client.mute_conversation("x:bad".into(), true).await.unwrap_err();
    assert!(matches!(e, tidings_sdk::SdkError::InvalidInput { .. }), "{e}");
    let listed = app.client.conversations().await.unwrap();
    assert_eq!(listed.iter().map(mute_of).collect::<Vec<_>>(), [(true, Some(end))]);
    let server_row = api.conversations(&alice_rest).await;
    assert_eq!((server_row[0]["muted"].as_bool(), server_row[0]["muted_until"].as_i64()), (Some(true), Some(end)));

    // Kept offline: a restart without a server still shows it.
    app.client.shutdown().await;
    let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), DEVICE).await;
    let row = offline.client.conversation(conv.clone()).await.unwrap().unwrap();
    assert_eq!(mute_of(&row), (true, Some(end)));
    assert_eq!(offline.client.total_unread().await.unwrap(), 3);
    assert!(offline.client.badge_count().await.is_err(), "the badge needs the server");
    offline.client.shutdown().await;

    // Another device mutes for good while this one is away: the next list brings it.
    let path = format!("/api/v1/conversations/{conv}");
    let (status, body) = api.call("PATCH", &path, Some(&alice_rest.access_token), Some(json!({"muted": true}))).await;
    assert_eq!(status, 200, "{body}");
    let mut app = App::new(vec![base], dir.path(), DEVICE).await;
    app.connect().await;
    app.wait(
        "muted for good",
        |e| matches!(e, ClientEvent::ConversationChanged { conversation: c } if c.muted && c.muted_until.is_none()),
    )
    .await;

    // Read: the badge follows, and unmuting ends the mute.
    app.client.mark_read(conv.clone(), last).await.unwrap();
    assert_eq!((app.client.badge_count().await.unwrap(), app.client.total_unread().await.unwrap()), (0, 0));
    let row = app.client.mute_conversation(conv.clone(), false).await.unwrap();
    assert_eq!(mute_of(&row), (false, None));

    // Unregistering is idempotent.
    app.client.unregister_push_token().await.unwrap();
    app.client.unregister_push_token().await.unwrap();
    assert!(app.client.push_settings().await.unwrap().devices.is_empty());
    app.client.shutdown().await;
}
