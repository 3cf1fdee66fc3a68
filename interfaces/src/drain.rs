//! Graceful drain on SIGTERM/SIGINT. The flag is shared by `/readyz` (503 `draining`), the `/ws`
//! handshake (refused) and every connection loop (which sends `reconnect`, refuses new sends,
//! writes the acks of the sends it already accepted, then closes with 1012). The sequence in
//! [`run`] stops accepting, waits for the connections to go, stops the server, removes this
//! instance's leftover routes and closes its broker connection, all within `drain.timeout`.

use std::hash::BuildHasher as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use tidings_domain::ports::RouteRegistry;
use tidings_protocol::ServerFrame;
use tokio::sync::watch;

use crate::settings::DrainSettings;
use crate::ws::hub::Hub;

/// Whether this instance is draining; connections watch it.
pub struct Drain {
    tx: watch::Sender<bool>,
}

impl Default for Drain {
    fn default() -> Self {
        Self { tx: watch::channel(false).0 }
    }
}

impl Drain {
    /// Turns draining on; returns false if it already was.
    pub fn begin(&self) -> bool {
        !self.tx.send_replace(true)
    }

    /// Whether the drain has begun.
    pub fn is_draining(&self) -> bool {
        *self.tx.borrow()
    }

    /// A receiver that sees the drain begin (already marked changed if it has).
    pub fn watch(&self) -> watch::Receiver<bool> {
        let mut rx = self.tx.subscribe();
        if *rx.borrow() {
            rx.mark_changed();
        }
        rx
    }
}

/// The `reconnect` frame for connection `conn_id`: one of the hinted URLs (spread over the
/// connections) and a random wait below `drain.reconnect_spread`.
pub fn reconnect_frame(settings: &DrainSettings, conn_id: u64) -> ServerFrame {
    let hints = settings.hints();
    let url =
        if hints.is_empty() { None } else { usize::try_from(conn_id).ok().map(|i| hints[i % hints.len()].clone()) };
    let spread = crate::settings::duration::millis_u64(settings.reconnect_spread);
    // A per-process random hasher is enough randomness to spread clients out.
    let after_ms = if spread == 0 { 0 } else { std::hash::RandomState::new().hash_one(conn_id) % spread };
    ServerFrame::Reconnect { reason: "draining".into(), url, after_ms }
}

/// What the drain sequence acts on.
pub struct Shutdown {
    /// The shared flag.
    pub drain: Arc<Drain>,
    /// The live connections.
    pub hub: Arc<Hub>,
    /// Cluster routes (none in embedded mode).
    pub routes: Option<Arc<dyn RouteRegistry>>,
    /// The HTTP server.
    pub server: ServerHandle,
    /// The whole drain's budget.
    pub timeout: Duration,
    /// End the process when the budget is spent (a server that owns its process).
    pub exit_on_overrun: bool,
    /// The broker connection (cluster mode), closed last so pushes flow while clients drain.
    pub bus: Option<tidings_infrastructure::cluster::AmqpBus>,
    /// The instance registry and this instance's id in it: withdrawn first, so discovery
    /// stops offering this instance before any client is told to move.
    pub discovery: (Arc<tidings_app::DiscoveryService>, String),
}

/// Waits for SIGTERM or SIGINT.
pub async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = int.recv() => tracing::info!("SIGINT received"),
                }
                return;
            }
            (Err(e), _) | (_, Err(e)) => tracing::error!(error = %e, "cannot listen for signals; Ctrl-C only"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs the drain: stop accepting, tell every client to reconnect, wait (at most three quarters
/// of the budget) for the connections to finish their acks and close, stop the server (in-flight
/// HTTP requests finish), then remove this instance's routes that are left and stop consuming
/// from the broker. A watchdog ends the
/// process (exit 0) when the budget is spent, whatever clients or workers do.
pub async fn run(s: Shutdown) {
    if !s.drain.begin() {
        return;
    }
    let started = Instant::now();
    tracing::info!(
        connections = s.hub.device_count(),
        timeout_secs = s.timeout.as_secs(),
        "draining: no new connections; clients told to reconnect"
    );
    if s.exit_on_overrun {
        spawn_watchdog(s.timeout);
    }
    withdraw(&s.discovery).await;
    // Once more a moment later, in case a heartbeat was on its way when the drain began.
    let again = s.discovery.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        withdraw(&again).await;
    });
    s.server.pause().await;
    let phase = s.timeout.mul_f64(0.75);
    while s.hub.device_count() > 0 && started.elapsed() < phase {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let left = s.hub.device_count();
    if left > 0 {
        tracing::warn!(left, "draining: connections still open at the deadline; closing them");
    }
    s.server.stop(true).await;
    forget_routes(&s.hub, s.routes.as_deref()).await;
    if let Some(bus) = &s.bus {
        bus.close().await;
    }
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "drained");
}

/// Removes this instance's discovery entry.
async fn withdraw((discovery, instance): &(Arc<tidings_app::DiscoveryService>, String)) {
    if let Err(e) = discovery.withdraw(instance).await {
        tracing::warn!(error = %e, "could not withdraw from discovery; the entry lapses by itself");
    }
}

/// Removes the routes of devices still registered here (a connection that closed normally
/// already removed its own), so pushes stop coming to this instance's queue.
async fn forget_routes(hub: &Hub, routes: Option<&dyn RouteRegistry>) {
    let Some(routes) = routes else { return };
    for (user, device, owner) in hub.devices() {
        routes.disconnected(&user, &device, owner).await;
    }
}

/// Ends the process once `budget` has passed since the drain began.
fn spawn_watchdog(budget: Duration) {
    let spawned = std::thread::Builder::new().name("tidings-drain-watchdog".into()).spawn(move || {
        std::thread::sleep(budget);
        tracing::warn!("drain.timeout reached: exiting now");
        std::process::exit(0);
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the drain watchdog");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(hint: Option<&str>, spread: u64, conn: u64) -> (Option<String>, u64) {
        let s = DrainSettings {
            reconnect_hint: hint.map(str::to_owned),
            reconnect_spread: std::time::Duration::from_millis(spread),
            timeout: std::time::Duration::from_secs(5),
        };
        match reconnect_frame(&s, conn) {
            ServerFrame::Reconnect { reason, url, after_ms } => {
                assert_eq!(reason, "draining");
                (url, after_ms)
            }
            other => panic!("not a reconnect frame: {other:?}"),
        }
    }

    #[test]
    fn connections_are_spread_over_the_hints_and_in_time() {
        let urls: Vec<Option<String>> = (0..4).map(|c| frame(Some("http://a:1,http://b:2"), 500, c).0).collect();
        let a = Some("http://a:1".to_owned());
        let b = Some("http://b:2".to_owned());
        assert_eq!(urls, vec![a.clone(), b.clone(), a, b]);
        assert_eq!(frame(None, 500, 7).0, None);
        let waits: Vec<u64> = (0..64).map(|c| frame(None, 500, c).1).collect();
        assert!(waits.iter().all(|w| *w < 500), "{waits:?}");
        assert!(waits.iter().any(|w| *w != waits[0]), "spread out: {waits:?}");
        assert_eq!(frame(None, 0, 3).1, 0);
    }

    #[test]
    fn the_flag_is_seen_by_watchers_made_before_and_after() {
        let drain = Drain::default();
        let before = drain.watch();
        assert!(!drain.is_draining());
        assert!(drain.begin());
        assert!(!drain.begin(), "only the first call begins it");
        assert!(before.has_changed().unwrap_or(false));
        assert!(drain.watch().has_changed().unwrap_or(false), "a late watcher sees it at once");
    }
}
