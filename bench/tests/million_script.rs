//! `bench/million.sh` itself at its smallest: three instances of the debug server, two
//! generators of 300 connections, a 10 s hold with heartbeats every 3 s and deliveries. Its
//! summary must show every connection held and every delivery made, and the run's database and
//! Redis keys must be gone afterwards.

use std::path::Path;
use std::process::Command;

use tidings_tests::Backend;

#[test]
fn the_million_script_holds_delivers_and_cleans_up() {
    if Backend::cluster("million_script").is_none() {
        return;
    }
    let bench = env!("CARGO_BIN_EXE_tidings-bench");
    // The server binary of the same build (`cargo test --workspace` builds it).
    let server = Path::new(bench).with_file_name("tidings");
    if !server.exists() {
        let why = format!("no server binary at {} (cargo build -p tidings-interfaces)", server.display());
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{why}; with CI=true that is a failure");
        eprintln!("SKIPPED million_script: {why}");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let port_base = 21_000 + (std::process::id() % 3000) * 3;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("million.sh");
    let run = Command::new("bash")
        .arg(&script)
        .env("INSTANCES", "3")
        .env("GENERATORS", "2")
        .env("PER_GEN", "300")
        .env("HOLD", "10")
        .env("DELIVERIES", "40")
        .env("SENDERS", "4")
        .env("GRACE", "3")
        .env("HEARTBEAT", "3s")
        .env("IDLE_TIMEOUT", "9s")
        .env("SAMPLE", "2")
        .env("SETTLE", "1")
        .env("TIMEOUT", "120")
        .env("PORT_BASE", port_base.to_string())
        .env("OUT", out.path())
        .env("SERVER_BIN", &server)
        .env("BENCH_BIN", bench)
        .output()
        .unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{printed}");
    let summary = std::fs::read_to_string(out.path().join("summary.txt")).unwrap();
    assert!(summary.contains("held: 600 of 600 connections"), "{summary}");
    assert!(summary.contains("0 refused") && summary.contains(" 0 lost, 0 unanswered, 0 duplicated"), "{summary}");
    assert!(summary.contains("memory per held connection") && summary.contains("cpu during the hold"), "{summary}");
    assert!(
        summary.contains("every generator logged in after"),
        "the logins and the connects are two phases: {summary}"
    );
    let samples = std::fs::read_to_string(out.path().join("samples.txt")).unwrap();
    assert!(samples.contains("holding cpu%"), "{samples}");

    // Nothing of the run is left: its database, its Redis keys.
    let run_id = summary.split_whitespace().skip_while(|w| *w != "run").nth(1).unwrap().trim_end_matches(':');
    let db = Command::new("mysql")
        .args(["-h127.0.0.1", "-uroot", "-N", "-e", &format!("SHOW DATABASES LIKE '{run_id}'")])
        .output()
        .unwrap();
    assert!(db.status.success() && db.stdout.is_empty(), "database {run_id} left behind");
    let keys = Command::new("redis-cli").args(["--scan", "--pattern", &format!("{run_id}:*")]).output().unwrap();
    assert!(keys.status.success() && keys.stdout.is_empty(), "Redis keys of {run_id} left behind");
}
