//! `/metrics`: the Prometheus exposition counts what the instance really did.

use serde_json::json;
use tidings_tests::client::{WsClient, direct};
use tidings_tests::{Backend, TestServer, spawn_server};

/// The value of one sample line (`name{labels} value`), 0 when absent.
pub(crate) fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// The instance's `/metrics` exposition, checked to be well-formed OpenMetrics.
pub(crate) async fn scrape(srv: &TestServer) -> String {
    let resp = reqwest::get(format!("http://127.0.0.1:{}/metrics", srv.port())).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let text = resp.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text
}

async fn metrics_count_connections_frames_sends_and_refusals(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let ann = api.user("ann", "a1").await;
    let bob = api.user("bob", "b1").await;
    let before = scrape(&srv).await;
    assert_eq!(sample(&before, "tidings_ws_connections"), 0.0);
    assert_eq!(sample(&before, "tidings_ready"), 1.0);

    let mut a = WsClient::connect(&srv.ws_url(), &ann.access_token).await;
    let mut b = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    // In a cluster, bob's second device sits on the other instance: his pushes cross RabbitMQ.
    let peer = srv.peer().await;
    let mut b_elsewhere = match &peer {
        Some(p) => Some(WsClient::connect(&p.ws_url(), &api.login("bob", "b2").await.access_token).await),
        None => None,
    };
    let conv = direct(&ann.user_id, &bob.user_id);
    for i in 0..3 {
        a.send_text(&conv, &format!("m{i}"), "hello").await;
        a.expect("ack").await;
        b.expect("msg").await;
        if let Some(b2) = b_elsewhere.as_mut() {
            b2.expect("msg").await;
        }
    }
    a.send_text(&conv, "m0", "hello").await; // a retry: acked as a duplicate
    assert_eq!(a.expect("ack").await["duplicate"], true);
    a.send(json!({"type": "ping"})).await;
    a.expect("pong").await;
    a.send_raw("{not json".into()).await;
    assert_eq!(a.expect_error().await, "bad_json");
    let (status, _) = api.call("GET", "/api/v1/me", None, None).await;
    assert_eq!(status, 401);

    let after = scrape(&srv).await;
    assert_eq!(sample(&after, "tidings_ws_connections"), 2.0);
    let grew = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(grew("tidings_ws_frames_in_total{type=\"send\"}"), 4.0, "{after}");
    assert_eq!(grew("tidings_ws_frames_in_total{type=\"ping\"}"), 1.0);
    assert_eq!(grew("tidings_ws_frames_in_total{type=\"invalid\"}"), 1.0);
    assert_eq!(grew("tidings_ws_frames_out_total{type=\"ack\"}"), 4.0);
    assert_eq!(grew("tidings_ws_errors_total{code=\"bad_json\"}"), 1.0);
    assert_eq!(grew("tidings_sends_total{outcome=\"acked\"}"), 3.0);
    assert_eq!(grew("tidings_sends_total{outcome=\"duplicate\"}"), 1.0);
    assert_eq!(grew("tidings_ack_latency_seconds_count"), 4.0);
    assert!(grew("tidings_pushes_total") >= 3.0, "three messages pushed to bob: {after}");
    assert!(grew("tidings_http_requests_total{status=\"4xx\"}") >= 1.0);
    assert_eq!(grew("tidings_commits_total{what=\"messages\"}"), 3.0, "the duplicate is not written again");
    assert!(grew("tidings_commits_total{what=\"batches\"}") >= 1.0);
    assert!(grew("tidings_commit_seconds_total") > 0.0);
    // Every batch lands in one commit-time bucket: the histogram counts the batches.
    assert_eq!(grew("tidings_commit_batch_seconds_count"), grew("tidings_commits_total{what=\"batches\"}"), "{after}");
    assert!(grew("tidings_commit_batch_seconds_bucket{le=\"+Inf\"}") >= 1.0, "{after}");
    assert_eq!(sample(&after, "tidings_commits_total{what=\"failed_batches\"}"), 0.0);
    if srv.cluster().is_some() {
        // Seqs, routes and the dedupe cache live in Redis; pushes cross RabbitMQ.
        assert!(grew("tidings_backend_calls_total{backend=\"redis\"}") >= 3.0, "{after}");
        assert!(grew("tidings_backend_seconds_total{backend=\"redis\"}") > 0.0);
        assert!(grew("tidings_backend_calls_total{backend=\"amqp_publish\"}") >= 3.0, "{after}");
    }

    a.close().await;
    b.close().await;
    let mut closed = 2.0;
    for _ in 0..100 {
        closed = sample(&scrape(&srv).await, "tidings_ws_connections");
        if closed == 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(closed, 0.0, "closed sockets leave the gauge");
}
tidings_tests::both_modes!(metrics_count_connections_frames_sends_and_refusals);
