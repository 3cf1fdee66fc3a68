//! The million-connection benchmark (`bench/million.sh`, issue 26) in small: a few thousand
//! connections over three cluster instances (MariaDB, Redis, RabbitMQ) from two generators whose
//! holds are lined up by ready and go files, heartbeats every few seconds, and messages to
//! random connected users crossing instances while the connections are held. Every connection
//! must be held to the end and every message delivered once.

use std::time::Duration;

use tidings_bench::w1;
use tidings_tests::{Backend, Settings, spawn_server_with};

const GENERATORS: usize = 2;
const PER_GENERATOR: usize = 1500;
/// Deliveries per second of each generator (the two together: 200/s).
const RATE: f64 = 100.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_million_holds_every_connection_and_delivers_across_instances() {
    let Some(backend) = Backend::cluster("a_small_million") else { return };
    // Heartbeats and route refreshes several times within the hold: a connection that stopped
    // answering pings would be closed, and refreshing 3,000 routes runs under the deliveries.
    let configure = |s: &mut Settings| {
        s.ws.heartbeat = Duration::from_secs(3);
        s.ws.idle_timeout = Duration::from_secs(9);
        s.cluster.route_ttl = Duration::from_secs(6);
    };
    let first = spawn_server_with(backend, configure).await;
    let (Some(second), Some(third)) = (first.peer_as("i2").await, first.peer_as("i3").await) else {
        panic!("cluster mode has peers")
    };
    let ports = [first.port(), second.port(), third.port()];
    let dir = tempfile::tempdir().unwrap();
    let (connect, go) = (dir.path().join("connect"), dir.path().join("go"));
    let generator = |g: usize| {
        // Each generator logs in on another instance first; both spread over all three.
        let servers = (0..ports.len()).map(|i| format!("http://127.0.0.1:{}", ports[(g + i) % ports.len()])).collect();
        w1::run(w1::W1Params {
            servers,
            // The servers run in this process.
            server_pids: vec![std::process::id()],
            connections: PER_GENERATOR,
            devices_per_user: 3,
            hold: Duration::from_secs(20),
            parallel: 64,
            prefix: format!("mil{g}x"),
            deliveries: Some(w1::DeliveryParams {
                per_s: RATE,
                senders: 16,
                grace: Duration::from_secs(3),
                latencies_file: None,
            }),
            sync: w1::HoldSync {
                logged_in: Some(dir.path().join(format!("logged-in{g}"))),
                connect: Some(connect.clone()),
                ready: Some(dir.path().join(format!("ready{g}"))),
                go: Some(go.clone()),
            },
            timeout: Duration::from_secs(120),
        })
    };
    // What bench/million.sh does: the connect file once every generator is logged in (nobody
    // connects before), the go file once every generator is ready.
    let starter = async {
        let all_wrote = |name: &str| (0..GENERATORS).all(|g| dir.path().join(format!("{name}{g}")).exists());
        for (name, release) in [("logged-in", &connect), ("ready", &go)] {
            let mut waited = 0;
            while !all_wrote(name) {
                assert!(waited < 1200, "the generators did not all write {name} within 120 s");
                assert!(name != "logged-in" || !all_wrote("ready"), "a generator connected before the connect file");
                tokio::time::sleep(Duration::from_millis(100)).await;
                waited += 1;
            }
            std::fs::write(release, "").unwrap();
        }
    };
    let (a, b, ()) = tokio::join!(generator(0), generator(1), starter);
    for r in [a.unwrap(), b.unwrap()] {
        assert_eq!((r.open, r.failed), (PER_GENERATOR, 0), "every connection held through the heartbeats: {r:?}");
        assert!(r.hold_s >= 20.0, "{r:?}");
        let d = r.deliveries.clone().unwrap();
        // 17 s of sending at 100/s.
        assert!(d.sent >= 1500, "{d:?}");
        let answered = (d.acked, d.refused, d.unanswered, d.delivered, d.lost, d.duplicated);
        assert_eq!(answered, (d.sent, 0, 0, d.sent, 0, 0), "every message acked and delivered once: {d:?}");
        // Three devices per user: the target's other two devices and the sender's get them too.
        assert!(d.other_device_pushes >= 2 * d.delivered, "{d:?}");
        assert!(d.latency.p50_us > 0 && d.latency.max_us < 10_000_000, "{d:?}");
        assert!(r.summary().contains("delivered"), "{}", r.summary());
    }
}
