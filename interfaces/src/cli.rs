//! The command line of the `tidings` binary: `tidings serve` (the default) runs the server.
//! It lives in the library so every binary that serves Tidings runs exactly this code.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tidings_app::admin::AdminOutcome;
use tidings_protocol::text::name_fault;

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
  TIDINGS_DB__SQLITE_SYNC_EVERY_COMMIT [true]
  TIDINGS_PIPELINE__SHARDS [1]               TIDINGS_PIPELINE__QUEUE_CAPACITY [32768 per core]
  TIDINGS_PIPELINE__MAX_BATCH [4096]
  TIDINGS_CLUSTER__REDIS_PREFIX [tidings:]   TIDINGS_CLUSTER__AMQP_PREFIX []
  TIDINGS_CLUSTER__ROUTE_TTL_SECS [60]       TIDINGS_CLUSTER__REDIS_POOL_SIZE [4]
  TIDINGS_CLUSTER__AMQP_PREFETCH [256]       TIDINGS_CLUSTER__CONNECT_TIMEOUT_SECS [10]
  TIDINGS_CLUSTER__PUSH_ORDER_WAIT_MS [1000] (0: push as they arrive)
  TIDINGS_CLUSTER__DEPENDENCY_TIMEOUT_MS [250] (longest Redis call or push publish)
  TIDINGS_ADMIN__INITIAL_USERNAME / TIDINGS_ADMIN__INITIAL_PASSWORD  (first admin, created at start)
  TIDINGS_INTEGRATION__REQUESTS_PER_SEC [20]  TIDINGS_INTEGRATION__BURST [100]   (per API key)
  TIDINGS_WEBHOOKS__MAX_ATTEMPTS [6]  TIDINGS_WEBHOOKS__RETRY_BASE_MS [1000]  TIDINGS_WEBHOOKS__RETRY_CAP_MS [300000]
  TIDINGS_WEBHOOKS__TIMEOUT_MS [10000]  TIDINGS_WEBHOOKS__QUEUE_CAPACITY [10000]
  TIDINGS_WEBHOOKS__MAX_IN_FLIGHT [64]  TIDINGS_WEBHOOKS__RETENTION_DAYS [7]
  TIDINGS_MEDIA__STORE local | s3 [local]  TIDINGS_MEDIA__DIR [{data_dir}/media]
  TIDINGS_MEDIA__MAX_IMAGE_BYTES [20971520]  TIDINGS_MEDIA__MAX_FILE_BYTES [104857600]
  TIDINGS_MEDIA__MAX_VOICE_BYTES [10485760]  TIDINGS_MEDIA__MAX_VIDEO_BYTES [209715200]
  TIDINGS_MEDIA__THUMBNAIL_SIDE [256]  TIDINGS_MEDIA__DECODE_BUDGET_MIB [512]  TIDINGS_MEDIA__ORIGIN [unset]
  TIDINGS_MEDIA__S3_ENDPOINT / __S3_BUCKET / __S3_REGION [us-east-1]
  TIDINGS_MEDIA__S3_ACCESS_KEY_ID / __S3_SECRET_ACCESS_KEY / __S3_ALLOW_HTTP [false] / __S3_PREFIX
  TIDINGS_DRAIN__TIMEOUT_SECS [20]  TIDINGS_DRAIN__RECONNECT_HINT (URL, or URLs comma-separated)
  TIDINGS_DRAIN__RECONNECT_SPREAD_MS [1000]   (SIGTERM/SIGINT: graceful drain, then exit 0)
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
    /// Administration on the database the settings name, without a running server.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin, or make an existing user an admin; either way the account ends up an
    /// enabled admin with this password.
    #[command(after_help = SETTINGS_HELP)]
    Create(AdminCreateArgs),
}

#[derive(Args)]
struct AdminCreateArgs {
    /// Login name (3-32 of a-z 0-9 _ . -).
    #[arg(long)]
    username: String,
    /// Password (8-128 characters).
    #[arg(long)]
    password: String,
    /// Name shown to others (for a new account; defaults to the username).
    #[arg(long)]
    display_name: Option<String>,
    /// TOML settings file (default: ./tidings.toml when present).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

#[derive(Args, Default)]
struct ServeArgs {
    /// TOML settings file (default: ./tidings.toml when present).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

/// Writes one line for the person at the terminal (stdout, or stderr for errors).
fn say(to_stderr: bool, line: &str) {
    let _ = if to_stderr {
        writeln!(std::io::stderr().lock(), "tidings: {line}")
    } else {
        writeln!(std::io::stdout().lock(), "{line}")
    };
}

fn load(config: Option<&Path>) -> Result<Settings, ExitCode> {
    Settings::load(config).map_err(|e| {
        // Before logging exists, stderr is the only voice.
        say(true, &e.to_string());
        ExitCode::from(2)
    })
}

/// Parses the command line and runs the server or a tool; the `tidings` binary is just this.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => match load(args.config.as_deref()) {
            Ok(settings) => serve(settings),
            Err(code) => code,
        },
        Command::Admin(AdminCommand::Create(args)) => admin_create(args),
    }
}

fn admin_create(args: AdminCreateArgs) -> ExitCode {
    let settings = match load(args.config.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let name_ok =
        (3..=32).contains(&args.username.len()) && tidings_protocol::rest::rules::username_chars_ok(&args.username);
    if !name_ok {
        say(true, "--username must be 3-32 of a-z 0-9 _ . -, starting with a letter or digit");
        return ExitCode::from(2);
    }
    if !(8..=128).contains(&args.password.chars().count()) {
        say(true, "--password must be 8-128 characters");
        return ExitCode::from(2);
    }
    if let Some(name) = args.display_name.as_deref() {
        let fault = if name.chars().count() > 64 { Some("must be 1-64 characters") } else { name_fault(name) };
        if let Some(why) = fault {
            say(true, &format!("--display-name {why}"));
            return ExitCode::from(2);
        }
    }
    // Quiet logs: the command's own lines are its output.
    let quiet = Settings { log: "warn".into(), ..settings.clone() };
    telemetry::init(&quiet);
    let result = runtime_system().block_on(crate::startup::admin_create(
        &settings,
        &args.username,
        &args.password,
        args.display_name.as_deref(),
    ));
    match result {
        Ok((user, outcome)) => {
            let what = match outcome {
                AdminOutcome::Created => "created admin",
                AdminOutcome::Promoted => "promoted existing user to admin (password set)",
                AdminOutcome::AlreadyAdmin => "already an admin (password set)",
            };
            say(false, &format!("{what}: {} ({})", user.username, user.id));
            ExitCode::SUCCESS
        }
        Err(e) => {
            say(true, &format!("admin create failed: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> ExitCode {
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
