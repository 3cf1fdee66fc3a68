//! The two ways to run a server under test. Embedded: SQLite in a temp dir, in-process
//! routing. Cluster: the machine's MariaDB, Redis and RabbitMQ, each test with its own database,
//! Redis key prefix and AMQP name prefix, all removed when the test's servers are gone.

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use tidings_interfaces::Settings;

/// Where the cluster services are (the same defaults as `.ci/run`; override with env).
fn mysql_base() -> String {
    std::env::var("TIDINGS_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}
/// The test Redis.
pub fn redis_url() -> String {
    std::env::var("TIDINGS_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}
fn amqp_url() -> String {
    std::env::var("TIDINGS_TEST_AMQP").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Which mode a test runs its servers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in-process routing.
    Embedded,
    /// MariaDB, Redis, RabbitMQ.
    Cluster,
}

fn reachable(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

impl Backend {
    /// The cluster backend if MariaDB, Redis and RabbitMQ answer. Otherwise: with `CI=true`
    /// a failure; without, a plain "skipped" line on stderr (not captured) and `None`.
    pub fn cluster(test: &str) -> Option<Self> {
        let missing: Vec<&str> = [("MariaDB:3306", 3306), ("Redis:6379", 6379), ("RabbitMQ:5672", 5672)]
            .into_iter()
            .filter(|(_, port)| !reachable(*port))
            .map(|(name, _)| name)
            .collect();
        if missing.is_empty() {
            return Some(Self::Cluster);
        }
        let why = format!("{test}: cluster services not reachable ({})", missing.join(", "));
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why}; with CI=true a missing service is a failure");
        }
        let _ = writeln!(std::io::stderr(), "SKIPPED {why}; start them (see .ci/run) to run the cluster suite");
        None
    }
}

/// Per-test cluster resources, dropped (database, keys) when the last server using them is.
pub struct ClusterResources {
    /// Database name.
    pub db_name: String,
    /// Redis key prefix.
    pub redis_prefix: String,
    /// AMQP exchange/queue prefix.
    pub amqp_prefix: String,
    /// Signing key shared by every instance of the test.
    pub signing_key: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl ClusterResources {
    /// Creates a fresh database and picks unique prefixes.
    pub async fn create() -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{}_{n}_{}", std::process::id(), nanos() % 1_000_000);
        let db_name = format!("tidings_t{tag}");
        exec_mysql(&format!("CREATE DATABASE `{db_name}`")).await;
        let mut key = [0u8; 32];
        for (i, b) in key.iter_mut().enumerate() {
            *b = (nanos().wrapping_mul(31).wrapping_add(i as u128 * 7919) % 251) as u8;
        }
        Self {
            db_name,
            redis_prefix: format!("tidings-t{tag}:"),
            amqp_prefix: format!("t{tag}."),
            signing_key: base64::engine::general_purpose::STANDARD.encode(key),
        }
    }

    /// Points `settings` at these resources, as instance `instance`.
    pub fn apply(&self, settings: &mut Settings, instance: &str) {
        settings.database_url = Some(format!("{}/{}", mysql_base(), self.db_name).into());
        settings.redis_url = Some(redis_url().into());
        settings.amqp_url = Some(amqp_url().into());
        settings.instance_id = Some(instance.to_owned());
        settings.signing_key = Some(self.signing_key.as_str().into());
        settings.cluster.redis_prefix = self.redis_prefix.clone();
        settings.cluster.amqp_prefix = self.amqp_prefix.clone();
        settings.db.max_connections = 4;
        settings.cluster.redis_pool_size = 4;
    }

    /// The environment variables that do the same for a `tidings` process.
    pub fn env(&self, instance: &str) -> Vec<(String, String)> {
        vec![
            ("TIDINGS_DATABASE_URL".into(), format!("{}/{}", mysql_base(), self.db_name)),
            ("TIDINGS_REDIS_URL".into(), redis_url()),
            ("TIDINGS_AMQP_URL".into(), amqp_url()),
            ("TIDINGS_INSTANCE_ID".into(), instance.to_owned()),
            ("TIDINGS_SIGNING_KEY".into(), self.signing_key.clone()),
            ("TIDINGS_CLUSTER__REDIS_PREFIX".into(), self.redis_prefix.clone()),
            ("TIDINGS_CLUSTER__AMQP_PREFIX".into(), self.amqp_prefix.clone()),
            ("TIDINGS_DB__MAX_CONNECTIONS".into(), "4".into()),
            ("TIDINGS_CLUSTER__REDIS_POOL_SIZE".into(), "4".into()),
        ]
    }

    /// Deletes every Redis key of this test (what a `FLUSHALL` would do to it, without
    /// touching other tests sharing the Redis).
    pub async fn flush_redis(&self) {
        let pool = redis_pool();
        let mut conn = pool.get().await.unwrap_or_else(|e| panic!("redis: {e}"));
        let keys: Vec<String> = deadpool_redis::redis::cmd("KEYS")
            .arg(format!("{}*", self.redis_prefix))
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<i64, _> = deadpool_redis::redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
        }
    }

    /// Sets a conversation's Redis seq counter, to provoke a collision.
    pub async fn set_seq_counter(&self, conv: &str, value: u64) {
        let mut conn = redis_pool().get().await.unwrap_or_else(|e| panic!("redis: {e}"));
        let _: () = deadpool_redis::redis::cmd("SET")
            .arg(format!("{}seq:{conv}", self.redis_prefix))
            .arg(value)
            .query_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("redis set: {e}"));
    }
}

impl Drop for ClusterResources {
    fn drop(&mut self) {
        let db_name = self.db_name.clone();
        let prefix = self.redis_prefix.clone();
        // Drop may run inside a test's runtime: clean up on a thread with its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                exec_mysql(&format!("DROP DATABASE IF EXISTS `{db_name}`")).await;
                let pool = redis_pool();
                if let Ok(mut conn) = pool.get().await {
                    let keys: Vec<String> = deadpool_redis::redis::cmd("KEYS")
                        .arg(format!("{prefix}*"))
                        .query_async(&mut conn)
                        .await
                        .unwrap_or_default();
                    if !keys.is_empty() {
                        let _: Result<i64, _> =
                            deadpool_redis::redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// A plain pool on the test Redis, for tests that act on Redis from outside the server.
pub fn redis_pool() -> deadpool_redis::Pool {
    deadpool_redis::Config::from_url(redis_url())
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .unwrap_or_else(|e| panic!("redis pool: {e}"))
}

async fn exec_mysql(sql: &str) {
    use sea_orm::ConnectionTrait as _;
    let db = sea_orm::Database::connect(format!("{}/mysql", mysql_base()))
        .await
        .unwrap_or_else(|e| panic!("connecting to MariaDB: {e}"));
    db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = db.close().await;
}

/// Runs one test body against both backends: `both_modes!(a, b)` makes `a::embedded`,
/// `a::cluster`, `b::embedded`, `b::cluster`, each calling `a(backend)` or `b(backend)`.
#[macro_export]
macro_rules! both_modes {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn embedded() {
                    super::$name($crate::Backend::Embedded).await;
                }
                #[tokio::test]
                async fn cluster() {
                    if let Some(backend) = $crate::Backend::cluster(concat!(module_path!())) {
                        super::$name(backend).await;
                    }
                }
            }
        )*
    };
}
