//! Logging setup: one subscriber for the process, pretty or JSON, filtered by `TIDINGS_LOG`.

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, Settings};

/// actix-http reports a request it cannot parse (a malformed request line, a bad header) as an
/// ERROR of its dispatcher, before any of our code runs. It is the client's mistake, answered
/// 400, and anyone could fill the log with it; unless the filter names actix-http itself, that
/// module is not logged.
const CLIENT_PARSE_ERRORS: &str = "actix_http::h1::dispatcher=off";

/// The filter in force: `TIDINGS_LOG`, with [`CLIENT_PARSE_ERRORS`] unless it names actix-http.
fn directives(log: &str) -> String {
    if log.contains("actix_http") { log.to_owned() } else { format!("{log},{CLIENT_PARSE_ERRORS}") }
}

/// Installs the global subscriber (a second call is a no-op, so tests may call it freely).
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(directives(&settings.log)).unwrap_or_else(|_| EnvFilter::new(directives("info")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
