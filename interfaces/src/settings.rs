//! Settings, layered: built-in defaults < `tidings.toml` (or `--config`) < `TIDINGS_*` variables.
//! Nested keys use a double underscore: `TIDINGS_LIMITS__MAX_TEXT_CHARS=2000`.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the server can be told.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where REST and `/ws` listen (one port).
    pub http_addr: String,
    /// Holds the SQLite database and the signing key in embedded mode.
    pub data_dir: PathBuf,
    /// `mysql://…` for a MySQL-compatible server; unset means SQLite in the data dir.
    pub database_url: Option<String>,
    /// Redis for routes, presence and counters (cluster mode).
    pub redis_url: Option<String>,
    /// RabbitMQ for pushes between instances (cluster mode).
    pub amqp_url: Option<String>,
    /// This instance's id (cluster mode); defaults to a random one.
    pub instance_id: Option<String>,
    /// Log filter, e.g. `info` or `tidings=debug,actix_web=info`.
    pub log: String,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// Base64 token signing key; unset means `{data_dir}/signing.key`, created on first start.
    pub signing_key: Option<String>,
    /// HTTP worker threads; unset means one per core.
    pub workers: Option<usize>,
    /// Token lifetimes.
    pub auth: AuthSettings,
    /// Devices per platform.
    pub devices: DeviceSettings,
    /// Input bounds.
    pub limits: LimitSettings,
    /// WebSocket keepalive.
    pub ws: WsSettings,
    /// Database pool.
    pub db: DbSettings,
    /// Group commit.
    pub pipeline: PipelineSettings,
    /// Cluster mode (Redis and RabbitMQ).
    pub cluster: ClusterSettings,
    /// Friends and direct messages.
    pub social: SocialSettings,
    /// Groups.
    pub groups: GroupSettings,
    /// The first administrator.
    pub admin: AdminSettings,
    /// The integration API (`/integration/v1`).
    pub integration: IntegrationSettings,
    /// Outgoing webhooks.
    pub webhooks: WebhookSettings,
    /// Who may connect, and how hard: IP lists, auth rate limits, connection caps.
    pub gateway: GatewaySettings,
    /// Offline push notifications.
    pub push: PushSettings,
    /// How long messages are kept.
    pub retention: RetentionSettings,
    /// Media uploads and where their bytes live.
    pub media: MediaSettings,
    /// Graceful shutdown on SIGTERM/SIGINT.
    pub drain: DrainSettings,
}

/// Graceful drain: on SIGTERM/SIGINT the instance stops accepting, tells its clients where to
/// reconnect, acks what it accepted, and exits within `timeout_secs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrainSettings {
    /// The whole drain, signal to exit, takes at most this long (clients that do not close are cut).
    pub timeout_secs: u64,
    /// Where clients should reconnect: one base URL (`https://chat.example.com`, a load balancer)
    /// or several, comma-separated (other instances; each connection is given one of them).
    /// Unset: clients pick their next configured server.
    pub reconnect_hint: Option<String>,
    /// `reconnect` frames ask clients to wait a random 0..this many ms, so they come back spread out.
    pub reconnect_spread_ms: u64,
}

impl Default for DrainSettings {
    fn default() -> Self {
        Self { timeout_secs: 20, reconnect_hint: None, reconnect_spread_ms: 1000 }
    }
}

impl DrainSettings {
    /// The hinted URLs, trimmed, empty entries dropped.
    pub fn hints(&self) -> Vec<String> {
        self.reconnect_hint
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Protection at the door: IP allow/deny lists, proxies trusted for `X-Forwarded-For`, auth rate
/// limits per IP and per account, and connection caps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    /// Addresses or CIDR blocks allowed in; empty lets everyone in (but the deny list).
    pub allow: Vec<String>,
    /// Addresses or CIDR blocks refused (wins over `allow`).
    pub deny: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed; the client is the nearest untrusted hop.
    pub trusted_proxies: Vec<String>,
    /// Register, login and refresh requests one IP may make per second, sustained.
    pub auth_per_sec: f64,
    /// Register, login and refresh requests one IP may make back to back.
    pub auth_burst: u32,
    /// Failed logins an account takes back to back before further attempts are refused.
    pub login_failures: u32,
    /// Seconds after which one failed login is forgiven.
    pub login_failure_secs: u64,
    /// WebSocket connections this instance accepts; 0 = no cap (the OS file limit still holds).
    pub max_connections: u32,
    /// WebSocket connections one user may hold on this instance; 0 = no cap.
    pub max_connections_per_user: u32,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            trusted_proxies: Vec::new(),
            auth_per_sec: 2.0,
            auth_burst: 20,
            login_failures: 5,
            login_failure_secs: 60,
            max_connections: 0,
            max_connections_per_user: 16,
        }
    }
}

/// Offline push: recipients with no connected device get a notice through a provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushSettings {
    /// `none` (off, costs nothing) or `webhook` (signed JSON POST to `url`).
    pub provider: String,
    /// The push gateway's URL (`webhook`).
    pub url: Option<String>,
    /// HMAC-SHA256 key of the `X-Tidings-Signature` header (`webhook`).
    pub secret: Option<String>,
    /// Notices carry the first characters of a text message (off: only ids and kind).
    pub preview: bool,
    /// Committed messages waiting for the push worker; past it, pushes are dropped (never sends).
    pub queue_capacity: usize,
    /// Attempts per batch before it is given up.
    pub max_attempts: u32,
    /// Wait after the first failed attempt (ms); doubled after each further one.
    pub retry_base_ms: u64,
    /// Timeout of one attempt (ms).
    pub timeout_ms: u64,
    /// Provider calls in flight at once per instance.
    pub max_in_flight: usize,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            provider: "none".into(),
            url: None,
            secret: None,
            preview: false,
            queue_capacity: 10_000,
            max_attempts: 3,
            retry_base_ms: 500,
            timeout_ms: 5_000,
            max_in_flight: 8,
        }
    }
}

/// Retention: a background job purges messages older than `max_age_secs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSettings {
    /// Messages older than this many seconds are purged; 0 keeps everything (no job runs).
    pub max_age_secs: u64,
    /// Seconds between purge passes.
    pub interval_secs: u64,
    /// Rows per delete statement.
    pub batch_size: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self { max_age_secs: 0, interval_secs: 3600, batch_size: 1000 }
    }
}

/// Media uploads: per-kind size limits, thumbnails, and the blob store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// `local` (a directory tree, `dir`) or `s3` (an S3-compatible bucket, shared by a cluster).
    pub store: String,
    /// Directory of the local store; unset means `{data_dir}/media`.
    pub dir: Option<PathBuf>,
    /// Largest `image` upload (bytes).
    pub max_image_bytes: u64,
    /// Largest `file` upload (bytes).
    pub max_file_bytes: u64,
    /// Largest `voice` upload (bytes).
    pub max_voice_bytes: u64,
    /// Largest `video` upload (bytes).
    pub max_video_bytes: u64,
    /// Longest side of image thumbnails (pixels).
    pub thumbnail_side: u32,
    /// MiB of decoded images (for thumbnails) that may exist at once, across all uploads; an
    /// upload that waits over 10 s for room is refused `busy`.
    pub decode_budget_mib: u32,
    /// S3: `http(s)://host:port` of an S3-compatible server; unset means AWS.
    pub s3_endpoint: Option<String>,
    /// S3: bucket.
    pub s3_bucket: String,
    /// S3: region.
    pub s3_region: String,
    /// S3: access key id.
    pub s3_access_key_id: String,
    /// S3: secret access key.
    pub s3_secret_access_key: String,
    /// S3: allow a plain-HTTP endpoint.
    pub s3_allow_http: bool,
    /// S3: prefix of every object key.
    pub s3_prefix: String,
    /// A separate origin media are downloaded from (`https://media.example.com`), routed to
    /// these same servers: a media request that arrives on another host is redirected there
    /// (307, same path and query), so uploads never share the API's origin. Unset: media are
    /// served on every host.
    pub origin: Option<String>,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            store: "local".into(),
            dir: None,
            max_image_bytes: 20 * 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            max_voice_bytes: 10 * 1024 * 1024,
            max_video_bytes: 200 * 1024 * 1024,
            thumbnail_side: 256,
            decode_budget_mib: 512,
            s3_endpoint: None,
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_allow_http: false,
            s3_prefix: String::new(),
            origin: None,
        }
    }
}

/// Friends and direct messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialSettings {
    /// Who may message a user who has not chosen: `anyone` or `friends`.
    pub default_dm_policy: String,
}

/// Groups.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupSettings {
    /// Most members a group may have.
    pub max_members: u32,
    /// Longest mute an owner or admin may set, in seconds.
    pub max_mute_secs: u64,
}

impl Default for SocialSettings {
    fn default() -> Self {
        Self { default_dm_policy: "anyone".into() }
    }
}

impl Default for GroupSettings {
    fn default() -> Self {
        Self { max_members: 500, max_mute_secs: 30 * 24 * 3600 }
    }
}

/// The first administrator: created at start-up if the username does not exist yet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// Username of the admin to create (with `initial_password`).
    pub initial_username: Option<String>,
    /// Their password (8–128 characters).
    pub initial_password: Option<String>,
}

/// The integration API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrationSettings {
    /// Requests one API key may make per second, sustained (across instances in a cluster).
    pub requests_per_sec: f64,
    /// Requests one API key may make back to back.
    pub burst: u32,
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self { requests_per_sec: 20.0, burst: 100 }
    }
}

/// Outgoing webhooks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// Wait after the first failed attempt (ms); doubled after each further one.
    pub retry_base_ms: u64,
    /// Longest wait between two attempts (ms).
    pub retry_cap_ms: u64,
    /// Timeout of one attempt (ms).
    pub timeout_ms: u64,
    /// Events waiting for the dispatcher in memory; past it they are written to storage directly.
    pub queue_capacity: usize,
    /// Attempts in flight at once per instance.
    pub max_in_flight: usize,
    /// Days a finished delivery stays in the log.
    pub retention_days: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            retry_base_ms: 1000,
            retry_cap_ms: 300_000,
            timeout_ms: 10_000,
            queue_capacity: 10_000,
            max_in_flight: 64,
            retention_days: 7,
        }
    }
}

/// Cluster mode: several instances sharing a MySQL-compatible database, Redis and RabbitMQ.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    /// Prefix of every Redis key, so deployments can share a Redis.
    pub redis_prefix: String,
    /// Prefix of the RabbitMQ exchange and queue names (empty: `tidings.push`, `tidings.instance.{id}`).
    pub amqp_prefix: String,
    /// Seconds a device route lives in Redis without a refresh (refreshed every third of it).
    pub route_ttl_secs: u64,
    /// Redis connections per instance (each multiplexed: many requests in flight at once;
    /// at most 8 are used).
    pub redis_pool_size: usize,
    /// Pushes the broker may hand this instance before it acknowledges them.
    pub amqp_prefetch: u16,
    /// Seconds to wait for Redis and RabbitMQ at start before giving up.
    pub connect_timeout_secs: u64,
    /// Milliseconds a message push that arrived ahead of a gap in its conversation's seqs waits
    /// for the missing ones before it goes out anyway (pushes committed on different instances
    /// can cross on the way); 0 pushes everything as it arrives.
    pub push_order_wait_ms: u64,
    /// Milliseconds any one call to Redis or a push publish to RabbitMQ may take on the message
    /// path; a Redis call that misses it makes the next second's calls fail at once (sends are
    /// answered `busy`, pushes go to this instance's devices only).
    pub dependency_timeout_ms: u64,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        Self {
            redis_prefix: "tidings:".into(),
            amqp_prefix: String::new(),
            route_ttl_secs: 60,
            redis_pool_size: 4,
            amqp_prefetch: 256,
            connect_timeout_secs: 10,
            push_order_wait_ms: 1000,
            dependency_timeout_ms: 250,
        }
    }
}

/// `pretty` for people, `json` for log collectors.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Token lifetimes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Access-token lifetime (seconds).
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime (seconds).
    pub refresh_ttl_secs: u64,
    /// Argon2id memory for new password hashes (KiB).
    pub argon2_memory_kib: u32,
    /// Argon2id passes for new password hashes.
    pub argon2_iterations: u32,
}

/// Input bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Most characters in a text message.
    pub max_text_chars: usize,
    /// Most bytes of a message body's JSON.
    pub max_body_bytes: usize,
    /// Most user ids in a text's `mentions`.
    pub max_mentions: usize,
    /// Most characters of a file name in a `file` message.
    pub max_file_name_chars: usize,
    /// Largest file size a `file` message may declare (bytes).
    pub max_file_bytes: u64,
    /// Largest width or height of an `image` or `video` (pixels).
    pub max_media_side: u32,
    /// Longest `voice` clip (ms).
    pub max_voice_ms: u64,
    /// Longest `video` (ms).
    pub max_video_ms: u64,
    /// How long after sending the sender may recall a message (ms); group owners and admins
    /// recall at any time.
    pub recall_window_ms: u64,
    /// Largest group (members) whose per-message read lists are served.
    pub receipts_max_members: usize,
    /// Most bytes of one WebSocket frame; bigger frames close the socket with 1009.
    pub max_frame_bytes: usize,
    /// Most bytes of a REST request body.
    pub max_http_body_bytes: usize,
    /// Frames queued for one connection before it counts as a slow consumer and is closed.
    pub outbound_queue: usize,
    /// Sends one connection may have awaiting their ack; past this the server stops reading it.
    pub max_inflight_sends: usize,
    /// Page size when a request names none.
    pub default_page: u32,
    /// Largest page a request may ask for.
    pub max_page: u32,
    /// Largest conversation-list page.
    pub max_conversations: u32,
    /// Messages a user may send per second, sustained, over all their devices and instances.
    pub send_per_sec: f64,
    /// Messages a user may send back to back before the sustained rate applies.
    pub send_burst: u32,
}

/// WebSocket keepalive.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsSettings {
    /// Seconds between protocol pings from the server.
    pub heartbeat_secs: u64,
    /// A connection silent (no frame, no pong) this long is closed.
    pub idle_timeout_secs: u64,
    /// Least time between two `typing` frames of one connection; faster ones get `rate_limited`.
    pub typing_interval_ms: u64,
    /// Least time between two `presence_sub` frames of one connection; faster ones get `rate_limited`.
    pub presence_sub_interval_ms: u64,
    /// Most users one connection may watch with `presence_sub`.
    pub max_presence_subs: usize,
    /// Sends each WebSocket write at once (`TCP_NODELAY`) instead of letting the kernel hold a
    /// small write back until the previous one is acknowledged.
    pub nodelay: bool,
}

/// Multi-device policy: most devices logged in at once per platform (0: no limit). A login
/// beyond the limit logs the platform's oldest device out (`kicked`, close 4001).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceSettings {
    /// `android` devices.
    pub android: u32,
    /// `ios` devices.
    pub ios: u32,
    /// `desktop` devices.
    pub desktop: u32,
    /// `web` devices (browser tabs log in as devices of their own).
    pub web: u32,
    /// `other` devices.
    pub other: u32,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        let d = tidings_app::DeviceLimits::default();
        Self { android: d.android, ios: d.ios, desktop: d.desktop, web: d.web, other: d.other }
    }
}

impl DeviceSettings {
    /// The limits as the account service takes them.
    pub fn limits(&self) -> tidings_app::DeviceLimits {
        tidings_app::DeviceLimits {
            android: self.android,
            ios: self.ios,
            desktop: self.desktop,
            web: self.web,
            other: self.other,
        }
    }
}

/// Database pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbSettings {
    /// Most pooled connections.
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection.
    pub acquire_timeout_secs: u64,
    /// SQLite only: `true` (the default) syncs the log on every commit, so an acked message
    /// survives a power loss; `false` syncs only at checkpoints, so an acked message survives a
    /// crash of the process but the last moments may be lost with the machine.
    pub sqlite_sync_every_commit: bool,
}

/// Group commit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSettings {
    /// Writer tasks per instance; unset means 1 (the largest batches; see docs/benchmarks.md).
    pub shards: Option<usize>,
    /// Sends waiting per writer before new ones fail fast with `busy`; unset means
    /// [`QUEUE_PER_CORE`] per core (the machine's rate of commits grows with its cores, and the
    /// queue holds about a second of them).
    pub queue_capacity: Option<usize>,
    /// Most messages a writer takes off its queue at once; a commit takes up to four such
    /// batches that waited for it together.
    pub max_batch: usize,
}

/// Sends that may wait per core when `pipeline.queue_capacity` is unset.
pub const QUEUE_PER_CORE: usize = 32_768;

impl PipelineSettings {
    /// The queue bound in force: the setting, or [`QUEUE_PER_CORE`] per core.
    pub fn queue_capacity(&self) -> usize {
        self.queue_capacity.unwrap_or_else(|| QUEUE_PER_CORE * crate::startup::cores())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http_addr: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            redis_url: None,
            amqp_url: None,
            instance_id: None,
            log: "info".into(),
            log_format: LogFormat::Pretty,
            signing_key: None,
            workers: None,
            auth: AuthSettings::default(),
            devices: DeviceSettings::default(),
            limits: LimitSettings::default(),
            ws: WsSettings::default(),
            db: DbSettings::default(),
            pipeline: PipelineSettings::default(),
            cluster: ClusterSettings::default(),
            social: SocialSettings::default(),
            groups: GroupSettings::default(),
            admin: AdminSettings::default(),
            integration: IntegrationSettings::default(),
            webhooks: WebhookSettings::default(),
            gateway: GatewaySettings::default(),
            push: PushSettings::default(),
            retention: RetentionSettings::default(),
            media: MediaSettings::default(),
            drain: DrainSettings::default(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_text_chars: 4000,
            max_body_bytes: 16 * 1024,
            max_mentions: 50,
            max_file_name_chars: 255,
            max_file_bytes: 2 * 1024 * 1024 * 1024,
            max_media_side: 16_384,
            max_voice_ms: 5 * 60 * 1000,
            max_video_ms: 60 * 60 * 1000,
            recall_window_ms: 2 * 60 * 1000,
            receipts_max_members: 200,
            max_frame_bytes: 64 * 1024,
            max_http_body_bytes: 64 * 1024,
            outbound_queue: 1024,
            max_inflight_sends: 256,
            default_page: 50,
            max_page: 200,
            max_conversations: 200,
            send_per_sec: 3.0,
            send_burst: 30,
        }
    }
}

impl Default for WsSettings {
    fn default() -> Self {
        Self {
            heartbeat_secs: 20,
            idle_timeout_secs: 60,
            typing_interval_ms: 1000,
            presence_sub_interval_ms: 1000,
            max_presence_subs: 500,
            nodelay: true,
        }
    }
}

impl Default for DbSettings {
    fn default() -> Self {
        Self { max_connections: 8, acquire_timeout_secs: 5, sqlite_sync_every_commit: true }
    }
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self { shards: None, queue_capacity: None, max_batch: 4096 }
    }
}

/// Settings could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Defaults, then the TOML file (`tidings.toml` in the working dir unless `config` names
    /// one; a named file must exist), then `TIDINGS_*` variables.
    pub fn load(config: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config {
            Some(path) if !path.exists() => {
                return Err(SettingsError(format!("config file {} does not exist", path.display())));
            }
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("tidings.toml")),
        }
        figment = figment.merge(Env::prefixed("TIDINGS_").split("__"));
        let settings: Settings = figment.extract().map_err(|e| SettingsError(e.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    /// The SQLite URL in the data dir, or the configured database.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("tidings.db").display()),
        }
    }

    /// Whether storage is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.effective_database_url().starts_with("sqlite:")
    }

    /// Whether this instance is part of a cluster (Redis and RabbitMQ configured).
    pub fn is_cluster(&self) -> bool {
        self.redis_url.is_some() && self.amqp_url.is_some()
    }

    fn check(&self) -> Result<(), SettingsError> {
        let fail = |m: &str| Err(SettingsError(m.to_owned()));
        match (&self.redis_url, &self.amqp_url) {
            (Some(_), None) | (None, Some(_)) => {
                return fail(
                    "cluster mode needs both TIDINGS_REDIS_URL and TIDINGS_AMQP_URL \
                     (routes and counters live in Redis, pushes between instances go through RabbitMQ)",
                );
            }
            (Some(_), Some(_)) if self.is_sqlite() => {
                return fail(
                    "cluster mode needs a shared MySQL-compatible database (TIDINGS_DATABASE_URL=mysql://…): \
                     SQLite lives in one instance's data dir",
                );
            }
            (Some(_), Some(_)) if self.signing_key.is_none() => {
                return fail(
                    "cluster mode needs TIDINGS_SIGNING_KEY (base64, >= 32 bytes) shared by every instance, \
                     or tokens issued by one instance are refused by the others",
                );
            }
            (None, None) if self.instance_id.is_some() => {
                return fail(
                    "TIDINGS_INSTANCE_ID names a member of a cluster, and several instances need \
                     TIDINGS_REDIS_URL and TIDINGS_AMQP_URL; unset it to run a single instance",
                );
            }
            _ => {}
        }
        if let Some(id) = &self.instance_id {
            let ok = !id.is_empty()
                && id.len() <= 64
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return fail("TIDINGS_INSTANCE_ID must be 1-64 of A-Z a-z 0-9 - _");
            }
        }
        if self.cluster.route_ttl_secs < 3 || self.cluster.redis_pool_size == 0 || self.cluster.amqp_prefetch == 0 {
            return fail("cluster.route_ttl_secs must be >= 3, cluster.redis_pool_size and cluster.amqp_prefetch > 0");
        }
        if !(1..=60_000).contains(&self.cluster.dependency_timeout_ms) {
            return fail("cluster.dependency_timeout_ms must be 1..=60000");
        }
        let l = &self.limits;
        if l.max_frame_bytes < 1024 || l.max_http_body_bytes < 1024 {
            return Err(SettingsError(
                "limits.max_frame_bytes and limits.max_http_body_bytes must be at least 1024".into(),
            ));
        }
        if l.outbound_queue == 0
            || l.max_inflight_sends == 0
            || l.default_page == 0
            || l.max_page == 0
            || l.max_conversations == 0
            || l.max_file_name_chars == 0
            || l.max_media_side == 0
            || l.max_voice_ms == 0
            || l.max_video_ms == 0
        {
            return Err(SettingsError("limits must be positive".into()));
        }
        if self.ws.heartbeat_secs == 0 || self.ws.idle_timeout_secs <= self.ws.heartbeat_secs {
            return Err(SettingsError("ws.idle_timeout_secs must exceed ws.heartbeat_secs > 0".into()));
        }
        if self.dm_policy().is_none() {
            return Err(SettingsError("social.default_dm_policy must be `anyone` or `friends`".into()));
        }
        if let Err(e) = crate::gateway::IpPolicy::from_settings(&self.gateway) {
            return Err(SettingsError(e.to_string()));
        }
        let g = &self.gateway;
        if g.auth_per_sec.is_nan()
            || g.auth_per_sec <= 0.0
            || g.auth_burst == 0
            || g.login_failures == 0
            || g.login_failure_secs == 0
        {
            return Err(SettingsError(
                "gateway.auth_per_sec, auth_burst, login_failures and login_failure_secs must be positive".into(),
            ));
        }
        let m = &self.media;
        if !matches!(m.store.as_str(), "local" | "s3") {
            return Err(SettingsError("media.store must be `local` or `s3`".into()));
        }
        if m.store == "s3" && m.s3_bucket.is_empty() {
            return Err(SettingsError("media.store = \"s3\" needs media.s3_bucket".into()));
        }
        if m.max_image_bytes == 0 || m.max_file_bytes == 0 || m.max_voice_bytes == 0 || m.max_video_bytes == 0 {
            return Err(SettingsError("media.max_*_bytes must be positive".into()));
        }
        let d = &self.drain;
        if d.timeout_secs == 0 {
            return Err(SettingsError("drain.timeout_secs must be positive".into()));
        }
        if let Some(bad) = d.hints().into_iter().find(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
            return Err(SettingsError(format!("drain.reconnect_hint: `{bad}` is not an http(s):// URL")));
        }
        if !(16..=4096).contains(&m.thumbnail_side) {
            return Err(SettingsError("media.thumbnail_side must be 16..=4096".into()));
        }
        if let Some(origin) = &m.origin {
            let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            if !host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '?', '#', ' '])) {
                return Err(SettingsError(format!(
                    "media.origin: `{origin}` must be http(s)://host[:port], with no path"
                )));
            }
        }
        if m.decode_budget_mib == 0 {
            return Err(SettingsError("media.decode_budget_mib must be at least 1".into()));
        }
        if self.groups.max_members < 2 {
            return Err(SettingsError("groups.max_members must be at least 2".into()));
        }
        self.check_admin()
    }

    fn check_admin(&self) -> Result<(), SettingsError> {
        let fail = |m: &str| Err(SettingsError(m.to_owned()));
        match (&self.admin.initial_username, &self.admin.initial_password) {
            (None, None) => {}
            (Some(name), Some(password)) => {
                let name_ok = (3..=32).contains(&name.len()) && tidings_protocol::rest::rules::username_chars_ok(name);
                if !name_ok {
                    return fail(
                        "admin.initial_username must be 3-32 of a-z 0-9 _ . -, starting with a letter or digit",
                    );
                }
                if !(8..=128).contains(&password.chars().count()) {
                    return fail("admin.initial_password must be 8-128 characters");
                }
            }
            _ => return fail("admin.initial_username and admin.initial_password go together: give both or neither"),
        }
        let rate_ok = self.integration.requests_per_sec.is_finite() && self.integration.requests_per_sec > 0.0;
        if !rate_ok || self.integration.burst == 0 {
            return fail("integration.requests_per_sec and integration.burst must be positive");
        }
        let w = &self.webhooks;
        if w.max_attempts == 0
            || w.retry_base_ms == 0
            || w.retry_cap_ms < w.retry_base_ms
            || w.timeout_ms == 0
            || w.queue_capacity == 0
            || w.max_in_flight == 0
        {
            return fail(
                "webhooks.max_attempts, retry_base_ms, timeout_ms, queue_capacity and max_in_flight must be \
                 positive, and webhooks.retry_cap_ms at least retry_base_ms",
            );
        }
        self.check_push()
    }

    fn check_push(&self) -> Result<(), SettingsError> {
        let fail = |m: &str| Err(SettingsError(m.to_owned()));
        let p = &self.push;
        match p.provider.as_str() {
            "none" => {}
            "webhook" => {
                let url_ok = p.url.as_deref().is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"));
                if !url_ok {
                    return fail("push.provider = webhook needs push.url (http:// or https://)");
                }
                if p.secret.as_deref().is_none_or(str::is_empty) {
                    return fail("push.provider = webhook needs push.secret (the HMAC key receivers verify)");
                }
            }
            _ => return fail("push.provider must be `none` or `webhook`"),
        }
        if p.queue_capacity == 0 || p.max_attempts == 0 || p.timeout_ms == 0 || p.max_in_flight == 0 {
            return fail("push.queue_capacity, max_attempts, timeout_ms and max_in_flight must be positive");
        }
        let r = &self.retention;
        if r.max_age_secs > 0 && (r.interval_secs == 0 || r.batch_size == 0) {
            return fail("retention.interval_secs and retention.batch_size must be positive");
        }
        Ok(())
    }

    /// The server-wide default direct-message policy, if the setting names one.
    pub fn dm_policy(&self) -> Option<tidings_domain::social::DmPolicy> {
        tidings_domain::social::DmPolicy::parse(&self.social.default_dm_policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Settings)) -> Result<(), SettingsError> {
        let mut s = Settings::default();
        f(&mut s);
        s.check()
    }

    const MYSQL: &str = "mysql://root@127.0.0.1/x";

    #[test]
    fn mixes_that_make_sense_are_accepted() {
        assert!(with(|_| {}).is_ok(), "embedded");
        assert!(with(|s| s.database_url = Some(MYSQL.into())).is_ok(), "MySQL with in-process routing");
        assert!(
            with(|s| {
                s.database_url = Some(MYSQL.into());
                s.redis_url = Some("redis://r".into());
                s.amqp_url = Some("amqp://a".into());
                s.signing_key = Some("k".into());
                s.instance_id = Some("node-1".into());
            })
            .is_ok(),
            "full cluster"
        );
    }

    #[test]
    fn drain_settings_are_checked() {
        assert!(with(|s| s.drain.reconnect_hint = Some("https://a:1, http://b:2".into())).is_ok());
        let hints = DrainSettings { reconnect_hint: Some(" https://a:1 ,, http://b:2 ".into()), ..Default::default() };
        assert_eq!(hints.hints(), vec!["https://a:1".to_owned(), "http://b:2".to_owned()]);
        let err = with(|s| s.drain.timeout_secs = 0).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("drain.timeout_secs"), "{err}");
        let err = with(|s| s.drain.reconnect_hint = Some("ws://a:1".into())).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("ws://a:1"));
    }

    #[test]
    fn mixes_that_cannot_work_are_refused_with_a_reason() {
        let reason = |f: fn(&mut Settings)| with(f).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(reason(|s| s.redis_url = Some("redis://r".into())).contains("needs both"));
        assert!(reason(|s| s.amqp_url = Some("amqp://a".into())).contains("needs both"));
        assert!(
            reason(|s| {
                s.redis_url = Some("redis://r".into());
                s.amqp_url = Some("amqp://a".into());
                s.signing_key = Some("k".into());
            })
            .contains("shared MySQL-compatible database")
        );
        assert!(
            reason(|s| {
                s.database_url = Some(MYSQL.into());
                s.redis_url = Some("redis://r".into());
                s.amqp_url = Some("amqp://a".into());
            })
            .contains("TIDINGS_SIGNING_KEY")
        );
        assert!(reason(|s| s.instance_id = Some("n1".into())).contains("several instances need"));
        assert!(
            reason(|s| {
                s.database_url = Some(MYSQL.into());
                s.redis_url = Some("redis://r".into());
                s.amqp_url = Some("amqp://a".into());
                s.signing_key = Some("k".into());
                s.instance_id = Some("bad id!".into());
            })
            .contains("TIDINGS_INSTANCE_ID")
        );
        assert!(reason(|s| s.ws.idle_timeout_secs = s.ws.heartbeat_secs).contains("idle_timeout"));
        assert!(reason(|s| s.admin.initial_username = Some("root".into())).contains("give both or neither"));
        assert!(reason(|s| s.admin.initial_password = Some("long-enough".into())).contains("give both or neither"));
        assert!(
            reason(|s| {
                s.admin.initial_username = Some("Root!".into());
                s.admin.initial_password = Some("long-enough".into());
            })
            .contains("initial_username")
        );
        assert!(
            reason(|s| {
                s.admin.initial_username = Some("root".into());
                s.admin.initial_password = Some("short".into());
            })
            .contains("initial_password")
        );
        assert!(reason(|s| s.webhooks.retry_cap_ms = 1).contains("retry_cap_ms"));
        assert!(reason(|s| s.push.provider = "fcm".into()).contains("push.provider"));
        assert!(reason(|s| s.push.provider = "webhook".into()).contains("push.url"));
        assert!(
            reason(|s| {
                s.push.provider = "webhook".into();
                s.push.url = Some("http://127.0.0.1:9/push".into());
            })
            .contains("push.secret")
        );
        assert!(
            reason(|s| {
                s.retention.max_age_secs = 60;
                s.retention.interval_secs = 0;
            })
            .contains("retention.interval_secs")
        );
        assert!(reason(|s| s.media.store = "ftp".into()).contains("media.store"));
        assert!(reason(|s| s.media.store = "s3".into()).contains("s3_bucket"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn environment_overrides_with_nested_keys() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TIDINGS_HTTP_ADDR", "127.0.0.1:9999");
            jail.set_env("TIDINGS_LIMITS__MAX_TEXT_CHARS", "77");
            jail.create_file("tidings.toml", "log = \"debug\"\n[ws]\nheartbeat_secs = 5\n")?;
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!((s.http_addr.as_str(), s.limits.max_text_chars), ("127.0.0.1:9999", 77));
            assert_eq!((s.log.as_str(), s.ws.heartbeat_secs), ("debug", 5));
            jail.set_env("TIDINGS_GATEWAY__DENY", "[\"10.0.0.0/8\", \"192.0.2.1\"]");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.gateway.deny, vec!["10.0.0.0/8".to_owned(), "192.0.2.1".to_owned()]);
            jail.set_env("TIDINGS_GATEWAY__DENY", "[\"10.0.0.0/40\"]");
            assert!(Settings::load(None).is_err(), "a bad CIDR block fails at start");
            jail.set_env("TIDINGS_GATEWAY__DENY", "[]");
            jail.set_env("TIDINGS_NOT_A_SETTING", "1");
            assert!(Settings::load(None).is_err(), "unknown keys fail loudly");
            Ok(())
        });
    }
}
