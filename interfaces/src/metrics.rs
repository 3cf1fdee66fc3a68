//! Prometheus metrics of one instance, served at `GET /metrics` (OpenMetrics text).
//!
//! Hot paths touch pre-resolved counters (an atomic add, no lock, no label lookup). Counts
//! that other parts already keep (hub pushes, offline-push outcomes) are mirrored at scrape
//! time, so those parts do not need to know about metrics.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::mirrored_histogram::MirroredHistogram;
use tidings_app::COMMIT_BUCKETS_US;
use tidings_app::bots::{BotMeter, BotOutcome};
use tidings_app::content::{HookMeter, HookOutcome};
use tidings_protocol::{ClientFrame, ServerFrame};

type Labels = [(&'static str, &'static str); 1];

/// Frame types clients send (`frames_in`), plus `invalid` for frames that did not decode.
const FRAMES_IN: [&str; 10] =
    ["send", "sync", "read", "recall", "edit", "react", "ping", "presence_sub", "typing", "invalid"];
/// Frame types written as direct answers on a connection (`frames_out`; pushes are counted apart).
const FRAMES_OUT: [&str; 11] =
    ["ack", "msg", "sync_result", "read", "error", "pong", "presence", "typing", "kicked", "reconnect", "other"];

/// What the native push counters count, in the order of [`Observed::native_push`].
pub const NATIVE_OUTCOMES: [&str; 6] =
    ["delivered", "invalid_token", "failed", "retried", "throttled", "credential_refreshes"];

/// The instance's metrics.
pub struct Metrics {
    registry: Registry,
    connections: Gauge,
    ready: Gauge,
    frames_in: HashMap<&'static str, Counter>,
    frames_out: HashMap<&'static str, Counter>,
    sends: Family<Labels, Counter>,
    ack_latency: Histogram,
    errors: Family<Labels, Counter>,
    http_requests: Family<Labels, Counter>,
    http_latency: Histogram,
    pushes: Counter,
    slow_consumers: Counter,
    offline_push: Family<Labels, Counter>,
    native_push: Family<[(&'static str, &'static str); 2], Counter>,
    commits: Family<Labels, Counter>,
    commit_seconds: Counter<f64>,
    commit_batch_seconds: MirroredHistogram,
    push_order: Family<Labels, Counter>,
    backend_calls: Family<Labels, Counter>,
    backend_errors: Family<Labels, Counter>,
    backend_seconds: Family<Labels, Counter<f64>>,
    hook_calls: HashMap<HookOutcome, Counter>,
    hook_latency: Histogram,
    bot_requests: HashMap<BotOutcome, Counter>,
    bot_tokens_in: Counter,
    bot_tokens_out: Counter,
    bot_latency: Histogram,
    /// One scrape at a time mirrors the outside counts, so a delta is never added twice.
    mirror: Mutex<()>,
}

/// Counts kept elsewhere, read at each scrape.
#[derive(Debug, Default, Clone, Copy)]
pub struct Observed {
    /// Open WebSocket connections.
    pub connections: u64,
    /// Whether `/readyz` would answer ready.
    pub ready: bool,
    /// Frames queued to connections by the hub (pushes), since start.
    pub pushes: u64,
    /// Connections closed as slow consumers, since start.
    pub slow_consumers: u64,
    /// Offline pushes delivered, failed, dropped on a full queue, and for users with no push
    /// device, since start.
    pub offline_push: [u64; 4],
    /// Native senders' counters ([`NATIVE_OUTCOMES`]), APNs then FCM.
    pub native_push: [[u64; 6]; 2],
    /// Commit pipeline: batches, messages, failed batches, sends refused on a full queue.
    pub commits: [u64; 4],
    /// Commit pipeline: time in batch inserts, in microseconds.
    pub commit_micros: u64,
    /// Commit pipeline: batches per commit time bucket (`tidings_app::COMMIT_BUCKETS_US`).
    pub commit_buckets: [u64; COMMIT_BUCKETS_US.len() + 1],
    /// Redis round trips on the message path: calls, errors, microseconds.
    pub redis: (u64, u64, u64),
    /// Publishes to RabbitMQ: calls, errors, microseconds.
    pub amqp_publish: (u64, u64, u64),
    /// Cluster push order: pushes held for a gap, released when the wait passed, arrived late.
    pub push_order: [u64; 3],
}

fn family_member(family: &Family<Labels, Counter>, label: &'static str, value: &'static str) -> Counter {
    family.get_or_create(&[(label, value)]).clone()
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `tidings_` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tidings");
        let connections = Gauge::default();
        registry.register("ws_connections", "Open WebSocket connections", connections.clone());
        let ready = Gauge::default();
        registry.register(
            "ready",
            "1 when storage (and in a cluster Redis and RabbitMQ) answer, else 0",
            ready.clone(),
        );
        let frames_in_family = Family::<Labels, Counter>::default();
        registry.register("ws_frames_in", "Frames received, by type", frames_in_family.clone());
        let frames_in = FRAMES_IN.iter().map(|t| (*t, family_member(&frames_in_family, "type", t))).collect();
        let frames_out_family = Family::<Labels, Counter>::default();
        registry.register(
            "ws_frames_out",
            "Frames written as answers on a connection, by type (pushes are tidings_pushes)",
            frames_out_family.clone(),
        );
        let frames_out = FRAMES_OUT.iter().map(|t| (*t, family_member(&frames_out_family, "type", t))).collect();
        let sends = Family::<Labels, Counter>::default();
        registry.register("sends", "Sends over the WebSocket, by outcome (acked, duplicate, failed)", sends.clone());
        let ack_latency = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        registry.register(
            "ack_latency_seconds",
            "From a send frame's arrival to its ack (persisted and committed)",
            ack_latency.clone(),
        );
        let errors = Family::<Labels, Counter>::default();
        registry.register("ws_errors", "Error frames sent, by code (rate_limited included)", errors.clone());
        let http_requests = Family::<Labels, Counter>::default();
        registry.register("http_requests", "REST requests, by status class (429: rate limited)", http_requests.clone());
        let http_latency = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        registry.register("http_request_duration_seconds", "REST request handling time", http_latency.clone());
        let pushes = Counter::default();
        registry.register("pushes", "Frames queued to local connections (messages, reads, presence)", pushes.clone());
        let slow_consumers = Counter::default();
        registry.register(
            "slow_consumer_closes",
            "Connections closed because their outbound queue was full",
            slow_consumers.clone(),
        );
        let offline_push = Family::<Labels, Counter>::default();
        registry.register(
            "offline_push",
            "Offline push notices, by outcome (delivered, failed, dropped, no_device)",
            offline_push.clone(),
        );
        let native_push = Family::<[(&'static str, &'static str); 2], Counter>::default();
        registry.register(
            "native_push",
            "Native push requests by platform (apns, fcm) and outcome (delivered, invalid_token, failed, retried, throttled, credential_refreshes)",
            native_push.clone(),
        );
        let commits = Family::<Labels, Counter>::default();
        registry.register(
            "commits",
            "Commit pipeline: batches and messages written, failed batches (database or seq store errors), sends refused with busy on a full queue",
            commits.clone(),
        );
        let commit_seconds = Counter::<f64>::default();
        registry.register(
            "commit_seconds",
            "Time spent in the commit pipeline's batch inserts (divide by tidings_commits_total{what=\"batches\"} for the mean)",
            commit_seconds.clone(),
        );
        let commit_batch_seconds = MirroredHistogram::default();
        registry.register(
            "commit_batch_seconds",
            "Commit pipeline: time of each batch insert (the p99 commit time a dashboard draws)",
            commit_batch_seconds.clone(),
        );
        let backend_calls = Family::<Labels, Counter>::default();
        registry.register(
            "backend_calls",
            "Calls to Redis (message path: routes, seqs, dedupe, rate limits) and RabbitMQ publishes",
            backend_calls.clone(),
        );
        let backend_errors = Family::<Labels, Counter>::default();
        registry.register("backend_errors", "Those calls that failed", backend_errors.clone());
        let backend_seconds = Family::<Labels, Counter<f64>>::default();
        registry.register("backend_seconds", "Time those calls took", backend_seconds.clone());
        let push_order = Family::<Labels, Counter>::default();
        registry.register(
            "push_order",
            "Cluster: message pushes held for a gap in their seqs, released when the wait passed, arrived late",
            push_order.clone(),
        );
        let hook_family = Family::<Labels, Counter>::default();
        registry.register(
            "hook_calls",
            "Before-send hook calls, by outcome (allow, reject, rewrite, timeout, error)",
            hook_family.clone(),
        );
        let hook_calls =
            HookOutcome::ALL.iter().map(|o| (*o, family_member(&hook_family, "outcome", o.as_str()))).collect();
        let hook_latency = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        registry.register(
            "hook_latency_seconds",
            "Before-send hook calls: from the request to its answer (or failure)",
            hook_latency.clone(),
        );
        let bot_family = Family::<Labels, Counter>::default();
        registry.register(
            "bot_requests",
            "Messages AI bots were asked to answer, by outcome (answered, error, timeout, over_budget, dropped)",
            bot_family.clone(),
        );
        let bot_requests =
            BotOutcome::ALL.iter().map(|o| (*o, family_member(&bot_family, "outcome", o.as_str()))).collect();
        let (bot_tokens_in, bot_tokens_out) = (Counter::default(), Counter::default());
        registry.register(
            "bot_tokens_in",
            "Tokens AI bots sent to their models (reported, else estimated)",
            bot_tokens_in.clone(),
        );
        registry.register(
            "bot_tokens_out",
            "Tokens AI bots' models answered (reported, else estimated)",
            bot_tokens_out.clone(),
        );
        let bot_latency = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        registry.register(
            "bot_latency_seconds",
            "AI bots' model calls: from the request to the whole answer (or failure)",
            bot_latency.clone(),
        );
        Self {
            registry,
            connections,
            ready,
            frames_in,
            frames_out,
            sends,
            ack_latency,
            errors,
            http_requests,
            http_latency,
            pushes,
            slow_consumers,
            offline_push,
            native_push,
            commits,
            commit_seconds,
            commit_batch_seconds,
            push_order,
            backend_calls,
            backend_errors,
            backend_seconds,
            hook_calls,
            hook_latency,
            bot_requests,
            bot_tokens_in,
            bot_tokens_out,
            bot_latency,
            mirror: Mutex::new(()),
        }
    }

    /// A frame arrived (`None`: it did not decode).
    pub fn frame_in(&self, frame: Option<&ClientFrame>) {
        let kind = frame.map_or("invalid", client_kind);
        if let Some(c) = self.frames_in.get(kind) {
            c.inc();
        }
    }

    /// A frame was written as an answer on a connection.
    pub fn frame_out(&self, frame: &ServerFrame) {
        let kind = server_kind(frame);
        if let Some(c) = self.frames_out.get(kind).or_else(|| self.frames_out.get("other")) {
            c.inc();
        }
        if let ServerFrame::Error { code, .. } = frame {
            self.errors.get_or_create(&[("code", error_code_label(code))]).inc();
        }
    }

    /// A send ended: acked (new or `duplicate`) after `took`, or failed.
    pub fn send_done(&self, outcome: Result<bool, ()>, took: Duration) {
        let label = match outcome {
            Ok(false) => "acked",
            Ok(true) => "duplicate",
            Err(()) => "failed",
        };
        self.sends.get_or_create(&[("outcome", label)]).inc();
        if outcome.is_ok() {
            self.ack_latency.observe(took.as_secs_f64());
        }
    }

    /// A REST request was answered with `status` after `took`.
    pub fn http_done(&self, status: u16, took: Duration) {
        let class = match status {
            429 => "429",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.http_requests.get_or_create(&[("status", class)]).inc();
        self.http_latency.observe(took.as_secs_f64());
    }

    /// The exposition, after mirroring `observed`.
    pub fn render(&self, observed: Observed) -> String {
        {
            let _one_at_a_time = self.mirror.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.connections.set(i64::try_from(observed.connections).unwrap_or(i64::MAX));
            self.ready.set(i64::from(observed.ready));
            catch_up(&self.pushes, observed.pushes);
            catch_up(&self.slow_consumers, observed.slow_consumers);
            for (label, value) in ["delivered", "failed", "dropped", "no_device"].into_iter().zip(observed.offline_push)
            {
                catch_up(&self.offline_push.get_or_create(&[("outcome", label)]), value);
            }
            for (platform, counts) in ["apns", "fcm"].into_iter().zip(observed.native_push) {
                for (outcome, value) in NATIVE_OUTCOMES.into_iter().zip(counts) {
                    catch_up(&self.native_push.get_or_create(&[("platform", platform), ("outcome", outcome)]), value);
                }
            }
            for (label, value) in
                ["batches", "messages", "failed_batches", "refused_busy"].into_iter().zip(observed.commits)
            {
                catch_up(&self.commits.get_or_create(&[("what", label)]), value);
            }
            catch_up_seconds(&self.commit_seconds, observed.commit_micros);
            self.commit_batch_seconds.set(&COMMIT_BUCKETS_US, &observed.commit_buckets, observed.commit_micros);
            for (label, value) in ["held", "released_by_wait", "late"].into_iter().zip(observed.push_order) {
                catch_up(&self.push_order.get_or_create(&[("what", label)]), value);
            }
            for (backend, (calls, errors, micros)) in
                [("redis", observed.redis), ("amqp_publish", observed.amqp_publish)]
            {
                catch_up(&self.backend_calls.get_or_create(&[("backend", backend)]), calls);
                catch_up(&self.backend_errors.get_or_create(&[("backend", backend)]), errors);
                catch_up_seconds(&self.backend_seconds.get_or_create(&[("backend", backend)]), micros);
            }
        }
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode the metrics");
        }
        out
    }
}

impl HookMeter for Metrics {
    fn hook_done(&self, outcome: HookOutcome, took: Duration) {
        if let Some(c) = self.hook_calls.get(&outcome) {
            c.inc();
        }
        self.hook_latency.observe(took.as_secs_f64());
    }
}

impl BotMeter for Metrics {
    fn bot_done(&self, outcome: BotOutcome, took: Duration, tokens_in: u64, tokens_out: u64) {
        if let Some(c) = self.bot_requests.get(&outcome) {
            c.inc();
        }
        self.bot_tokens_in.inc_by(tokens_in);
        self.bot_tokens_out.inc_by(tokens_out);
        if !took.is_zero() {
            self.bot_latency.observe(took.as_secs_f64());
        }
    }
}

/// Raises a mirrored seconds counter to `micros` microseconds.
fn catch_up_seconds(counter: &Counter<f64>, micros: u64) {
    let seconds = micros as f64 / 1e6;
    let now = counter.get();
    if seconds > now {
        counter.inc_by(seconds - now);
    }
}

/// Raises a mirrored counter to `total` (counters never go down).
fn catch_up(counter: &Counter, total: u64) {
    let now = counter.get();
    if total > now {
        counter.inc_by(total - now);
    }
}

/// A client frame's `type`, for metrics labels and log spans.
pub(crate) fn client_kind(f: &ClientFrame) -> &'static str {
    match f {
        ClientFrame::Send { .. } => "send",
        ClientFrame::Sync { .. } => "sync",
        ClientFrame::Read { .. } => "read",
        ClientFrame::Recall { .. } => "recall",
        ClientFrame::Edit { .. } => "edit",
        ClientFrame::React { .. } => "react",
        ClientFrame::Ping {} => "ping",
        ClientFrame::PresenceSub { .. } => "presence_sub",
        ClientFrame::Typing { .. } => "typing",
    }
}

fn server_kind(f: &ServerFrame) -> &'static str {
    match f {
        ServerFrame::Ack { .. } => "ack",
        ServerFrame::Msg { .. } => "msg",
        ServerFrame::SyncResult { .. } => "sync_result",
        ServerFrame::Read { .. } => "read",
        ServerFrame::ThreadRead { .. } => "thread_read",
        ServerFrame::Error { .. } => "error",
        ServerFrame::Pong { .. } => "pong",
        ServerFrame::Presence { .. } => "presence",
        ServerFrame::Typing { .. } => "typing",
        ServerFrame::Kicked { .. } => "kicked",
        ServerFrame::Reconnect { .. } => "reconnect",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

/// The code as a `'static` label: the stable codes are a closed set; anything else is `other`.
fn error_code_label(code: &str) -> &'static str {
    crate::rest::doc::ALL_CODES.iter().map(|c| c.as_str()).find(|c| *c == code).unwrap_or("other")
}

/// Counts of the hub kept as plain atomics (the hub does not know about Prometheus).
#[derive(Debug, Default)]
pub struct HubCounts {
    /// Frames queued to connections.
    pub pushes: AtomicU64,
    /// Connections closed as slow consumers.
    pub slow_consumers: AtomicU64,
}

impl HubCounts {
    /// Current values.
    pub fn read(&self) -> (u64, u64) {
        (self.pushes.load(Ordering::Relaxed), self.slow_consumers.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_and_counts() {
        let m = Metrics::new();
        m.frame_in(Some(&ClientFrame::Ping {}));
        m.frame_in(None);
        m.frame_out(&ServerFrame::Error {
            id: None,
            code: "rate_limited".into(),
            message: String::new(),
            retry_after_ms: Some(5),
        });
        m.send_done(Ok(false), Duration::from_millis(3));
        m.http_done(429, Duration::from_millis(1));
        let text = m.render(Observed { connections: 7, ready: true, pushes: 10, ..Observed::default() });
        for line in [
            "tidings_ws_connections 7",
            "tidings_ready 1",
            "tidings_ws_frames_in_total{type=\"ping\"} 1",
            "tidings_ws_frames_in_total{type=\"invalid\"} 1",
            "tidings_ws_errors_total{code=\"rate_limited\"} 1",
            "tidings_sends_total{outcome=\"acked\"} 1",
            "tidings_http_requests_total{status=\"429\"} 1",
            "tidings_pushes_total 10",
            "tidings_ack_latency_seconds_count 1",
        ] {
            assert!(text.contains(line), "missing `{line}` in:\n{text}");
        }
        // Mirrored counters only go up, and by the difference.
        let again = m.render(Observed { pushes: 12, ..Observed::default() });
        assert!(again.contains("tidings_pushes_total 12"), "{again}");
    }
}
