//! The command line of the `tidings` binary: `tidings serve` (the default) runs the server.
//! It lives in the library so every binary that serves Tidings runs exactly this code.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::startup::runtime_system;
use crate::{Application, Settings, telemetry};
use clap::{Args, Parser, Subcommand};

const SETTINGS_HELP: &str = "\
Settings (defaults < tidings.toml or --config < environment):
  TIDINGS_HTTP_ADDR            listen address for REST and /ws      [127.0.0.1:8080]
  TIDINGS_DATA_DIR             SQLite database and signing key      [./data]
  TIDINGS_DATABASE_URL         mysql://user:pass@host:3306/db       [SQLite in the data dir]
  TIDINGS_REDIS_URL            redis://host:6379 (cluster mode: routes, seq counters)
  TIDINGS_AMQP_URL             amqp://user:pass@host:5672/%2f (cluster mode: pushes between instances)
  TIDINGS_INSTANCE_ID          this instance's id, unique in the cluster [random]
  TIDINGS_LOG                  log filter                           [info]
  TIDINGS_LOG_FORMAT           pretty | json                        [pretty]
  TIDINGS_SIGNING_KEY          base64 HS256 key (>= 32 bytes)       [generated into the data dir]
  TIDINGS_WORKERS              HTTP worker threads                  [one per core]
  TIDINGS_AUTH__ACCESS_TTL_SECS / TIDINGS_AUTH__REFRESH_TTL_SECS    [900 / 2592000]
  TIDINGS_AUTH__ARGON2_MEMORY_KIB [19456]  TIDINGS_AUTH__ARGON2_ITERATIONS [2]
  TIDINGS_LIMITS__MAX_TEXT_CHARS [4000]   TIDINGS_LIMITS__MAX_BODY_BYTES [16384]
  TIDINGS_LIMITS__MAX_FRAME_BYTES [65536] TIDINGS_LIMITS__MAX_HTTP_BODY_BYTES [65536]
  TIDINGS_LIMITS__OUTBOUND_QUEUE [1024]   TIDINGS_LIMITS__MAX_INFLIGHT_SENDS [256]
  TIDINGS_LIMITS__DEFAULT_PAGE [50]  TIDINGS_LIMITS__MAX_PAGE [200]  TIDINGS_LIMITS__MAX_CONVERSATIONS [200]
  TIDINGS_LIMITS__SEND_PER_SEC [3]        TIDINGS_LIMITS__SEND_BURST [30]
  TIDINGS_WS__HEARTBEAT_SECS [20]         TIDINGS_WS__IDLE_TIMEOUT_SECS [60]
  TIDINGS_DB__MAX_CONNECTIONS [8]         TIDINGS_DB__ACQUIRE_TIMEOUT_SECS [5]
  TIDINGS_PIPELINE__SHARDS [1 on SQLite, else 4]  TIDINGS_PIPELINE__QUEUE_CAPACITY [8192]
  TIDINGS_PIPELINE__MAX_BATCH [512]
  TIDINGS_CLUSTER__REDIS_PREFIX [tidings:]   TIDINGS_CLUSTER__AMQP_PREFIX []
  TIDINGS_CLUSTER__ROUTE_TTL_SECS [60]       TIDINGS_CLUSTER__REDIS_POOL_SIZE [16]
  TIDINGS_CLUSTER__AMQP_PREFETCH [256]       TIDINGS_CLUSTER__CONNECT_TIMEOUT_SECS [10]
Cluster mode = TIDINGS_DATABASE_URL (MySQL-compatible) + TIDINGS_REDIS_URL + TIDINGS_AMQP_URL
+ TIDINGS_SIGNING_KEY shared by all instances.
See docs/operations.md for what each one does.";

#[derive(Parser)]
#[command(name = "tidings", version, about = "Tidings instant-messaging server", after_help = SETTINGS_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (what `tidings` with no command does).
    #[command(after_help = SETTINGS_HELP)]
    Serve(ServeArgs),
}

#[derive(Args, Default)]
struct ServeArgs {
    /// TOML settings file (default: ./tidings.toml when present).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

/// Parses the command line and runs the server; the `tidings` binary is just this.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Serve(args) = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    let settings = match Settings::load(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            #[allow(clippy::print_stderr)] // before logging exists, stderr is the only voice
            {
                eprintln!("tidings: {e}");
            }
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings);
    let result = runtime_system().block_on(async move {
        let app = Application::build(settings).await?;
        app.run_until_stopped().await?;
        anyhow::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "tidings stopped");
            ExitCode::FAILURE
        }
    }
}
