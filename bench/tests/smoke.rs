//! A few seconds of each workload against a real embedded server, so the tool never rots.
//! The real figures come from release builds (docs/benchmarks.md).

use std::time::Duration;

use tidings_bench::{w1, w2, w3, w4, w5, w6, w7, w8};
use tidings_tests::{Backend, spawn_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w2_delivers_everything_once_in_order() {
    let srv = spawn_server(Backend::Embedded).await;
    let base = format!("http://127.0.0.1:{}", srv.port());
    let r = w2::run(w2::W2Params {
        servers: vec![base.clone()],
        pairs: 4,
        // Long enough (~0.2 s) for the CPU sampler to see the server's ticks (10 ms each): a
        // 200-message run ended in 28 ms and measured 0 % now and then.
        messages: 500,
        window: 8,
        rate: 0,
        timeout: Duration::from_secs(30),
        prefix: "smoke".into(),
        // The server runs in this process: its threads are this process's.
        server_pids: vec![std::process::id()],
        edit_pct: 0,
        react_pct: 0,
        text: false,
    })
    .await
    .unwrap();
    assert_eq!((r.sent, r.acked, r.refused, r.delivered), (2000, 2000, 0, 2000), "{r:?}");
    assert!(r.cpu.server_pct > 0.0 && !r.cpu.busiest_thread.is_empty(), "{:?}", r.cpu);
    assert_eq!((r.lost, r.duplicated, r.reordered), (0, 0, 0), "{r:?}");
    assert!(r.delivered_per_s > 0.0 && r.latency.max_us >= r.latency.p50_us);

    let paced = w2::run(w2::W2Params {
        servers: vec![base.clone()],
        pairs: 2,
        messages: 20,
        window: 1,
        rate: 200,
        timeout: Duration::from_secs(30),
        prefix: "paced".into(),
        server_pids: vec![std::process::id()],
        edit_pct: 0,
        react_pct: 0,
        // Text messages with words after the stamp: the receiver still reads the stamp (a
        // latency from stamp 0 would be decades).
        text: true,
    })
    .await
    .unwrap();
    assert_eq!((paced.delivered, paced.lost), (40, 0), "{paced:?}");
    assert!(paced.latency.max_us < 30_000_000, "{paced:?}");

    // Edits of 10 % and reactions to 20 % of the messages (indexes 0, 10 and 0, 5, 10, 15 of
    // each sender's 20): all acked, and their pushes counted as no delivery.
    let acting = w2::run(w2::W2Params {
        servers: vec![base],
        pairs: 2,
        messages: 20,
        window: 4,
        rate: 0,
        timeout: Duration::from_secs(30),
        prefix: "acting".into(),
        server_pids: vec![std::process::id()],
        edit_pct: 10,
        react_pct: 20,
        text: false,
    })
    .await
    .unwrap();
    let integrity = (acting.lost, acting.duplicated, acting.reordered);
    assert_eq!((acting.acked, acting.delivered, integrity), (40, 40, (0, 0, 0)), "{acting:?}");
    let (e, re) = (&acting.edits, &acting.reactions);
    assert_eq!((e.sent, e.acked, e.refused, re.sent, re.acked, re.refused), (4, 4, 0, 8, 8, 0), "{acting:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w3_fans_out_to_every_member_once_in_order() {
    let srv = spawn_server(Backend::Embedded).await;
    let r = w3::run(w3::W3Params {
        servers: vec![format!("http://127.0.0.1:{}", srv.port())],
        members: 30,
        senders: 3,
        messages: 20,
        window: 4,
        timeout: Duration::from_secs(60),
        prefix: "smokew3".into(),
        server_pids: vec![std::process::id()],
    })
    .await
    .unwrap();
    assert_eq!((r.acked, r.expected, r.delivered), (60, 60 * 29, 60 * 29), "{r:?}");
    assert_eq!((r.lost, r.duplicated, r.reordered), (0, 0, 0), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w7_pushes_every_message_to_every_offline_member() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = tidings_tests::fake_push::FakePush::start(
        dir.path(),
        tidings_tests::fake_push::FakePushOptions { keep_records: false, ..Default::default() },
    )
    .await
    .unwrap();
    let mut push = tidings_interfaces::settings::PushSettings::default();
    fakes.configure(&mut push);
    let srv = tidings_tests::spawn_server_with(Backend::Embedded, move |s| s.push = push.clone()).await;
    let r = w7::run(w7::W7Params {
        server: format!("http://127.0.0.1:{}", srv.port()),
        stats_url: fakes.stats_url.clone(),
        members: 21,
        messages: 10,
        window: 4,
        rate: 0,
        timeout: Duration::from_secs(60),
        prefix: "smokew7".into(),
        server_pids: vec![std::process::id()],
    })
    .await
    .unwrap();
    assert_eq!((r.acked, r.expected_pushes, r.pushes), (10, 200, 200), "{r:?}");
    assert_eq!(fakes.apns.accepted_count() + fakes.fcm.accepted_count(), 200);
    assert!(fakes.apns.accepted_count() > 0 && fakes.fcm.accepted_count() > 0, "both platforms were used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w1_holds_connections_and_reads_memory() {
    let srv = spawn_server(Backend::Embedded).await;
    let r = w1::run(w1::W1Params {
        servers: vec![format!("http://127.0.0.1:{}", srv.port())],
        server_pids: vec![std::process::id()],
        connections: 40,
        devices_per_user: 5,
        hold: Duration::from_millis(500),
        parallel: 16,
        prefix: "smokew1".into(),
        deliveries: None,
        sync: w1::HoldSync::default(),
        timeout: Duration::from_secs(30),
    })
    .await
    .unwrap();
    assert_eq!((r.open, r.failed), (40, 0), "{r:?}");
    assert!(r.rss_after_kib > 0, "memory was read from /proc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w4_everyone_catches_up_after_a_storm() {
    let srv = spawn_server(Backend::Embedded).await;
    let r = w4::run(w4::W4Params {
        servers: vec![format!("http://127.0.0.1:{}", srv.port())],
        clients: 30,
        messages: 7,
        senders: 4,
        parallel: 16,
        timeout: Duration::from_secs(60),
        prefix: "smokew4".into(),
    })
    .await
    .unwrap();
    assert_eq!((r.caught_up, r.incomplete), (30, 0), "{r:?}");
}

#[test]
fn refuses_non_loopback_targets() {
    assert!(tidings_bench::check_loopback("http://127.0.0.1:8080").is_ok());
    assert!(tidings_bench::check_loopback("http://localhost:8080").is_ok());
    assert!(tidings_bench::check_loopback("http://10.0.0.1:8080").is_err());
    assert!(tidings_bench::check_loopback("http://example.com").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w5_a_short_day_delivers_everything_once_in_order() {
    let srv = spawn_server(Backend::Embedded).await;
    let r = w5::run(w5::W5Params {
        servers: vec![format!("http://127.0.0.1:{}", srv.port())],
        users: 40,
        group_sizes: vec![20, 5, 3],
        duration: Duration::from_secs(3),
        rate: 60,
        burst_every: Duration::from_secs(2),
        burst_factor: 3,
        read_pct: 30,
        recall_pct: 10,
        timeout: Duration::from_secs(60),
        prefix: "w5smoke".into(),
        server_pids: vec![std::process::id()],
    })
    .await
    .unwrap();
    assert!(r.sent >= 150, "{r:?}");
    assert_eq!((r.acked, r.errors), (r.sent, 0), "{r:?}");
    assert!(r.acked_group > 0 && r.acked_group < r.acked, "both direct and group messages: {r:?}");
    assert_eq!(r.delivered, r.expected, "{r:?}");
    assert_eq!((r.lost, r.duplicated, r.reordered), (0, 0, 0), "{r:?}");
    assert!(r.reads > 0 && r.recalls > 0 && r.recalls_acked == r.recalls, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w6_seeds_waits_for_the_index_and_searches() {
    let srv = spawn_server(Backend::Embedded).await;
    let r = w6::run(w6::W6Params {
        servers: vec![format!("http://127.0.0.1:{}", srv.port())],
        conversations: 30,
        messages: 600,
        searcher_convs: 10,
        window: 8,
        rounds: 2,
        timeout: Duration::from_secs(60),
        prefix: "smokew6".into(),
        server_pids: vec![std::process::id()],
    })
    .await
    .unwrap();
    assert_eq!((r.acked, r.refused), (600, 0), "{r:?}");
    let first_page = |q: &str| r.queries.iter().find(|x| x.q == q).map(|x| x.first_page);
    // The most common word is in the searcher's conversations; the phrase planted only in
    // others' never reaches them.
    assert!(first_page("我们").is_some_and(|n| n > 0), "{r:?}");
    assert_eq!(first_page(w6::ELSEWHERE), Some(0), "{r:?}");
    assert!(r.latency.p50_us > 0, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w8_places_every_device_through_discovery_twice() {
    // Embedded: discovery offers the one server, so every device lands there both times; the
    // cluster's spread is what bench/discovery.sh and the e2e discovery suite measure.
    let srv = spawn_server(Backend::Embedded).await;
    let server = format!("http://127.0.0.1:{}", srv.port());
    let r = w8::run(w8::W8Params {
        server,
        devices: 40,
        parallel: 8,
        prefix: "smoke8".into(),
        timeout: Duration::from_secs(60),
    })
    .await
    .unwrap();
    assert_eq!(r.per_instance.values().sum::<usize>(), 40, "{r:?}");
    assert_eq!(r.per_instance.len(), 1, "{r:?}");
    assert!(r.worst_deviation.abs() < 1e-9 && (r.same_home - 1.0).abs() < 1e-9, "{r:?}");
    assert!(r.discovery.p99_us >= r.discovery.p50_us && r.discovery.p50_us > 0, "{r:?}");
}
