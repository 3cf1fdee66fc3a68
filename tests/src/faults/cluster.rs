//! The cluster under test: `tidings` processes, each reaching Redis and RabbitMQ through
//! proxies of its own, and the shared view of where each instance listens.

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::proxy::{HangHeal, Mode, Proxy};
use super::rest::Http;
use crate::backend::ClusterResources;
use crate::processes::ClusterProcesses;

/// Where an instance is and whether clients should try it.
#[derive(Debug, Clone)]
pub struct Node {
    /// Instance id (`i1`, `i2`, …).
    pub id: String,
    /// Port it listens on now (it changes on every restart).
    pub port: u16,
    /// False while the harness holds it down (killed, stopped, restarting).
    pub up: bool,
}

/// The instances as clients see them, shared between the devices and the fault runner.
#[derive(Debug, Default)]
pub struct Topology {
    nodes: RwLock<Vec<Node>>,
}

impl Topology {
    /// Every node, in instance order.
    pub fn nodes(&self) -> Vec<Node> {
        self.nodes.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Node `i`.
    pub fn node(&self, i: usize) -> Option<Node> {
        self.nodes.read().unwrap_or_else(PoisonError::into_inner).get(i).cloned()
    }

    /// How many instances there are.
    pub fn len(&self) -> usize {
        self.nodes.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// True when there is no instance.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of instance `i` (`?` if there is none).
    pub fn id(&self, i: usize) -> String {
        self.node(i).map_or_else(|| "?".to_owned(), |n| n.id)
    }

    fn update(&self, i: usize, f: impl FnOnce(&mut Node)) {
        if let Some(n) = self.nodes.write().unwrap_or_else(PoisonError::into_inner).get_mut(i) {
            f(n);
        }
    }
}

/// The Redis and AMQP proxies of one instance.
pub struct Links {
    /// Its Redis link.
    pub redis: Proxy,
    /// Its RabbitMQ link.
    pub amqp: Proxy,
}

/// The processes, their proxies and the topology.
pub struct Cluster {
    procs: ClusterProcesses,
    /// Proxies, by instance.
    pub links: Vec<Links>,
    /// Where each instance listens.
    pub topo: Arc<Topology>,
    http: Http,
}

/// The upstream services (the same defaults and overrides as `backend.rs`).
fn upstream(var: &str, default_port: u16) -> SocketAddr {
    let port = std::env::var(var)
        .ok()
        .and_then(|url| url.rsplit(':').next().map(|p| p.split('/').next().unwrap_or(p).to_owned()))
        .and_then(|p| p.parse().ok())
        .unwrap_or(default_port);
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Cluster {
    /// Starts `n` instances of `bin`, each with its own proxies, and waits until every one is
    /// ready.
    pub async fn start(bin: &str, n: usize, heal: HangHeal, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let (redis, amqp) = (upstream("TIDINGS_TEST_REDIS", 6379), upstream("TIDINGS_TEST_AMQP", 5672));
        let mut links = Vec::with_capacity(n);
        let mut each = Vec::with_capacity(n);
        for _ in 0..n {
            let l = Links { redis: Proxy::start(redis, heal).await?, amqp: Proxy::start(amqp, heal).await? };
            each.push(vec![
                ("TIDINGS_REDIS_URL".to_owned(), format!("redis://127.0.0.1:{}", l.redis.port())),
                ("TIDINGS_AMQP_URL".to_owned(), format!("amqp://guest:guest@127.0.0.1:{}/%2f", l.amqp.port())),
            ]);
            links.push(l);
        }
        // Starting waits on the processes' logs with blocking sleeps: keep it off the runtime's
        // workers, which carry the proxies' traffic meanwhile.
        let handle = tokio::runtime::Handle::current();
        let bin = bin.to_owned();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let procs = tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            handle.block_on(ClusterProcesses::start_each(&bin, &env, &each))
        })
        .await
        .context("starting the instances")?;
        let nodes = procs.instances.iter().map(|i| Node { id: i.id.clone(), port: i.port, up: true }).collect();
        let cluster = Self { procs, links, topo: Arc::new(Topology { nodes: RwLock::new(nodes) }), http: Http::new()? };
        for i in 0..n {
            cluster.wait_ready(i, Duration::from_secs(60)).await?;
        }
        Ok(cluster)
    }

    /// The run's database and prefixes.
    pub fn resources(&self) -> &ClusterResources {
        &self.procs.resources
    }

    /// How many instances there are.
    pub fn len(&self) -> usize {
        self.procs.instances.len()
    }

    /// True when there is no instance.
    pub fn is_empty(&self) -> bool {
        self.procs.instances.is_empty()
    }

    /// Polls `/readyz` of instance `i` until it answers 200; how long that took.
    pub async fn wait_ready(&self, i: usize, within: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        while started.elapsed() < within {
            let port = self.topo.node(i).map_or(0, |n| n.port);
            if let Ok((200, _)) = self.http.get(port, "/readyz", None, Duration::from_secs(1)).await {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("{} not ready within {within:?}", self.topo.id(i))
    }

    /// Marks instance `i` up or down for clients.
    pub fn set_up(&self, i: usize, up: bool) {
        self.topo.update(i, |n| n.up = up);
    }

    /// SIGKILL to instance `i`.
    pub fn kill(&mut self, i: usize) {
        self.set_up(i, false);
        tokio::task::block_in_place(|| self.procs.instances[i].kill());
    }

    /// SIGSTOP to instance `i`.
    pub fn pause(&mut self, i: usize) {
        self.set_up(i, false);
        self.procs.instances[i].pause();
    }

    /// SIGCONT to instance `i`.
    pub fn resume(&mut self, i: usize) {
        self.procs.instances[i].resume();
        self.set_up(i, true);
    }

    /// Starts instance `i` again (new port) and waits until it is ready.
    pub async fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        self.set_up(i, false);
        let inst = &mut self.procs.instances[i];
        // `Instance::restart` panics when the process does not come up: make that an error of
        // this fault rather than the end of the run.
        let started = tokio::task::block_in_place(|| std::panic::catch_unwind(AssertUnwindSafe(|| inst.restart())));
        if let Err(panic) = started {
            let why = panic.downcast_ref::<String>().map_or("no message", String::as_str);
            anyhow::bail!("{} did not start again: {}", inst.id, why.chars().take(600).collect::<String>());
        }
        let port = inst.port;
        self.topo.update(i, |n| n.port = port);
        self.wait_ready(i, Duration::from_secs(60)).await?;
        self.set_up(i, true);
        Ok(())
    }

    /// SIGTERM to instance `i`, waits for it to exit, starts it again and waits until ready;
    /// how long the drain took. An instance that does not exit in time, or exits with a
    /// failure, is an error (after it was killed and started again all the same).
    pub async fn drain_and_restart(&mut self, i: usize, within: Duration) -> anyhow::Result<Duration> {
        self.set_up(i, false);
        let inst = &mut self.procs.instances[i];
        inst.terminate();
        let exited = tokio::task::block_in_place(|| inst.wait_exit(within));
        let id = inst.id.clone();
        self.restart(i).await?;
        match exited {
            Some((status, took)) if status.success() => Ok(took),
            Some((status, took)) => anyhow::bail!("{id} exited with {status} {:.1}s after SIGTERM", took.as_secs_f64()),
            None => anyhow::bail!("{id} did not exit within {within:?} of SIGTERM (killed)"),
        }
    }

    /// Switches instance `i`'s Redis link.
    pub fn redis(&self, i: usize, mode: Mode) {
        self.links[i].redis.set(mode);
    }

    /// Switches instance `i`'s RabbitMQ link.
    pub fn amqp(&self, i: usize, mode: Mode) {
        self.links[i].amqp.set(mode);
    }

    /// The process id of instance `i`.
    pub fn pid(&self, i: usize) -> u32 {
        self.procs.instances[i].pid()
    }

    /// Copies every log of every start of every instance into `dir`; how many.
    pub fn save_logs(&self, dir: &std::path::Path) -> anyhow::Result<usize> {
        std::fs::create_dir_all(dir)?;
        let mut n = 0;
        for entry in std::fs::read_dir(self.procs.dir())? {
            let path = entry?.path();
            if let Some(name) = path.file_name().filter(|_| path.extension().is_some_and(|e| e == "log")) {
                std::fs::copy(&path, dir.join(name))?;
                n += 1;
            }
        }
        Ok(n)
    }
}
