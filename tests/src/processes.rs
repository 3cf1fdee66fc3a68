//! Several real server processes forming one cluster (shared MariaDB, Redis, RabbitMQ), for
//! the tests that kill instances or cut their connections.

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backend::ClusterResources;
use crate::client::Api;

/// One `tidings` process.
pub struct Instance {
    /// Its instance id.
    pub id: String,
    /// Its port.
    pub port: u16,
    /// REST client for it.
    pub api: Api,
    child: Child,
    log: std::path::PathBuf,
    /// How it was started, to start it again.
    launch: Launch,
}

/// What starting an instance again needs.
struct Launch {
    bin: String,
    env: Vec<(String, String)>,
    dir: std::path::PathBuf,
    starts: u32,
}

impl Instance {
    /// `ws://…/ws` of this instance.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// SIGKILL: no drain, no goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: the server drains (see `drain` in the server) and exits.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(status.success(), "kill -TERM {}", self.id);
    }

    /// Waits up to `within` for the process to exit; its status and how long the wait took.
    pub fn wait_exit(&mut self, within: Duration) -> Option<(std::process::ExitStatus, Duration)> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some((status, started.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Starts the (exited or killed) instance again with the same settings and data; it listens
    /// on a new port, which `port`, `api` and `ws_url` then name.
    pub fn restart(&mut self) {
        self.kill();
        self.launch.starts += 1;
        let log = self.launch.dir.join(format!("{}.{}.log", self.id, self.launch.starts));
        self.child = launch(&self.launch, &self.id, &log);
        self.log = log;
        self.port = wait_listening(self);
        self.api = Api::new(format!("http://127.0.0.1:{}", self.port));
    }

    /// The process's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGSTOP: the process freezes, its sockets stay open and nothing is read or answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT: a paused process runs on.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(status.success(), "kill {sig} {}", self.id);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A cluster of processes sharing one set of resources.
pub struct ClusterProcesses {
    /// The instances, in start order.
    pub instances: Vec<Instance>,
    /// Shared database and prefixes.
    pub resources: Arc<ClusterResources>,
    /// Holds the instances' data dirs and logs; removed when the cluster is dropped.
    _dir: tempfile::TempDir,
}

impl ClusterProcesses {
    /// Starts `n` instances (`i1`…`in`) of the server binary `bin` (a test passes
    /// `env!("CARGO_BIN_EXE_tidings-e2e-server")`), with `extra` environment on top of the
    /// cluster settings.
    pub async fn start(bin: &str, n: usize, extra: &[(&str, &str)]) -> Self {
        Self::start_each(bin, extra, &vec![Vec::new(); n]).await
    }

    /// Like [`ClusterProcesses::start`], one instance per entry of `each`, which is that
    /// instance's own environment on top of `extra` (e.g. its own Redis and AMQP URLs).
    pub async fn start_each(bin: &str, extra: &[(&str, &str)], each: &[Vec<(String, String)>]) -> Self {
        let resources = Arc::new(ClusterResources::create().await);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let mut instances = Vec::with_capacity(each.len());
        for (i, own) in each.iter().enumerate() {
            let mut env = extra.to_vec();
            env.extend(own.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            instances.push(spawn(bin, &resources, dir.path(), &format!("i{}", i + 1), &env));
        }
        for inst in &mut instances {
            inst.port = wait_listening(inst);
            inst.api = Api::new(format!("http://127.0.0.1:{}", inst.port));
        }
        Self { instances, resources, _dir: dir }
    }

    /// Instance `i` (0-based).
    pub fn at(&self, i: usize) -> &Instance {
        &self.instances[i]
    }

    /// The directory of the instances' data and logs (`{id}.log`, then `{id}.{n}.log` for the
    /// n-th start).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

/// One embedded-mode (SQLite) `tidings` process of the server binary `bin`, with `extra`
/// environment; the directory holds its data and log and must outlive it.
pub fn spawn_embedded(bin: &str, extra: &[(&str, &str)]) -> (Instance, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let mut inst = spawn_with(bin, Vec::new(), dir.path(), "solo", extra);
    inst.port = wait_listening(&mut inst);
    inst.api = Api::new(format!("http://127.0.0.1:{}", inst.port));
    (inst, dir)
}

fn spawn(bin: &str, res: &ClusterResources, dir: &std::path::Path, id: &str, extra: &[(&str, &str)]) -> Instance {
    spawn_with(bin, res.env(id), dir, id, extra)
}

fn spawn_with(
    bin: &str,
    mut env: Vec<(String, String)>,
    dir: &std::path::Path,
    id: &str,
    extra: &[(&str, &str)],
) -> Instance {
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let launch_spec = Launch { bin: bin.to_owned(), env, dir: dir.to_owned(), starts: 1 };
    let log = dir.join(format!("{id}.log"));
    let child = launch(&launch_spec, id, &log);
    Instance { id: id.to_owned(), port: 0, api: Api::new(String::new()), child, log, launch: launch_spec }
}

fn launch(l: &Launch, id: &str, log: &std::path::Path) -> Child {
    let (bin, dir) = (&l.bin, &l.dir);
    let data = dir.join(id);
    let out = std::fs::File::create(log).unwrap_or_else(|e| panic!("log file: {e}"));
    let err = out.try_clone().unwrap_or_else(|e| panic!("log file: {e}"));
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TIDINGS_HTTP_ADDR", "127.0.0.1:0")
        .env("TIDINGS_DATA_DIR", &data)
        .env("TIDINGS_LOG", std::env::var("TIDINGS_TEST_LOG").unwrap_or_else(|_| "info".into()))
        .env("TIDINGS_LOG_FORMAT", "json")
        .env("TIDINGS_WORKERS", "1")
        .env("TIDINGS_LIMITS__SEND_PER_SEC", "1000000")
        .env("TIDINGS_LIMITS__SEND_BURST", "1000000")
        .env("TIDINGS_GATEWAY__AUTH_PER_SEC", "1000000")
        .env("TIDINGS_GATEWAY__AUTH_BURST", "1000000")
        .env("TIDINGS_DISCOVERY__PER_IP_PER_SEC", "1000000")
        .env("TIDINGS_DISCOVERY__PER_IP_BURST", "1000000")
        .env("TIDINGS_WS__PRESENCE_SUB_INTERVAL", "0s")
        .env("TIDINGS_AUTH__ARGON2_MEMORY_KIB", "1024")
        .env("TIDINGS_AUTH__ARGON2_ITERATIONS", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in &l.env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap_or_else(|e| panic!("spawning {id}: {e}"))
}

/// Reads the instance's log until it says where it listens.
fn wait_listening(inst: &mut Instance) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&inst.log) {
            let _ = f.read_to_string(&mut text);
        }
        if let Some(port) = text
            .split("listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse::<u16>().ok())
        {
            return port;
        }
        if let Ok(Some(status)) = inst.child.try_wait() {
            panic!("{} exited during start ({status}):\n{text}", inst.id);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} did not start in time:\n{}", inst.id, inst.log());
}

/// Closes an instance's broker connection from RabbitMQ's side (as a broker restart or a
/// network cut would), using `rabbitmqctl`.
pub fn cut_amqp_connection(instance: &str) {
    // Table output: `<pid>\t[{...},{connection_name,<<"tidings-i1">>},...]`, one line each.
    let out = Command::new("rabbitmqctl")
        .args(["-q", "list_connections", "--no-table-headers", "pid", "client_properties"])
        .output()
        .unwrap_or_else(|e| panic!("rabbitmqctl: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let wanted = format!("\"tidings-{instance}\"");
    let pids: Vec<&str> =
        text.lines().filter(|line| line.contains(&wanted)).filter_map(|line| line.split('\t').next()).collect();
    assert!(!pids.is_empty(), "no broker connection named {wanted}:\n{text}");
    for pid in pids {
        let status = Command::new("rabbitmqctl")
            .args(["-q", "close_connection", pid, "cut by a test"])
            .status()
            .unwrap_or_else(|e| panic!("rabbitmqctl: {e}"));
        assert!(status.success(), "close_connection {pid}");
    }
}
