//! The command line of the `tidings` binary: `tidings serve` (the default) runs the server.
//! It lives in the library so every binary that serves Tidings runs exactly this code.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tidings_app::admin::AdminOutcome;
use tidings_protocol::text::name_fault;

use crate::startup::runtime_system;
use crate::{Application, Settings, settings, telemetry};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "tidings", version, about = "Tidings instant-messaging server", after_help = settings::help_text())]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (what `tidings` with no command does).
    #[command(after_help = settings::help_text())]
    Serve(ServeArgs),
    /// Administration on the database the settings name, without a running server.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The search index, on the database the settings name, with the servers stopped.
    #[command(subcommand)]
    Search(SearchCommand),
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Empty the search index and rebuild it from every conversation's log.
    #[command(after_help = settings::help_text())]
    Reindex(ServeArgs),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin, or make an existing user an admin; either way the account ends up an
    /// enabled admin with this password.
    #[command(after_help = settings::help_text())]
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
        Command::Search(SearchCommand::Reindex(args)) => search_reindex(args),
    }
}

fn search_reindex(args: ServeArgs) -> ExitCode {
    let settings = match load(args.config.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    telemetry::init(&Settings { log: "warn".into(), ..settings.clone() });
    match runtime_system().block_on(crate::startup::search_reindex(&settings)) {
        Ok(done) => {
            say(
                false,
                &format!(
                    "search index rebuilt: {} conversations, {} entries read, {} index changes written",
                    done.conversations, done.entries, done.changes
                ),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            say(true, &format!("search reindex failed: {e:#}"));
            ExitCode::FAILURE
        }
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
