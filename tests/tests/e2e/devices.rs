//! Multi-device policy: per-platform limits kick the oldest device, the device list, remote logout.

use std::time::Duration;

use serde_json::Value;
use tidings_tests::client::{Closed, WsClient};
use tidings_tests::{Backend, spawn_server};

const QUIET: Duration = Duration::from_millis(300);

fn device_ids(list: &Value) -> Vec<(String, String, bool)> {
    list["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["device_id"].as_str().unwrap().to_owned(),
                d["platform"].as_str().unwrap().to_owned(),
                d["online"] == true,
            )
        })
        .collect()
}

async fn a_second_phone_login_kicks_the_first_and_remote_logout_works(backend: Backend) {
    let srv = spawn_server(backend).await;
    let peer = srv.peer().await;
    let there = peer.as_ref().unwrap_or(&srv);
    let api = &srv.api;
    api.register("alice").await;
    let phone1 = api.login_on("alice", "phone-1", "android").await;
    let desk = api.login_on("alice", "desk-1", "desktop").await;
    let ipad = api.login_on("alice", "ipad-1", "ios").await;
    // The first phone is connected to the other instance in cluster mode.
    let mut p1_ws = WsClient::connect(&there.ws_url(), &phone1.access_token).await;
    let mut desk_ws = WsClient::connect(&srv.ws_url(), &desk.access_token).await;
    let mut ipad_ws = WsClient::connect(&there.ws_url(), &ipad.access_token).await;

    let (status, list) = api.call("GET", "/api/v1/me/devices", Some(&desk.access_token), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        device_ids(&list),
        vec![
            ("phone-1".into(), "android".into(), true),
            ("desk-1".into(), "desktop".into(), true),
            ("ipad-1".into(), "ios".into(), true)
        ]
    );
    assert_eq!(list["devices"][1]["current"], true);

    // A second Android login kicks the first: `kicked`, then close 4001; its tokens stop working.
    let phone2 = api.login_on("alice", "phone-2", "android").await;
    let kicked = p1_ws.expect("kicked").await;
    assert_eq!(kicked["reason"], "device_limit");
    assert_eq!(p1_ws.closed().await, Closed::Code(4001));
    let (status, _) = api.call("GET", "/api/v1/me", Some(&phone1.access_token), None).await;
    assert_eq!(status, 401);
    let (status, _) = api
        .call("POST", "/api/v1/auth/refresh", None, Some(serde_json::json!({"refresh_token": phone1.refresh_token})))
        .await;
    assert_eq!(status, 401);
    // Other platforms are untouched.
    desk_ws.expect_silence(QUIET).await;
    ipad_ws.expect_silence(QUIET).await;
    let desk2 = api.login_on("alice", "desk-2", "desktop").await;
    desk_ws.expect_silence(QUIET).await;

    let (_, list) = api.call("GET", "/api/v1/me/devices", Some(&desk.access_token), None).await;
    let ids: Vec<String> = device_ids(&list).into_iter().map(|d| d.0).collect();
    assert_eq!(ids, vec!["desk-1", "ipad-1", "phone-2", "desk-2"]);
    assert!(!device_ids(&list)[2].2, "phone-2 is logged in but not connected");

    // Remote logout of the iPad from the desktop.
    let (status, body) = api.call("DELETE", "/api/v1/me/devices/ipad-1", Some(&desk.access_token), None).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(ipad_ws.expect("kicked").await["reason"], "remote_logout");
    assert_eq!(ipad_ws.closed().await, Closed::Code(4001));
    let (status, _) = api.call("GET", "/api/v1/me", Some(&ipad.access_token), None).await;
    assert_eq!(status, 401);
    assert_eq!(WsClient::try_connect(&srv.ws_url(), &ipad.access_token).await.err(), Some(401));
    let (status, body) = api.call("DELETE", "/api/v1/me/devices/ipad-1", Some(&desk.access_token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (_, list) = api.call("GET", "/api/v1/me/devices", Some(&phone2.access_token), None).await;
    let ids: Vec<String> = device_ids(&list).into_iter().map(|d| d.0).collect();
    assert_eq!(ids, vec!["desk-1", "phone-2", "desk-2"]);
    // Another user cannot log my devices out (they only see their own).
    let bob = api.user("bob", "b1").await;
    let (status, _) = api.call("DELETE", "/api/v1/me/devices/desk-2", Some(&bob.access_token), None).await;
    assert_eq!(status, 404);
    let (status, _) = api.call("GET", "/api/v1/me", Some(&desk2.access_token), None).await;
    assert_eq!(status, 200);
}

tidings_tests::both_modes!(a_second_phone_login_kicks_the_first_and_remote_logout_works);
