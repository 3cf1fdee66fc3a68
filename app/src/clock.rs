//! Wall-clock time for the services that do not take the [`Clock`] port yet (admin, social,
//! webhooks, push, presence, media, retention): the same reading as [`SystemClock`].

use tidings_domain::{Clock, SystemClock};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemClock.now_ms()
}
