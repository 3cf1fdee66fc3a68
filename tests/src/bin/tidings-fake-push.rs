//! `tidings-fake-push`: a fake APNs and a fake FCM for benchmarks that drive a real server's
//! native push. Writes the APNs test CA, the `.p8` key and the FCM service-account JSON to
//! `--dir`, prints one JSON line with the addresses and those paths, serves `GET /stats`
//! (pushes accepted per fake) and exits after `--seconds`.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use hyper::Method;
use serde_json::json;
use tidings_tests::fake_apns::{ApnsTestKey, FakeApns, FakeApnsOptions};
use tidings_tests::fake_fcm::{FakeFcm, FakeFcmOptions, TestServiceAccount};
use tidings_tests::fake_http::{Handler, empty_response, json_response, serve_http1};

/// Command line.
#[derive(Parser)]
#[command(about = "Fake APNs and FCM servers on loopback, for push benchmarks")]
struct Options {
    /// Directory the CA, key and service-account files are written to.
    #[arg(long)]
    dir: PathBuf,
    /// Exit after this many seconds.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// The app's bundle id (`apns-topic`).
    #[arg(long, default_value = "com.example.tidings")]
    topic: String,
    /// The Firebase project id.
    #[arg(long, default_value = "tidings-bench")]
    project: String,
    /// Lifetime of the FCM access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
}

const KEY_ID: &str = "BENCHKEY01";
const TEAM_ID: &str = "BENCHTEAM1";

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.dir).context("create --dir")?;
    let key = ApnsTestKey::generate()?;
    let apns = FakeApns::start(FakeApnsOptions {
        team_id: TEAM_ID.into(),
        key_id: KEY_ID.into(),
        topic: options.topic.clone(),
        public_key_pem: key.public_pem.clone(),
        keep_records: false,
    })
    .await?;
    let account = TestServiceAccount::generate(&options.project)?;
    let fcm = FakeFcm::start(FakeFcmOptions {
        project_id: account.project_id.clone(),
        client_email: account.client_email.clone(),
        public_key_pem: account.public_pem.clone(),
        token_lifetime: Duration::from_secs(options.token_lifetime),
        keep_records: false,
    })
    .await?;
    let ca_path = options.dir.join("apns-ca.pem");
    let key_path = options.dir.join("apns-key.p8");
    let account_path = options.dir.join("fcm-service-account.json");
    std::fs::write(&ca_path, apns.ca_pem())?;
    std::fs::write(&key_path, &key.private_pem)?;
    std::fs::write(&account_path, account.json(fcm.token_uri()))?;

    let apns = Arc::new(apns);
    let fcm = Arc::new(fcm);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let stats_url = format!("http://127.0.0.1:{}/stats", listener.local_addr()?.port());
    let (a, f) = (apns.clone(), fcm.clone());
    let handler: Handler = Arc::new(move |request| {
        if request.method != Method::GET || request.path != "/stats" {
            return empty_response(404);
        }
        let stats = json!({
            "apns": { "accepted": a.accepted_count(), "requests": a.requests(), "throttled": a.throttled_answers() },
            "fcm": {
                "accepted": f.accepted_count(),
                "requests": f.requests(),
                "token_requests": f.token_requests(),
                "unauthorized": f.unauthorized_answers(),
            },
        });
        json_response(200, &stats, &[])
    });
    let _stats = serve_http1(listener, handler);

    let line = json!({
        "apns_url": apns.url(),
        "apns_ca_pem_path": ca_path,
        "apns_key_path": key_path,
        "apns_key_id": KEY_ID,
        "apns_team_id": TEAM_ID,
        "apns_topic": options.topic,
        "fcm_url": fcm.url(),
        "fcm_service_account_path": account_path,
        "stats_url": stats_url,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    Ok(())
}
