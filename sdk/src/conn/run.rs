//! The connection state machine: connecting -> connected -> disconnected -> (backoff) ->
//! connecting ..., walking the candidate servers (`discovery`) on failures, until the client
//! stops it, the server kicks the device or the session cannot be refreshed.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument as _;

use super::backoff::Backoff;
use super::socket::{self, End, OpenError};
use crate::client::Inner;
use crate::discovery::Route;
use crate::events::ClientEvent;
use crate::rest::base_url;
use crate::types::ConnectionState;

/// Keeps a connection up until `stop` turns true or the session ends.
pub(crate) async fn run(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    let cfg = &inner.config;
    let mut backoff = Backoff::new(cfg.backoff_initial_ms, cfg.backoff_max_ms);
    let mut route = Route::new(&inner);
    let mut attempt = 0u32;
    let mut refreshed = false;
    // A server named by a `reconnect` frame, tried once before the list.
    let mut hinted: Option<String> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        if route.stale() {
            tokio::select! {
                () = route.refresh(&inner) => {}
                _ = stop.changed() => return,
            }
        }
        let server = hinted.take().unwrap_or_else(|| route.server());
        attempt += 1;
        inner.state(ConnectionState::Connecting { server: server.clone(), attempt });
        let span = tracing::info_span!("connection", %server, attempt);
        match socket::open(&inner, &server).instrument(span.clone()).await {
            Ok(ws) => {
                route.connected(&inner, &server).await;
                backoff.reset();
                attempt = 0;
                refreshed = false;
                inner.state(ConnectionState::Connected { server: server.clone() });
                match socket::serve(&inner, ws, &mut stop).instrument(span).await {
                    End::Stopped => {
                        inner.state(ConnectionState::Disconnected { reason: "stopped".into() });
                        return;
                    }
                    End::Kicked(reason) => {
                        let _ = inner.sessions.set(None).await;
                        inner.state(ConnectionState::Kicked { reason });
                        return;
                    }
                    End::Moved { url, after_ms } => {
                        tracing::info!(?url, after_ms, "server draining; moving");
                        inner.state(ConnectionState::Disconnected { reason: "server draining".into() });
                        match url.as_deref().map(base_url) {
                            Some(u) if !route.select(&u) => hinted = Some(u),
                            Some(_) => {}
                            None => route.leave(&server),
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(after_ms)) => {}
                            _ = stop.changed() => {}
                        }
                        continue;
                    }
                    End::Lost(reason) => {
                        tracing::info!(%reason, "connection lost");
                        inner.state(ConnectionState::Disconnected { reason });
                    }
                }
            }
            Err(OpenError::Unauthorized) if !refreshed => {
                // The access token may just have expired: refresh once, then try again at once.
                refreshed = true;
                let stale = inner.sessions.get().map(|s| s.access_token).unwrap_or_default();
                if inner.sessions.refresh(&inner.rest, &stale).await.is_err() && inner.sessions.get().is_none() {
                    inner.state(ConnectionState::TokenExpired);
                    return;
                }
                continue;
            }
            Err(OpenError::Unauthorized) => {
                let _ = inner.sessions.set(None).await;
                inner.state(ConnectionState::TokenExpired);
                return;
            }
            Err(OpenError::NoSession) => {
                inner.state(ConnectionState::TokenExpired);
                return;
            }
            Err(OpenError::Network(reason)) => {
                tracing::debug!(%reason, "connect failed; trying the next server");
                inner.state(ConnectionState::Disconnected { reason });
                // After a hinted server too: the list resumes past the one that was draining.
                route.failed();
            }
        }
        let delay = backoff.next_delay();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => {}
        }
    }
}

impl Inner {
    /// Reports a connection state.
    pub(crate) fn state(&self, state: ConnectionState) {
        tracing::debug!(?state, "connection state");
        self.events.emit(ClientEvent::Connection { state });
    }
}

/// How long the client waits without hearing anything before it gives up on a connection.
pub(super) fn silence_limit(heartbeat_secs: u64) -> Duration {
    Duration::from_secs(heartbeat_secs.saturating_mul(3))
}
