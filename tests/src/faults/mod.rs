//! `tidings-faults`: a fault-injection harness for cluster mode. It starts N `tidings serve`
//! processes (each reaching Redis and RabbitMQ through loopback proxies of its own), drives
//! WebSocket traffic with resends, applies a schedule of faults one at a time, then checks the
//! invariants (log, pushes, unread, delivery, readiness, send latency, health) and reports.
//! The exit code is 0 only if every check holds.

pub mod check;
pub mod cluster;
pub mod cursor;
pub mod dbkill;
pub mod device;
pub mod inject;
pub mod proxy;
pub mod record;
pub mod report;
pub mod rest;
pub mod rng;
pub mod run;
pub mod schedule;
#[cfg(test)]
mod selftest;
pub mod setup;
pub mod state;
pub mod timing;
pub mod traffic;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use proxy::HangHeal;
use schedule::Plan;

/// The command line.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "tidings-faults", about = "Fault-injection harness for a Tidings cluster", version)]
pub struct Options {
    /// The `tidings` server binary [default: $CARGO_TARGET_DIR/debug/tidings, else target/debug/tidings].
    #[arg(long = "bin", value_name = "PATH")]
    pub bin: Option<PathBuf>,
    /// Instances in the cluster.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(2..=9))]
    pub instances: u16,
    /// Users (two thirds of them get a second device; conversations scale with them).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(3..=500))]
    pub users: u16,
    /// `short`: every fault once, short durations (CI, about 3 minutes in all). `long`: random
    /// faults for `--minutes`.
    #[arg(long, value_enum, default_value_t = Plan::Short)]
    pub schedule: Plan,
    /// Seed of every random choice (population, traffic, long schedule).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Length of the long schedule's fault phase, in minutes.
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// New messages per second, all devices together.
    #[arg(long, default_value_t = 30.0)]
    pub rate: f64,
    /// Seconds between the devices' pings; 3 without a frame is a dead link.
    #[arg(long, default_value_t = 2.0)]
    pub heartbeat: f64,
    /// Seconds of traffic before the first fault and after the last.
    #[arg(long, default_value_t = 8.0)]
    pub quiet: f64,
    /// Seconds between the end of traffic and the final catch-up (resends go on meanwhile).
    #[arg(long, default_value_t = 10.0)]
    pub settle: f64,
    /// What a connection hung by the proxy does when the hang heals.
    #[arg(long, value_enum, default_value_t = HangHeal::Resume)]
    pub hang_heal: HangHeal,
    /// Also write the report as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Copy the instances' logs into this directory at the end.
    #[arg(long, value_name = "DIR")]
    pub logs: Option<PathBuf>,
}

impl Options {
    /// The server binary to run.
    pub fn server_bin(&self) -> PathBuf {
        self.bin.clone().unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
            target.join("debug").join("tidings")
        })
    }
}

/// Progress line on stderr (stdout carries the report).
pub fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "[tidings-faults] {line}");
}

/// Runs the harness; exit code 0 if every check passed, 1 if one failed, 2 if the run itself
/// could not be completed. Processes and per-run resources are released on every path
/// (Ctrl-C included).
pub fn main(opts: Options) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            progress(&format!("runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    let code = rt.block_on(async {
        let task = tokio::spawn(run::run(opts.clone()));
        let abort = task.abort_handle();
        let outcome = tokio::select! {
            r = task => r,
            _ = tokio::signal::ctrl_c() => {
                progress("interrupted: stopping the cluster");
                abort.abort();
                return ExitCode::from(2);
            }
        };
        match outcome {
            Ok(Ok(report)) => {
                let _ = std::io::stdout().write_all(report.text().as_bytes());
                if let Some(path) = &opts.json {
                    let written = serde_json::to_vec_pretty(&report)
                        .map_err(anyhow::Error::from)
                        .and_then(|bytes| std::fs::write(path, bytes).map_err(anyhow::Error::from));
                    if let Err(e) = written {
                        progress(&format!("writing {}: {e}", path.display()));
                    }
                }
                if report.pass { ExitCode::SUCCESS } else { ExitCode::from(1) }
            }
            Ok(Err(e)) => {
                progress(&format!("the run failed: {e:#}"));
                ExitCode::from(2)
            }
            Err(e) => {
                progress(&format!("the run panicked: {e}"));
                ExitCode::from(2)
            }
        }
    });
    // An aborted run's future is dropped on the runtime (killing the processes, dropping the
    // database); give that, and the tasks it leaves, a moment.
    rt.shutdown_timeout(Duration::from_secs(20));
    code
}
