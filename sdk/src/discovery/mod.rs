//! Which server to connect to. Before connecting the SDK asks `GET /api/v1/discovery` (the last
//! server a connection succeeded on first, then the configured ones) for the instances this
//! device should use, best first; the configured servers follow them as the fallback. It times
//! `GET /healthz` on every candidate and takes the fastest, keeping discovery's order among
//! those about as fast. Without discovery (off, no answer, an older server) the configured list
//! is used in order, as before. The connection loop (`conn/run.rs`) walks the resulting
//! [`Route`] and asks again when every candidate failed or the answer's `ttl_secs` has passed.

mod ask;
mod order;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::{Client, Inner};
use crate::rest::base_url;

/// Store key of the last server a connection succeeded on (asked first after a restart too).
const LAST_SERVER_KEY: &str = "last_server";
/// Longest wait for one server's discovery answer.
const ASK_MAX: Duration = Duration::from_secs(5);
/// Longest wait for one candidate's `/healthz` in the latency probe.
const PROBE_MAX: Duration = Duration::from_secs(2);
/// Without an answer, discovery is asked again after this long (or when every server failed).
const RETRY_WITHOUT_ANSWER: Duration = Duration::from_secs(30);

/// A server the client may connect to, as the last choice saw it: what discovery said of it and
/// how fast it answered. Apps show it (diagnostics) or log it; the SDK picks for them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ServerCandidate {
    /// The server's base URL (`http://host:port`).
    pub url: String,
    /// The instance id discovery gave; empty for a configured server it did not name.
    pub id: String,
    /// The instance's zone; empty when not known.
    pub zone: String,
    /// Its connections relative to its capacity as discovery reported it (0 when not known).
    pub load: f64,
    /// Round trip of its `/healthz` at the last probe; `None` if it did not answer or was not
    /// probed (discovery off or without an answer).
    pub rtt_ms: Option<u64>,
}

/// What the app can read of the choice: the candidates in the order they are tried, and the
/// server of the current or last connection.
pub(crate) struct Directory {
    candidates: Mutex<Vec<ServerCandidate>>,
    chosen: Mutex<Option<String>>,
}

impl Directory {
    /// Before any choice: the configured servers, in order.
    pub(crate) fn new(configured: &[String]) -> Self {
        let candidates = configured.iter().map(|s| order::plain(base_url(s))).collect();
        Self { candidates: Mutex::new(candidates), chosen: Mutex::new(None) }
    }

    fn set_candidates(&self, candidates: &[ServerCandidate]) {
        if let Ok(mut c) = self.candidates.lock() {
            candidates.clone_into(&mut *c);
        }
    }

    /// The instance id of the server this client was last connected to, when discovery named it.
    fn last_instance(&self, last_good: Option<&str>) -> Option<String> {
        let chosen = self.chosen.lock().ok().and_then(|c| c.clone());
        let url = chosen.as_deref().or(last_good)?;
        let candidates = self.candidates.lock().ok()?;
        candidates.iter().find(|c| c.url == url && !c.id.is_empty()).map(|c| c.id.clone())
    }

    fn set_chosen(&self, server: &str) {
        if let Ok(mut c) = self.chosen.lock() {
            *c = Some(server.to_owned());
        }
    }
}

impl Client {
    /// The server of the current connection, or of the last one if it is down; `None` before
    /// this client first connected.
    pub fn chosen_server(&self) -> Option<String> {
        self.inner().directory.chosen.lock().ok().and_then(|c| c.clone())
    }

    /// The servers the connection tries, in order: discovery's instances (with their id, zone,
    /// load and probed round trip), then the configured servers it did not name.
    pub fn server_candidates(&self) -> Vec<ServerCandidate> {
        self.inner().directory.candidates.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// The connection loop's candidate list and its place in it.
pub(crate) struct Route {
    urls: Vec<String>,
    index: usize,
    /// Connect failures in a row since the list was made or a connection succeeded.
    failures: usize,
    /// When to ask discovery again (`None`: never, discovery is off).
    expires: Option<Instant>,
    /// A server to put last at the next refresh (one that is draining).
    leaving: Option<String>,
}

impl Route {
    /// The configured servers, starting at the one REST last reached; with discovery on, stale
    /// at once so the first connect asks it.
    pub(crate) fn new(inner: &Inner) -> Self {
        let urls: Vec<String> = inner.config.servers.iter().map(|s| base_url(s)).collect();
        let index = inner.rest.current_server().and_then(|s| urls.iter().position(|u| *u == s)).unwrap_or(0);
        let expires = inner.config.discovery.then(Instant::now);
        Self { urls, index, failures: 0, expires, leaving: None }
    }

    /// Discovery is to be asked again: its answer expired, or every candidate failed.
    pub(crate) fn stale(&self) -> bool {
        self.expires.is_some_and(|at| Instant::now() >= at || self.failures >= self.urls.len())
    }

    /// The server to try now.
    pub(crate) fn server(&self) -> String {
        self.urls.get(self.index % self.urls.len().max(1)).cloned().unwrap_or_default()
    }

    /// Asks discovery and probes the candidates; starts over at the best one.
    pub(crate) async fn refresh(&mut self, inner: &Inner) {
        let cfg = &inner.config;
        let configured: Vec<String> = cfg.servers.iter().map(|s| base_url(s)).collect();
        let last_good = inner.store.get_kv(LAST_SERVER_KEY).await.ok().flatten();
        let last = inner.directory.last_instance(last_good.as_deref());
        let asked = order::ask_order(last_good, &configured);
        let budget = Duration::from_millis(cfg.request_timeout_ms);
        let who = ask::Who { device_id: &cfg.device_id, zone: cfg.zone.as_deref(), last: last.as_deref() };
        let answer = ask::discover(&inner.rest, &asked, who, budget.min(ASK_MAX)).await;
        let (mut candidates, ttl) = match answer {
            ask::Answer::Found(answer) => {
                let merged = order::merge(&answer.instances, &configured);
                let probed = ask::probe(&inner.rest, merged, budget.min(PROBE_MAX)).await;
                (order::rank(probed), Duration::from_secs(answer.ttl_secs))
            }
            ask::Answer::Unsupported | ask::Answer::Nothing => (order::merge(&[], &configured), RETRY_WITHOUT_ANSWER),
        };
        if let Some(leaving) = self.leaving.take() {
            order::demote(&mut candidates, &leaving);
        }
        tracing::debug!(?candidates, "server candidates");
        inner.directory.set_candidates(&candidates);
        self.urls = candidates.into_iter().map(|c| c.url).collect();
        inner.rest.set_servers(self.urls.clone());
        self.index = 0;
        self.failures = 0;
        self.expires = Some(Instant::now() + ttl);
    }

    /// Connecting to the current server failed: the next one; a full round of failures makes
    /// the list stale.
    pub(crate) fn failed(&mut self) {
        self.index = (self.index + 1) % self.urls.len().max(1);
        self.failures += 1;
    }

    /// The server is draining and named no other: the next one now, and a fresh list (without
    /// it first) at the next refresh when discovery is on.
    pub(crate) fn leave(&mut self, server: &str) {
        self.index = (self.index + 1) % self.urls.len().max(1);
        if self.expires.is_some() {
            self.expires = Some(Instant::now());
            self.leaving = Some(server.to_owned());
        }
    }

    /// Makes `server` the current one if it is in the list; false if it is not.
    pub(crate) fn select(&mut self, server: &str) -> bool {
        match self.urls.iter().position(|u| u == server) {
            Some(i) => {
                self.index = i;
                true
            }
            None => false,
        }
    }

    /// A connection succeeded on `server`: it is the one to come back to (also after a restart,
    /// for the next discovery) and where REST calls go.
    pub(crate) async fn connected(&mut self, inner: &Inner, server: &str) {
        self.select(server);
        self.failures = 0;
        inner.directory.set_chosen(server);
        inner.rest.prefer(server);
        if let Err(e) = inner.store.set_kv(LAST_SERVER_KEY, Some(server)).await {
            tracing::debug!(error = %e, "could not remember the server");
        }
    }
}
