//! Discovery: `GET /api/v1/discovery` answers the healthy instances best first, in both modes;
//! in a cluster of real processes a killed instance stops being offered within the registry's
//! TTL and a draining one at once, and devices that connect where discovery sends them spread
//! evenly and come back to the same instance.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use tidings_tests::client::{Api, WsClient};
use tidings_tests::processes::ClusterProcesses;
use tidings_tests::{Backend, both_modes, spawn_server, spawn_server_with};
use tokio::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_tidings-e2e-server");

both_modes!(answers_with_the_healthy_instances_and_refuses_bad_input, is_rate_limited_per_address);

async fn discover(api: &Api, query: &str) -> (u16, Value) {
    api.call("GET", &format!("/api/v1/discovery{query}"), None, None).await
}

fn ids(answer: &Value) -> Vec<String> {
    answer["instances"]
        .as_array()
        .map_or_else(Vec::new, |list| list.iter().filter_map(|i| i["id"].as_str().map(str::to_owned)).collect())
}

/// Asks until `done` holds for the answer, for at most `within`; returns the last answer.
async fn discover_until(api: &Api, within: Duration, done: impl Fn(&Value) -> bool) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let (status, answer) = discover(api, "?device_id=watcher").await;
        assert_eq!(status, 200, "{answer}");
        if done(&answer) || started.elapsed() > within {
            return (answer, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn answers_with_the_healthy_instances_and_refuses_bad_input(backend: Backend) {
    let server = spawn_server(backend).await;
    let peer = server.peer().await;
    let expected = if peer.is_some() { 2 } else { 1 };
    // The entries are written once each instance listens.
    let (answer, _) = discover_until(&server.api, Duration::from_secs(5), |a| ids(a).len() == expected).await;
    assert_eq!(ids(&answer).len(), expected, "{answer}");
    let first = &answer["instances"][0];
    assert_eq!(answer["home"], first["id"]);
    assert!(answer["ttl_secs"].as_u64().is_some_and(|t| t > 0), "{answer}");
    assert_eq!(first["draining"], false);
    assert!(first["capacity"].as_u64().is_some_and(|c| c > 0), "{answer}");
    let ports: Vec<u16> = std::iter::once(server.port()).chain(peer.iter().map(|p| p.port())).collect();
    for entry in answer["instances"].as_array().into_iter().flatten() {
        let url = entry["url"].as_str().unwrap_or_default();
        assert!(ports.iter().any(|p| url == format!("http://127.0.0.1:{p}")), "{entry}");
        assert_eq!(entry["ws_url"].as_str(), Some(format!("{}/ws", url.replacen("http", "ws", 1)).as_str()));
    }
    // A device's home is stable, and any instance answers the same.
    let (_, again) = discover(&server.api, "?device_id=phone-7&zone=eu").await;
    let (_, same) = discover(&server.api, "?device_id=phone-7").await;
    assert_eq!(again["home"], same["home"]);
    if let Some(peer) = &peer {
        let (_, from_peer) = discover(&peer.api, "?device_id=phone-7").await;
        assert_eq!(from_peer["home"], same["home"]);
    }

    for bad in ["?device_id=", "?device_id=has%20space", "?zone=", "?unknown=1", &format!("?zone={}", "z".repeat(65))] {
        let (status, body) = discover(&server.api, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field", "{bad}: {body}");
    }
    let (status, _) = server.api.call("POST", "/api/v1/discovery", None, None).await;
    assert_eq!(status, 405);
}

async fn is_rate_limited_per_address(backend: Backend) {
    let server = spawn_server_with(backend, |s| {
        s.discovery.per_ip_per_sec = 0.01;
        s.discovery.per_ip_burst = 3;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(discover(&server.api, "?device_id=d").await.0, 200);
    }
    let (status, body) = discover(&server.api, "?device_id=d").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
}

fn cluster_env() -> Vec<(&'static str, &'static str)> {
    vec![("TIDINGS_DISCOVERY__HEARTBEAT", "500ms"), ("TIDINGS_DISCOVERY__TTL", "2s")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_lapses_within_the_ttl_and_a_draining_one_goes_at_once() {
    if Backend::cluster("discovery::lapse").is_none() {
        return;
    }
    let mut cluster = ClusterProcesses::start(BIN, 3, &cluster_env()).await;
    let api = cluster.at(0).api.clone();
    let (answer, _) = discover_until(&api, Duration::from_secs(5), |a| ids(a).len() == 3).await;
    assert_eq!(ids(&answer).len(), 3, "{answer}");

    cluster.instances[2].kill();
    let (answer, took) = discover_until(&api, Duration::from_secs(4), |a| !ids(a).contains(&"i3".into())).await;
    assert!(!ids(&answer).contains(&"i3".into()), "a killed instance still offered after {took:?}: {answer}");
    // Its entry lapses with the TTL (2 s), not before a heartbeat could have renewed it.
    assert!(took >= Duration::from_millis(500) && took <= Duration::from_millis(2_800), "lapsed after {took:?}");

    cluster.instances[1].terminate();
    let (answer, took) = discover_until(&api, Duration::from_secs(2), |a| !ids(a).contains(&"i2".into())).await;
    assert_eq!(ids(&answer), vec!["i1".to_owned()], "{answer}");
    assert!(took <= Duration::from_millis(600), "a draining instance was offered for {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_spread_evenly_over_the_instances_and_reconnect_to_the_same_one() {
    if Backend::cluster("discovery::spread").is_none() {
        return;
    }
    let cluster = ClusterProcesses::start(BIN, 3, &cluster_env()).await;
    let api = cluster.at(0).api.clone();
    discover_until(&api, Duration::from_secs(5), |a| ids(a).len() == 3).await;
    // One device per user: the per-platform device limits would end older sessions.
    let mut logins = Vec::new();
    for u in 0..300 {
        logins.push(api.user(&format!("spread{u}"), &format!("u{u}-phone")).await);
    }

    let mut homes: HashMap<String, String> = HashMap::new();
    let mut sockets = Vec::new();
    for (n, login) in logins.iter().enumerate() {
        let (status, answer) = discover(&api, &format!("?device_id={}", login.device_id)).await;
        assert_eq!(status, 200, "{answer}");
        let home = &answer["instances"][0];
        sockets.push(WsClient::connect(home["ws_url"].as_str().unwrap_or_default(), &login.access_token).await);
        homes.insert(login.device_id.clone(), home["id"].as_str().unwrap_or_default().to_owned());
        // The next device is placed on the counts this one made (as devices a moment apart are).
        wait_for_total(&api, n as u64 + 1).await;
    }
    let mut per_instance: HashMap<&str, usize> = HashMap::new();
    homes.values().for_each(|h| *per_instance.entry(h.as_str()).or_default() += 1);
    assert_eq!(per_instance.len(), 3, "{per_instance:?}");
    for (instance, n) in &per_instance {
        assert!((90..=110).contains(n), "{instance} got {n} of 300 devices: {per_instance:?}");
    }

    for ws in sockets {
        ws.close().await;
    }
    wait_for_total(&api, 0).await;
    let mut kept = 0;
    let mut back = Vec::new();
    for (n, login) in logins.iter().enumerate() {
        let (_, answer) = discover(&api, &format!("?device_id={}", login.device_id)).await;
        let home = answer["instances"][0]["id"].as_str().unwrap_or_default().to_owned();
        let ws =
            WsClient::connect(answer["instances"][0]["ws_url"].as_str().unwrap_or_default(), &login.access_token).await;
        kept += usize::from(homes.get(&login.device_id) == Some(&home));
        back.push(ws);
        wait_for_total(&api, n as u64 + 1).await;
    }
    assert!(kept >= 285, "only {kept} of 300 devices came back to the same instance");
}

/// Waits until the registry counts `total` connections over the instances.
async fn wait_for_total(api: &Api, total: u64) {
    let (answer, took) = discover_until(api, Duration::from_secs(5), |a| {
        a["instances"].as_array().into_iter().flatten().filter_map(|i| i["connections"].as_u64()).sum::<u64>() == total
    })
    .await;
    assert!(took < Duration::from_secs(5), "the registry never counted {total} connections: {answer}");
}
