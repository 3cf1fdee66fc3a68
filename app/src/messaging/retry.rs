//! Trying a background writer's failed transaction again.
//!
//! A batch write that failed rolled everything back: a deadlock with another instance's writer
//! (MySQL-family databases pick a victim), a dropped connection, a pool that was out of
//! connections for a moment. The commit pipeline and the read-position writer both try such a
//! batch a few more times before their callers are answered `busy`.

use std::future::Future;
use std::time::Duration;

use tidings_domain::StoreError;

/// How many times a failed write is tried again.
const RETRIES: u32 = 3;

/// Pause before the first retry, doubled before each next one (5, 10, 20 ms): a deadlock victim
/// waits for the transaction that won to finish.
const FIRST_PAUSE: Duration = Duration::from_millis(5);

/// Runs `write`, then again after each failure that `retryable` accepts, up to [`RETRIES`]
/// more times; returns the last result. `what` names the write in the log.
pub(super) async fn with_retries<T, F, Fut>(
    what: &str,
    retryable: impl Fn(&StoreError) -> bool,
    mut write: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut result = write().await;
    let mut pause = FIRST_PAUSE;
    for retry in 1..=RETRIES {
        match &result {
            Err(e) if retryable(e) => {
                tracing::warn!(error = %e, retry, "{what} failed; trying again");
                tokio::time::sleep(pause).await;
                pause *= 2;
                result = write().await;
            }
            _ => break,
        }
    }
    result
}
