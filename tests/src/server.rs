//! A real server per test, in-process on its own thread and actix system, in either mode.

use std::path::PathBuf;
use std::sync::Arc;

use tempfile::TempDir;
use tidings_domain::{Clock, ShiftedClock};
use tidings_interfaces::{BackgroundServer, Settings};

use crate::backend::{Backend, ClusterResources};
use crate::client::Api;

/// A running server and what it owns: its data dir and, in cluster mode, its database and
/// prefixes (removed when the last holder drops them).
pub struct TestServer {
    server: Option<BackgroundServer>,
    data_dir: Arc<TempDir>,
    cluster: Option<Arc<ClusterResources>>,
    configure: Configure,
    /// The clock its time rules read; shared with its peers and restarts.
    clock: Arc<ShiftedClock>,
    /// HTTP client bound to this server.
    pub api: Api,
}

/// Adjusts a test server's settings; kept so that peers and restarts start alike.
type Configure = Arc<dyn Fn(&mut Settings) + Send + Sync>;

fn settings_for(dir: PathBuf, configure: &Configure) -> Settings {
    let mut s = Settings {
        http_addr: "127.0.0.1:0".into(),
        data_dir: dir,
        workers: Some(1),
        log: std::env::var("TIDINGS_TEST_LOG").unwrap_or_else(|_| "off".into()),
        ..Settings::default()
    };
    // Tests that are not about rate limits send as fast as they like.
    s.limits.send_per_sec = 1e6;
    s.limits.send_burst = 1_000_000;
    s.limits.search_per_sec = 1e6;
    s.limits.search_burst = 1_000_000;
    // All test clients share 127.0.0.1: the per-IP auth budget would throttle the suites.
    s.gateway.auth_per_sec = 1e6;
    s.gateway.auth_burst = 1_000_000;
    s.discovery.per_ip_per_sec = 1e6;
    s.discovery.per_ip_burst = 1_000_000;
    s.ws.presence_sub_interval = std::time::Duration::ZERO;
    // Cheap password hashes: tests register many users (the default cost is tested on its own).
    s.auth.argon2_memory_kib = 1024;
    s.auth.argon2_iterations = 1;
    configure(&mut s);
    s
}

/// A fresh server in the given mode with the test settings: the common case.
pub async fn spawn_server(backend: Backend) -> TestServer {
    spawn_server_with(backend, |_| {}).await
}

/// A fresh server in the given mode whose test settings `configure` adjusts (a plain `fn` or a
/// closure that captures, a receiver's URL say). Its peers and restarts get the same settings.
pub async fn spawn_server_with(
    backend: Backend,
    configure: impl Fn(&mut Settings) + Send + Sync + 'static,
) -> TestServer {
    let dir = Arc::new(tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}")));
    let cluster = match backend {
        Backend::Embedded => None,
        Backend::Cluster => Some(Arc::new(ClusterResources::create().await)),
    };
    start(dir, cluster, Arc::new(configure), Arc::default()).await
}

/// The settings of instance `instance` on `data_dir` (and, in cluster mode, `cluster`'s
/// database, prefixes and queues).
fn instance_settings(
    data_dir: &TempDir,
    cluster: Option<&ClusterResources>,
    configure: &Configure,
    instance: &str,
) -> Settings {
    let mut settings = settings_for(data_dir.path().to_path_buf(), configure);
    if let Some(res) = cluster {
        res.apply(&mut settings, instance);
    }
    settings
}

async fn start(
    data_dir: Arc<TempDir>,
    cluster: Option<Arc<ClusterResources>>,
    configure: Configure,
    clock: Arc<ShiftedClock>,
) -> TestServer {
    start_as(data_dir, cluster, configure, clock, "i1").await
}

async fn start_as(
    data_dir: Arc<TempDir>,
    cluster: Option<Arc<ClusterResources>>,
    configure: Configure,
    clock: Arc<ShiftedClock>,
    instance: &str,
) -> TestServer {
    let settings = instance_settings(&data_dir, cluster.as_deref(), &configure, instance);
    tidings_interfaces::telemetry::init(&settings);
    let server_clock: Arc<dyn Clock> = clock.clone();
    let server = tokio::task::spawn_blocking(move || BackgroundServer::start_with_clock(settings, server_clock))
        .await
        .unwrap_or_else(|e| panic!("start task: {e}"))
        .unwrap_or_else(|e| panic!("server start: {e:#}"));
    let api = Api::new(format!("http://127.0.0.1:{}", server.port()));
    TestServer { server: Some(server), data_dir, cluster, configure, clock, api }
}

impl TestServer {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.as_ref().map_or(0, BackgroundServer::port)
    }

    /// `ws://…/ws` of this server.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port())
    }

    /// The settings this server started with (its database, prefixes and data dir), for tools
    /// that work on the same data (`tidings search reindex`).
    pub fn settings(&self) -> Settings {
        instance_settings(&self.data_dir, self.cluster.as_deref(), &self.configure, "i1")
    }

    /// The server's data dir.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// Moves this server's clock (and its peers') `by` into the future: tokens expire, recall
    /// windows close and mutes end without the test sleeping. Timers (heartbeats, the retention
    /// interval) do not follow it.
    pub fn advance(&self, by: std::time::Duration) {
        self.clock.advance(by);
    }

    /// The cluster resources, in cluster mode.
    pub fn cluster(&self) -> Option<&Arc<ClusterResources>> {
        self.cluster.as_ref()
    }

    /// In cluster mode, a second in-process instance (`i2`) on the same database, Redis and
    /// RabbitMQ; `None` in embedded mode (one process is the whole system there).
    pub async fn peer(&self) -> Option<TestServer> {
        let cluster = self.cluster.clone()?;
        let dir = Arc::new(tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}")));
        Some(start_as(dir, Some(cluster), self.configure.clone(), self.clock.clone(), "i2").await)
    }

    /// Stops the server and starts a new one on the same data dir, database and prefixes.
    pub async fn restart(mut self) -> TestServer {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        start(self.data_dir.clone(), self.cluster.clone(), self.configure.clone(), self.clock.clone()).await
    }

    /// Drains the server as SIGTERM would, and waits until it has stopped; [`TestServer::restart`]
    /// then starts it again on the same data.
    pub async fn drain(&mut self) {
        if let Some(server) = self.server.take() {
            server.drain().await;
        }
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}
