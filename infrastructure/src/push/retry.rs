//! What the native senders share: how long to wait before the next attempt (doubling waits,
//! or the server's `Retry-After`), and running a batch concurrently with outcomes in order.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tidings_domain::device_push::{DeviceOutcome, DeviceSendStats};

/// Longest wait honoured between two attempts, whatever `Retry-After` asks.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(60);

/// The wait before attempt `attempt + 1` after `attempt` failed ones: `base`, doubled per
/// further attempt, capped at [`MAX_WAIT`].
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(MAX_WAIT)
}

/// A `Retry-After` header in seconds (the only form APNs and FCM use), capped at [`MAX_WAIT`].
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_WAIT))
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Counts a final outcome in the sender's stats.
pub(crate) fn count_outcome(stats: &DeviceSendStats, outcome: &DeviceOutcome) {
    match outcome {
        DeviceOutcome::Delivered => bump(&stats.delivered),
        DeviceOutcome::InvalidToken => bump(&stats.invalid_token),
        DeviceOutcome::Failed(_) => bump(&stats.failed),
    }
}

/// Runs `one` for every item at once (the sender's semaphore bounds the requests actually in
/// flight) and answers the outcomes in the items' order.
pub(crate) async fn in_order<T, F, Fut>(items: Vec<T>, one: F) -> Vec<DeviceOutcome>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = DeviceOutcome>,
{
    join_all(items.into_iter().map(one)).await
}

/// What one HTTP attempt came to, as the retry loop sees it.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Settled for good (delivered, invalid token, or refused).
    Done(DeviceOutcome),
    /// The credentials were refused: make new ones and try again (once).
    Reauthenticate(String),
    /// Worth another attempt: a network error, a 5xx, or throttling (with the server's wait).
    Retry {
        /// For the log and for `Failed` when the attempts run out.
        reason: String,
        /// An HTTP 429.
        throttled: bool,
        /// The server's `Retry-After`.
        wait: Option<Duration>,
    },
}

/// The attempts of one push: runs `attempt` until it settles, waiting between retries (the
/// server's `Retry-After`, else doubling waits from `base`), allowing one re-authentication,
/// giving up after `max_attempts` retryable failures; counts everything in `stats`.
pub(crate) async fn settle<F, Fut>(
    stats: &DeviceSendStats,
    max_attempts: u32,
    base: Duration,
    mut attempt: F,
) -> DeviceOutcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Verdict>,
{
    let mut failures = 0u32;
    let mut reauthenticated = false;
    let outcome = loop {
        match attempt().await {
            Verdict::Done(outcome) => break outcome,
            Verdict::Reauthenticate(reason) if reauthenticated => break DeviceOutcome::Failed(reason),
            Verdict::Reauthenticate(reason) => {
                tracing::debug!(%reason, "push credentials refused; trying again with new ones");
                reauthenticated = true;
            }
            Verdict::Retry { reason, throttled, wait } => {
                if throttled {
                    bump(&stats.throttled);
                }
                failures += 1;
                if failures >= max_attempts {
                    break DeviceOutcome::Failed(reason);
                }
                bump(&stats.retried);
                let wait = wait.unwrap_or_else(|| backoff(base, failures));
                tracing::debug!(%reason, ?wait, "push attempt failed; retrying");
                tokio::time::sleep(wait).await;
            }
        }
    };
    if let DeviceOutcome::Failed(reason) = &outcome {
        tracing::warn!(%reason, "native push given up");
    }
    count_outcome(stats, &outcome);
    outcome
}

/// The verdict on a request that got no answer: a request that could not even be built (a
/// header value with bytes HTTP forbids) is settled, anything else (connect, timeout, reset)
/// is worth a retry.
pub(crate) fn network_verdict(service: &str, e: &reqwest::Error) -> Verdict {
    if e.is_builder() {
        return Verdict::Done(DeviceOutcome::Failed(format!("{service} request not built: {e}")));
    }
    let what = if e.is_timeout() { "timed out" } else { "request failed" };
    Verdict::Retry { reason: format!("{service} {what}: {e}"), throttled: false, wait: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_and_are_capped() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 1), Duration::from_millis(100));
        assert_eq!(backoff(base, 2), Duration::from_millis(200));
        assert_eq!(backoff(base, 4), Duration::from_millis(800));
        assert_eq!(backoff(base, 40), MAX_WAIT);
    }

    #[test]
    fn retry_after_in_seconds_is_capped() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&h), Some(MAX_WAIT));
        h.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
