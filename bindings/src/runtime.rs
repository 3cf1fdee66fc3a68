//! The tokio runtime the library owns. Foreign callers (a Kotlin coroutine, a Swift task, a
//! Python event loop) poll the futures UniFFI hands them; the SDK's work itself, and every task
//! the SDK spawns, runs here, so no foreign executor needs to know tokio.

use std::future::Future;
use std::sync::LazyLock;

use tokio::runtime::Runtime;

use crate::TidingsError;

/// Built on first use; a failure to build it is reported by every call instead of a panic.
static RUNTIME: LazyLock<Result<Runtime, String>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("tidings-sdk")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
});

/// Runs `work` on the owned runtime and waits for it from whatever executor polls the result.
/// If the caller stops waiting, the work still finishes (an SDK call is never cut in half).
pub(crate) async fn run<T, F>(work: F) -> Result<T, TidingsError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, TidingsError>> + Send + 'static,
{
    let runtime = RUNTIME.as_ref().map_err(|e| TidingsError::Internal { detail: format!("runtime: {e}") })?;
    runtime.spawn(work).await.map_err(|e| TidingsError::Internal { detail: format!("task failed: {e}") })?
}
