//! What every handler shares.

use std::sync::Arc;

use tidings_app::{
    AccountService, AdminService, GroupService, IntegrationService, MessagingService, SocialService, WebhookService,
};

use crate::settings::{DrainSettings, GatewaySettings, IntegrationSettings, LimitSettings, WsSettings};
use crate::ws::hub::Hub;

/// The settings handlers and connections read, section by section: never the whole `Settings`
/// (its secrets, URLs and storage choices are the composition root's business).
#[derive(Debug, Clone)]
pub struct HandlerConfig {
    /// Bodies, frames, pages, send rate.
    pub limits: LimitSettings,
    /// WebSocket keepalive, typing and presence subscriptions.
    pub ws: WsSettings,
    /// What `reconnect` frames say during a drain.
    pub drain: DrainSettings,
    /// Auth and failed-login budgets.
    pub gateway: GatewaySettings,
    /// Per-API-key request budgets.
    pub integration: IntegrationSettings,
    /// The longest mute an owner or admin may set (`groups.max_mute`).
    pub max_mute: std::time::Duration,
    /// The public origin of media URLs (`media.origin`), when set.
    pub media_origin: Option<String>,
    /// Discovery's answer lifetime and per-address budget.
    pub discovery: crate::settings::DiscoverySettings,
}

/// The cluster's push-order stage, as `/metrics` reads it: pushes held for a seq gap, released
/// by the wait, and late.
pub trait PushOrderMetrics: Send + Sync {
    /// `[held, released_by_wait, late]` so far.
    fn observed(&self) -> [u64; 3];
}

/// Services and the handlers' settings, cloned into each worker.
#[derive(Clone)]
pub struct AppState {
    /// Set once SIGTERM/SIGINT started a graceful drain.
    pub drain: Arc<crate::drain::Drain>,
    /// Accounts and sessions.
    pub accounts: Arc<AccountService>,
    /// Messaging.
    pub messaging: Arc<MessagingService>,
    /// Full-text search over what a user may read.
    pub search: Arc<tidings_app::SearchService>,
    /// Friends, blocks and direct-message policies.
    pub social: Arc<SocialService>,
    /// Groups.
    pub groups: Arc<GroupService>,
    /// Local WebSocket connections.
    pub hub: Arc<Hub>,
    /// The settings sections handlers read.
    pub config: Arc<HandlerConfig>,
    /// Checks that storage answers, for `/readyz`.
    pub readiness: Arc<dyn Readiness>,
    /// Device routes shared with other instances (cluster mode only; embedded mode routes
    /// through the hub alone).
    pub routes: Option<Arc<dyn tidings_domain::ports::RouteRegistry>>,
    /// Cluster mode: the stage that puts each conversation's pushes in seq order before the
    /// hub (for its counts in `/metrics`).
    pub push_order: Option<Arc<dyn PushOrderMetrics>>,
    /// Rate limits (in process, or in Redis across the cluster).
    pub limiter: Arc<dyn tidings_domain::ports::RateLimiter>,
    /// Who is online (the hub in embedded mode, Redis in cluster mode).
    pub presence: Arc<dyn tidings_domain::ports::PresenceReader>,
    /// Per-user change counters, carried by `pong` frames (in process, or in Redis).
    pub changes: Arc<dyn tidings_domain::ports::ChangeCounter>,
    /// Presence pushes to subscribers (first device on, last device off).
    pub presence_events: Arc<tidings_app::PresenceService>,
    /// Administration and API keys.
    pub admin: Arc<AdminService>,
    /// The integration API.
    pub integration: Arc<IntegrationService>,
    /// Webhooks and their dispatcher.
    pub webhooks: WebhookService,
    /// The offline-push dispatcher, when `push.provider` names one.
    pub offline_push: Option<tidings_app::PushService>,
    /// The native platform senders (APNs, FCM), for their counters in `/metrics`.
    pub native_push: Vec<Arc<dyn tidings_domain::device_push::DevicePushSender>>,
    /// Push tokens, notification settings and the badge count.
    pub push_settings: tidings_app::PushSettingsService,
    /// The thread offline push runs on (kept as long as the state).
    pub push_runtime: Option<Arc<crate::compose::PushRuntime>>,
    /// This instance's Prometheus metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The word lists and the review list of flagged content.
    pub filters: Arc<tidings_app::WordFilters>,
    /// AI assistant bots (`/admin/v1/bots`).
    pub bots: Arc<tidings_app::BotAdmin>,
    /// Media uploads and downloads.
    pub media: Arc<tidings_app::MediaService>,
    /// Where uploads are staged while they stream in (`tmp` in the local media dir).
    pub media_staging: std::path::PathBuf,
    /// The instance registry and the discovery answers.
    pub discovery: Arc<tidings_app::DiscoveryService>,
}

/// A dependency check for `/readyz`.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync {
    /// `Err` names what is not ready.
    async fn check(&self) -> Result<(), String>;
}

impl AppState {
    /// Checks the per-user send rate; `Err` is the error every send path answers with.
    pub async fn check_send_rate(&self, user: &tidings_domain::UserId) -> Result<(), crate::error::ApiError> {
        let l = &self.config.limits;
        let rate = tidings_domain::ports::Rate { per_sec: l.send_per_sec, burst: l.send_burst };
        self.limiter.check(&format!("send:{user}"), rate).await.map_err(crate::error::ApiError::rate_limited)
    }

    /// Checks the user's search budget (`limits.search_*`), shared by their devices.
    pub async fn check_search_rate(&self, user: &tidings_domain::UserId) -> Result<(), crate::error::ApiError> {
        let l = &self.config.limits;
        let rate = tidings_domain::ports::Rate { per_sec: l.search_per_sec, burst: l.search_burst };
        self.limiter.check(&format!("search:{user}"), rate).await.map_err(crate::error::ApiError::rate_limited)
    }

    /// Checks one client address's budget on register, login and refresh (`gateway.auth_*`).
    /// IPv6 clients are counted per /64, the block one subscriber usually holds.
    pub async fn check_auth_rate(&self, ip: crate::gateway::ClientIp) -> Result<(), crate::error::ApiError> {
        let g = &self.config.gateway;
        let rate = tidings_domain::ports::Rate { per_sec: g.auth_per_sec, burst: g.auth_burst };
        self.check_ip_rate("auth-ip", ip, rate).await
    }

    /// Checks one client address's discovery budget (`discovery.per_ip_*`).
    pub async fn check_discovery_rate(&self, ip: crate::gateway::ClientIp) -> Result<(), crate::error::ApiError> {
        let d = &self.config.discovery;
        let rate = tidings_domain::ports::Rate { per_sec: d.per_ip_per_sec, burst: d.per_ip_burst };
        self.check_ip_rate("discovery-ip", ip, rate).await
    }

    /// One address's budget under `what`; IPv6 clients are counted per /64.
    async fn check_ip_rate(
        &self,
        what: &str,
        ip: crate::gateway::ClientIp,
        rate: tidings_domain::ports::Rate,
    ) -> Result<(), crate::error::ApiError> {
        let key = match ip.0 {
            std::net::IpAddr::V4(v4) => format!("{what}:{v4}"),
            std::net::IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{what}:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        };
        self.limiter.check(&key, rate).await.map_err(crate::error::ApiError::rate_limited)
    }

    /// Runs `attempt`, something that checks `username`'s password (a login, a password
    /// change), under the account's failed-login budget (`gateway.login_failures`, one forgiven
    /// every `gateway.login_failure_ttl`): refused while the budget is spent, a wrong
    /// password spends one, and the right one gives the whole budget back.
    pub async fn password_attempt<T>(
        &self,
        username: &str,
        attempt: impl std::future::Future<Output = Result<T, tidings_app::AppError>>,
    ) -> Result<T, crate::error::ApiError> {
        let key = format!("login-fail:{username}");
        let rate = self.login_failure_rate();
        self.limiter.peek(&key, rate).await.map_err(crate::error::ApiError::rate_limited)?;
        let outcome = attempt.await;
        match &outcome {
            Err(tidings_app::AppError::InvalidCredentials) => {
                if self.limiter.check(&key, rate).await.is_err() {
                    tracing::warn!(username, "failed-login budget spent; further logins refused for a while");
                }
            }
            // The right password forgives the failures before it.
            Ok(_) => self.limiter.forget(&key).await,
            Err(_) => {}
        }
        Ok(outcome?)
    }

    fn login_failure_rate(&self) -> tidings_domain::ports::Rate {
        let g = &self.config.gateway;
        tidings_domain::ports::Rate { per_sec: 1.0 / g.login_failure_ttl.as_secs_f64(), burst: g.login_failures }
    }

    /// Checks one API key's request rate (`integration.*` settings).
    pub async fn check_api_key_rate(&self, key_id: &str) -> Result<(), crate::error::ApiError> {
        let i = &self.config.integration;
        let rate = tidings_domain::ports::Rate { per_sec: i.requests_per_sec, burst: i.burst };
        self.limiter.check(&format!("apikey:{key_id}"), rate).await.map_err(crate::error::ApiError::rate_limited)
    }
}
