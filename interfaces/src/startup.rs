//! Serving: binds the listener, assembles the actix app around what the composition root
//! ([`crate::compose`]) built, and runs it with the graceful drain. `Application::build` binds
//! first (port 0 works) so tests learn the port before serving.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_http::HttpService;
use actix_service::map_config;
use actix_web::dev::AppConfig;
use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::{App, web};
use anyhow::Context;
use tidings_domain::{Clock, SystemClock};
use tracing::Instrument;

pub use crate::compose::{admin_create, search_reindex};
use crate::settings::Settings;
use crate::{rest, ws};

/// A built server, bound but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    /// The graceful drain, started by SIGTERM/SIGINT when this process owns them, or by
    /// [`Application::drain_trigger`].
    drain: crate::drain::Shutdown,
    /// Whether SIGTERM/SIGINT are listened for.
    handle_signals: bool,
    /// Starts the drain without a signal (tests, embedding).
    trigger: Arc<tokio::sync::Notify>,
}

impl Application {
    /// Creates the data dir, loads or creates the signing key, migrates storage, wires the
    /// services and binds `settings.http_addr`. Must run inside an actix system. The server owns
    /// the process's SIGTERM/SIGINT: they start a graceful drain, which ends the process (exit 0)
    /// if it overruns `drain.timeout`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, true, Arc::new(SystemClock)).await
    }

    async fn build_with(settings: Settings, handle_signals: bool, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let wired = crate::compose::wire(&settings, clock).await?;
        let listener =
            TcpListener::bind(&settings.http_addr).with_context(|| format!("binding {}", settings.http_addr))?;
        let addr = listener.local_addr()?;
        let discovery = wired.state.discovery.clone();
        crate::compose::discovery::Announcer {
            service: discovery.clone(),
            hub: wired.hub.clone(),
            drain: wired.state.drain.clone(),
            me: crate::compose::discovery::Announcer::entry(&settings, &wired.instance, addr),
            heartbeat: settings.discovery.heartbeat,
        }
        .spawn();
        let json = rest::extract::json_config(settings.limits.max_http_body_bytes);
        let drain = wired.state.drain.clone();
        let metrics = wired.state.metrics.clone();
        let state = web::Data::new(wired.state);
        let ip_policy = Arc::new(crate::gateway::IpPolicy::from_settings(&settings.gateway)?);
        let web_files = web::Data::new(crate::webapp::WebFiles::new(settings.web_dir.clone()));
        let make_app = move || {
            let ip_policy = ip_policy.clone();
            let metrics = metrics.clone();
            let app = App::new()
                .app_data(web_files.clone())
                .app_data(state.clone())
                .app_data(json.clone())
                .app_data(rest::extract::query_config())
                .app_data(rest::extract::path_config())
                .wrap_fn(move |req, srv| crate::gateway::admit(&ip_policy, req, srv))
                .wrap(crate::gateway::security_headers())
                .wrap_fn(move |req, srv| {
                    let started = std::time::Instant::now();
                    let metrics = metrics.clone();
                    let span = tracing::info_span!(
                        "http",
                        rid = next_request_id(),
                        method = %req.method(),
                        path = %req.path(),
                    );
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await;
                        if let Ok(r) = &res {
                            tracing::debug!(status = r.status().as_u16(), "response");
                            if r.request().path() != "/ws" {
                                metrics.http_done(r.status().as_u16(), started.elapsed());
                            }
                        }
                        res
                    }
                    .instrument(span)
                });
            rest::routes(app)
                .configure(ws::routes)
                .configure(crate::webapp::routes)
                .default_service(web::to(rest::not_found))
        };
        // actix-web's `HttpServer` with one addition: WebSocket handshakes go to the takeover
        // (`ws::takeover`), which runs them through the same app and then serves the socket
        // itself instead of leaving it on the HTTP/1 dispatcher.
        let mut server = actix_web::dev::Server::build()
            // Signals are ours (a graceful drain, see `drain`); this bounds the last step, when
            // the server stops and in-flight HTTP requests finish.
            .disable_signals()
            .shutdown_timeout((settings.drain.timeout.as_secs() / 4).max(1))
            .listen("tidings", listener, move || {
                // The timeouts are `HttpServer`'s defaults.
                HttpService::build()
                    .client_request_timeout(Duration::from_secs(5))
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .local_addr(addr)
                    .upgrade(ws::takeover::factory(make_app.clone()))
                    .finish(map_config(make_app(), |()| AppConfig::default()))
                    .tcp()
            })?;
        if let Some(n) = settings.workers {
            server = server.workers(n);
        }
        let mode = wired.mode;
        tracing::info!(%addr, data_dir = %settings.data_dir.display(), mode, "tidings listening on http://{addr} (WebSocket at ws://{addr}/ws)");
        let server = server.run();
        let drain = crate::drain::Shutdown {
            drain,
            hub: wired.hub,
            routes: wired.routes,
            server: server.handle(),
            timeout: settings.drain.timeout,
            // Only a process that owns its signals may end itself; an embedded server may not.
            exit_on_overrun: handle_signals,
            bus: wired.bus,
            discovery: (discovery, wired.instance),
        };
        let trigger = Arc::new(tokio::sync::Notify::new());
        Ok(Self { port: addr.port(), server, drain, handle_signals, trigger })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Starts a graceful drain when notified, as SIGTERM does (without ending the process).
    pub fn drain_trigger(&self) -> Arc<tokio::sync::Notify> {
        self.trigger.clone()
    }

    /// Serves until stopped: by a handle, or (when built with signals) by SIGTERM/SIGINT, which
    /// drain the instance first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { server, drain: shutdown, handle_signals, trigger, .. } = self;
        tokio::pin!(server);
        tokio::select! {
            done = &mut server => return done,
            () = crate::drain::signalled(), if handle_signals => {}
            () = trigger.notified() => {}
        }
        // The drain stops the server; keep polling it meanwhile so it can shut down.
        let (done, ()) = tokio::join!(server, crate::drain::run(shutdown));
        done
    }
}

fn next_request_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The machine's cores (at least 1): the HTTP workers, the background runtime's threads and the
/// commit queue's default bound follow it.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Builds the tokio runtime the actix system runs on: multi-threaded, one thread per core (at
/// least two), so background work (commit pipeline stages, pushes, database hand-offs) is not
/// tied to one thread and can use every core the HTTP workers leave.
pub fn runtime_system() -> actix_web::rt::SystemRunner {
    actix_web::rt::System::with_tokio_rt(|| {
        #[allow(clippy::expect_used)] // start-up: without a runtime there is nothing to do
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores().max(2))
            .thread_name("tidings-bg")
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// A server running on its own thread with its own actix system, for tests and tools that
/// need a real server in-process on a real socket.
pub struct BackgroundServer {
    port: u16,
    handle: ServerHandle,
    trigger: Arc<tokio::sync::Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    /// Starts a server with `settings` (use `http_addr = "127.0.0.1:0"`) and waits until it listens.
    pub fn start(settings: Settings) -> anyhow::Result<Self> {
        Self::start_with_clock(settings, Arc::new(SystemClock))
    }

    /// [`BackgroundServer::start`], its time rules (expiry, recall windows, mutes) reading
    /// `clock`: tests move a [`tidings_domain::ShiftedClock`] instead of sleeping.
    pub fn start_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("tidings-server".into()).spawn(move || {
            runtime_system().block_on(async move {
                match Application::build_with(settings, false, clock).await {
                    Ok(app) => {
                        let _ = tx.send(Ok((app.port(), app.handle(), app.drain_trigger())));
                        if let Err(e) = app.run_until_stopped().await {
                            tracing::error!(error = %e, "server stopped with an error");
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })?;
        let (port, handle, trigger) = rx.recv().context("server thread died during start-up")??;
        Ok(Self { port, handle, trigger, thread: Some(thread) })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drains as on SIGTERM (clients told to reconnect, accepted sends acked, sockets closed with
    /// 1012, routes removed) and waits for the server thread to end.
    pub async fn drain(mut self) {
        self.trigger.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    /// Stops accepting, closes connections and waits for the server thread to end, so the
    /// data dir can be reopened by another server.
    pub async fn stop(mut self) {
        self.handle.stop(false).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for BackgroundServer {
    /// A server dropped without [`BackgroundServer::stop`] is told to stop (the command is sent
    /// at once; nobody waits for it), so its runtime, background tasks and database pool end with
    /// it instead of living until the process exits.
    fn drop(&mut self) {
        if self.thread.take().is_some() {
            drop(self.handle.stop(false));
        }
    }
}
