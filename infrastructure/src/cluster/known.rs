//! The instances this one has seen live recently, remembered beyond what Redis lists now: after
//! Redis lost its state the list is empty until each instance writes itself again, and while
//! Redis does not answer there is no list at all. Announcements (route moves) and pushes whose
//! route lookup failed go to every instance remembered here instead of to nobody; a publish to
//! an instance that is gone is dropped by the broker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::routes::RedisRoutes;

/// How long an instance once seen stays on the list after it was last seen live.
const KNOWN_FOR: Duration = Duration::from_secs(600);

/// How often the list is read again from Redis, at most.
const REREAD_EVERY: Duration = Duration::from_secs(2);

/// Instances seen live within [`KNOWN_FOR`], read again from Redis at most every
/// [`REREAD_EVERY`].
pub struct KnownInstances {
    routes: Arc<RedisRoutes>,
    state: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    last_seen: HashMap<String, Instant>,
    read_at: Option<Instant>,
}

impl KnownInstances {
    /// Remembers the instances `routes` lists (this one excluded when asked).
    pub fn new(routes: Arc<RedisRoutes>) -> Self {
        Self { routes, state: Mutex::new(Seen::default()) }
    }

    /// Every other instance seen live recently: Redis's list now when it answers (read at most
    /// every [`REREAD_EVERY`]), joined with the ones remembered.
    pub async fn others(&self) -> Vec<String> {
        let due = self.state.lock().map_or(true, |s| s.read_at.is_none_or(|at| at.elapsed() >= REREAD_EVERY));
        if due {
            let found = self.routes.live_instances().await;
            if let Ok(mut s) = self.state.lock() {
                s.read_at = Some(Instant::now());
                match found {
                    Ok(found) => found.into_iter().for_each(|i| {
                        s.last_seen.insert(i, Instant::now());
                    }),
                    Err(e) => tracing::debug!(error = %e, "could not list instances; using those seen before"),
                }
            }
        }
        let here = self.routes.instance();
        self.state.lock().map_or_else(
            |_| Vec::new(),
            |mut s| {
                s.last_seen.retain(|_, seen| seen.elapsed() < KNOWN_FOR);
                s.last_seen.keys().filter(|i| i.as_str() != here).cloned().collect()
            },
        )
    }
}
