//! Waits that must not go silent. A stage of the message path that waits on a backend for
//! seconds holds every message behind it; [`watched`] lets such a wait say so in the log (and
//! keeps saying so) instead of leaving nothing to find.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long a watched wait may take before it is reported, and how often after that.
pub const REPORT_EVERY: Duration = Duration::from_secs(5);

/// Runs `fut` to completion; while it is still pending after [`REPORT_EVERY`], logs a warning
/// naming `what` (again every [`REPORT_EVERY`]). Never cancels it.
pub async fn watched<F: Future>(what: &'static str, fut: F) -> F::Output {
    let started = Instant::now();
    tokio::pin!(fut);
    loop {
        match tokio::time::timeout(REPORT_EVERY, &mut fut).await {
            Ok(out) => {
                let waited = started.elapsed();
                if waited >= REPORT_EVERY {
                    tracing::warn!(what, waited_ms = waited.as_millis() as u64, "stalled wait finished");
                }
                return out;
            }
            Err(_) => tracing::warn!(what, waited_s = started.elapsed().as_secs(), "still waiting"),
        }
    }
}
