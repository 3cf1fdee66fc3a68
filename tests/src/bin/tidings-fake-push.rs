//! `tidings-fake-push`: a fake APNs and a fake FCM for benchmarks that drive a real server's
//! native push. Writes the APNs test CA, the `.p8` key and the FCM service-account JSON to
//! `--dir`, prints one JSON line with the addresses and those paths, serves `GET /stats`
//! (pushes accepted per fake) and exits after `--seconds`.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use tidings_tests::fake_push::{FakePush, FakePushOptions};

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

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> anyhow::Result<()> {
    let fakes = FakePush::start(
        &options.dir,
        FakePushOptions {
            topic: options.topic,
            project: options.project,
            token_lifetime: Duration::from_secs(options.token_lifetime),
            keep_records: false,
        },
    )
    .await
    .context("starting the fakes")?;
    let line = fakes.describe();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    Ok(())
}
