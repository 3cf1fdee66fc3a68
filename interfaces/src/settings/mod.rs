//! Settings, layered: built-in defaults < `tidings.toml` (or `--config`) < `TIDINGS_*` variables.
//! Nested keys use a double underscore: `TIDINGS_LIMITS__MAX_TEXT_CHARS=2000`.
//!
//! One file per section holds its struct, its defaults, its checks and its entries in the
//! catalog that `--help` and docs/operations.md are made from. This file holds the root: the
//! keys outside any section, loading, and the rules that span sections (cluster mode).

mod admin;
mod auth;
mod bots;
pub mod catalog;
mod cluster;
mod db;
mod devices;
mod discovery;
mod drain;
pub mod duration;
mod gateway;
mod groups;
mod hooks;
mod integration;
mod limits;
mod media;
mod pipeline;
mod push;
mod renamed;
mod retention;
mod secret;
mod social;
mod webhooks;
mod ws;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

use renamed::Renamed;

pub use admin::AdminSettings;
pub use auth::AuthSettings;
pub use bots::BotSettings;
pub use catalog::{Key, help_text};
pub use cluster::ClusterSettings;
pub use db::DbSettings;
pub use devices::DeviceSettings;
pub use discovery::DiscoverySettings;
pub use drain::DrainSettings;
pub use gateway::GatewaySettings;
pub use groups::GroupSettings;
pub use hooks::{HookFailure, HookSettings};
pub use integration::IntegrationSettings;
pub use limits::LimitSettings;
pub use media::{MediaSettings, MediaStoreKind};
pub use pipeline::{PipelineSettings, QUEUE_PER_CORE};
pub use push::{PushProviderKind, PushSettings};
pub use retention::RetentionSettings;
pub use secret::Secret;
pub use social::SocialSettings;
pub use webhooks::WebhookSettings;
pub use ws::WsSettings;

/// Everything the server can be told.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where REST and `/ws` listen (one port).
    pub http_addr: String,
    /// Holds the SQLite database and the signing key in embedded mode.
    pub data_dir: PathBuf,
    /// `mysql://…` for a MySQL-compatible server (may carry a password); unset means SQLite in
    /// the data dir.
    pub database_url: Option<Secret>,
    /// Redis for routes, presence and counters (cluster mode; may carry a password).
    pub redis_url: Option<Secret>,
    /// RabbitMQ for pushes between instances (cluster mode; may carry a password).
    pub amqp_url: Option<Secret>,
    /// This instance's id (cluster mode); defaults to a random one.
    pub instance_id: Option<String>,
    /// Log filter, e.g. `info` or `tidings=debug,actix_web=info`.
    pub log: String,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// Base64 token signing key; unset means `{data_dir}/signing.key`, created on first start.
    pub signing_key: Option<Secret>,
    /// HTTP worker threads; unset means one per core.
    pub workers: Option<usize>,
    /// Serve the web app from this directory (a local `npm run build` of `web/`) instead of the
    /// copy built into the binary; for working on the app.
    pub web_dir: Option<PathBuf>,
    /// Token lifetimes and password hashing.
    pub auth: AuthSettings,
    /// Devices per platform.
    pub devices: DeviceSettings,
    /// Input bounds.
    pub limits: LimitSettings,
    /// WebSocket keepalive and per-connection pacing.
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
    /// The before-send hook.
    pub hooks: HookSettings,
    /// AI assistant bots.
    pub bots: BotSettings,
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
    /// The instance registry and `GET /api/v1/discovery`.
    pub discovery: DiscoverySettings,
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
            web_dir: None,
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
            hooks: HookSettings::default(),
            bots: BotSettings::default(),
            gateway: GatewaySettings::default(),
            push: PushSettings::default(),
            retention: RetentionSettings::default(),
            media: MediaSettings::default(),
            drain: DrainSettings::default(),
            discovery: DiscoverySettings::default(),
        }
    }
}

/// The keys outside any section, as `--help` and the docs list them.
pub(crate) const KEYS: &[Key] = &[
    Key::new("http_addr", "REST and /ws listen here (one port)"),
    Key::new("data_dir", "SQLite database and signing key"),
    Key::new("database_url", "mysql://user:pass@host:3306/db (MySQL, MariaDB, TiDB)")
        .default_is("SQLite in the data dir"),
    Key::new("redis_url", "cluster mode: redis://host:6379 (routes, presence, seq counters)"),
    Key::new("amqp_url", "cluster mode: amqp://user:pass@host:5672/%2f (pushes between instances)"),
    Key::new("instance_id", "this instance's id, unique in the cluster").default_is("random"),
    Key::new("log", "log filter, e.g. info,tidings_interfaces=debug"),
    Key::new("log_format", "pretty | json"),
    Key::new("signing_key", "base64 HS256 key (>= 32 bytes), the same on every instance")
        .default_is("generated into the data dir"),
    Key::new("workers", "HTTP worker threads").default_is("one per core"),
    Key::new("web_dir", "serve the web app from this directory (a local build of web/)")
        .default_is("the app built into the binary"),
];

/// `pretty` for people, `json` for log collectors.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// What every environment variable of the settings starts with.
const ENV_PREFIX: &str = "TIDINGS_";

/// Settings could not be read, or make no sense together.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(String);

impl SettingsError {
    /// An error that says what is wrong, naming the key.
    pub fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

impl Settings {
    /// Defaults, then the TOML file (`tidings.toml` in the working dir unless `config` names
    /// one; a named file must exist), then `TIDINGS_*` variables. Old key names are read under
    /// their new ones (`renamed`). The defaults come from each section's `#[serde(default)]`.
    pub fn load(config: Option<&Path>) -> Result<Self, SettingsError> {
        let file = match config {
            Some(path) if !path.exists() => {
                return Err(SettingsError::new(format!("config file {} does not exist", path.display())));
            }
            Some(path) => Toml::file(path),
            None => Toml::file("tidings.toml"),
        };
        let figment = Figment::new()
            .merge(Renamed::file(file))
            .merge(Renamed::env(Env::prefixed(ENV_PREFIX).split("__"), ENV_PREFIX));
        let settings: Settings = figment.extract().map_err(|e| SettingsError::new(e.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    /// The SQLite URL in the data dir, or the configured database (with its password: for the
    /// connection only, never for a log).
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
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

    /// The signing key, if one is configured (else it lives in the data dir).
    pub fn signing_key(&self) -> Option<&str> {
        self.signing_key.as_ref().map(Secret::expose)
    }

    /// Every rule: the cross-section ones here, then each section's own.
    fn check(&self) -> Result<(), SettingsError> {
        self.check_cluster_mode()?;
        self.auth.check()?;
        self.limits.check()?;
        self.ws.check()?;
        self.cluster.check()?;
        self.groups.check()?;
        self.admin.check()?;
        self.integration.check()?;
        self.webhooks.check()?;
        self.hooks.check()?;
        self.bots.check()?;
        self.gateway.check()?;
        self.push.check()?;
        self.retention.check()?;
        self.media.check()?;
        self.drain.check()?;
        self.discovery.check()
    }

    /// Cluster mode needs Redis, RabbitMQ, a shared database and a shared signing key together;
    /// an instance id only makes sense with them.
    fn check_cluster_mode(&self) -> Result<(), SettingsError> {
        let fail = |m: &str| Err(SettingsError::new(m));
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
        Ok(())
    }
}
