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

    /// The process's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
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
        let resources = Arc::new(ClusterResources::create().await);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let mut instances = Vec::with_capacity(n);
        for i in 1..=n {
            instances.push(spawn(bin, &resources, dir.path(), &format!("i{i}"), extra));
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
}

fn spawn(bin: &str, res: &ClusterResources, dir: &std::path::Path, id: &str, extra: &[(&str, &str)]) -> Instance {
    let log = dir.join(format!("{id}.log"));
    let data = dir.join(id);
    let out = std::fs::File::create(&log).unwrap_or_else(|e| panic!("log file: {e}"));
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
        .env("TIDINGS_WS__PRESENCE_SUB_INTERVAL_MS", "0")
        .env("TIDINGS_AUTH__ARGON2_MEMORY_KIB", "1024")
        .env("TIDINGS_AUTH__ARGON2_ITERATIONS", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in res.env(id) {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap_or_else(|e| panic!("spawning {id}: {e}"));
    Instance { id: id.to_owned(), port: 0, api: Api::new(String::new()), child, log }
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
