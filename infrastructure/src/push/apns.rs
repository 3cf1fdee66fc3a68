//! The APNs [`DevicePushSender`]: Apple's HTTP/2 provider API with token (JWT) authentication.
//!
//! One `POST /3/device/{token}` per push over a single multiplexed HTTP/2 connection (APNs
//! speaks nothing else), at most `max_in_flight` at once. 410, `BadDeviceToken`,
//! `DeviceTokenNotForTopic` and `Unregistered` mean the token is dead; 429, a 5xx or a network
//! error is retried with doubling waits (or the answer's `Retry-After`); an expired or invalid
//! provider token is signed anew and the push tried again once.

mod answer;
mod jwt;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use tidings_domain::device_push::{DeviceOutcome, DevicePush, DevicePushSender, DeviceSendStats, PushPlatform};
use tokio::sync::Semaphore;

use crate::push::PushSetupError;
use crate::push::retry::{Verdict, in_order, network_verdict, settle};

/// Apple's production endpoint.
pub const APNS_PRODUCTION_URL: &str = "https://api.push.apple.com";
/// Apple's development (sandbox) endpoint, for builds signed with a development profile.
pub const APNS_SANDBOX_URL: &str = "https://api.sandbox.push.apple.com";

/// How long APNs keeps a push for a device that is offline.
const EXPIRATION: Duration = Duration::from_secs(24 * 3600);

/// Where and as whom the APNs sender pushes.
#[derive(Clone)]
pub struct ApnsConfig {
    /// APNs base URL ([`APNS_PRODUCTION_URL`] or [`APNS_SANDBOX_URL`]; a fake one in tests).
    pub url: String,
    /// Contents of the `.p8` signing key (PKCS#8 PEM, P-256).
    pub key_pem: String,
    /// The key's id (10 characters, from the developer account).
    pub key_id: String,
    /// The team id the key belongs to (the token's issuer).
    pub team_id: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// A CA to trust besides the system's (the fake APNs of the tests).
    pub extra_root_ca_pem: Option<String>,
    /// Timeout of one request, connection included.
    pub timeout: Duration,
    /// Attempts per push on network errors, 5xx and throttling (at least 1).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub retry_base: Duration,
    /// Requests in flight at once, over all batches (streams on the HTTP/2 connection).
    pub max_in_flight: usize,
}

impl ApnsConfig {
    /// Production endpoint and default limits for this key, team and app.
    pub fn new(key_pem: String, key_id: String, team_id: String, topic: String) -> Self {
        Self {
            url: APNS_PRODUCTION_URL.to_owned(),
            key_pem,
            key_id,
            team_id,
            topic,
            extra_root_ca_pem: None,
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            retry_base: Duration::from_millis(500),
            max_in_flight: 1000,
        }
    }
}

/// The key stays out of logs.
impl fmt::Debug for ApnsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApnsConfig")
            .field("url", &self.url)
            .field("key_pem", &"<redacted>")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("topic", &self.topic)
            .field("extra_root_ca_pem", &self.extra_root_ca_pem.is_some())
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base", &self.retry_base)
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}

/// Sends device pushes to APNs.
pub struct ApnsSender {
    client: reqwest::Client,
    base_url: String,
    topic: String,
    token: jwt::ProviderToken,
    in_flight: Semaphore,
    max_attempts: u32,
    retry_base: Duration,
    stats: DeviceSendStats,
}

impl ApnsSender {
    /// A sender for `config`; fails on a key that does not sign or an unusable setting.
    pub fn new(config: ApnsConfig) -> Result<Self, PushSetupError> {
        for (name, value) in
            [("url", &config.url), ("key_id", &config.key_id), ("team_id", &config.team_id), ("topic", &config.topic)]
        {
            if value.trim().is_empty() {
                return Err(PushSetupError::Setting(format!("APNs {name} is empty")));
            }
        }
        if config.max_attempts == 0 || config.max_in_flight == 0 {
            return Err(PushSetupError::Setting("APNs max_attempts and max_in_flight must be at least 1".into()));
        }
        let token = jwt::ProviderToken::new(&config.key_pem, &config.key_id, &config.team_id)?;
        let mut builder = reqwest::Client::builder()
            .http2_prior_knowledge()
            .https_only(true)
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .http2_keep_alive_interval(Some(Duration::from_secs(60)))
            .http2_keep_alive_while_idle(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tidings-push/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &config.extra_root_ca_pem {
            let ca = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(PushSetupError::RootCa)?;
            builder = builder.tls_certs_merge([ca]);
        }
        let client = builder.build().map_err(PushSetupError::Client)?;
        Ok(Self {
            client,
            base_url: config.url.trim_end_matches('/').to_owned(),
            topic: config.topic,
            token,
            in_flight: Semaphore::new(config.max_in_flight),
            max_attempts: config.max_attempts,
            retry_base: config.retry_base,
            stats: DeviceSendStats::default(),
        })
    }

    /// One push, retried until it settles.
    async fn send_one(&self, push: DevicePush) -> DeviceOutcome {
        if !answer::token_looks_valid(&push.token) {
            let outcome = DeviceOutcome::InvalidToken;
            crate::push::retry::count_outcome(&self.stats, &outcome);
            return outcome;
        }
        let body = answer::payload(&push);
        let expiration = SystemTime::now()
            .checked_add(EXPIRATION)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        settle(&self.stats, self.max_attempts, self.retry_base, || self.attempt(&push, &body, expiration)).await
    }

    /// One request and what its answer means.
    async fn attempt(&self, push: &DevicePush, body: &[u8], expiration: u64) -> Verdict {
        let jwt = match self.token.current(&self.stats) {
            Ok(jwt) => jwt,
            Err(e) => return Verdict::Done(DeviceOutcome::Failed(format!("APNs token not signed: {e}"))),
        };
        let Ok(_permit) = self.in_flight.acquire().await else {
            return Verdict::Done(DeviceOutcome::Failed("APNs sender closed".into()));
        };
        let mut request = self
            .client
            .post(format!("{}/3/device/{}", self.base_url, push.token))
            .header(AUTHORIZATION, format!("bearer {jwt}"))
            .header(CONTENT_TYPE, "application/json")
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", if push.high_priority { "10" } else { "5" })
            .header("apns-expiration", expiration.to_string())
            .body(body.to_vec());
        if !push.collapse_id.is_empty() {
            request = request.header("apns-collapse-id", answer::collapse_id(&push.collapse_id));
        }
        let sent = request.send().await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return network_verdict("APNs", &e),
        };
        let status = response.status().as_u16();
        let wait = crate::push::retry::retry_after(response.headers());
        let reason = answer::reason(&response.bytes().await.unwrap_or_default());
        let verdict = answer::classify(status, &reason, wait);
        if matches!(verdict, Verdict::Reauthenticate(_)) {
            self.token.expire(&jwt);
        }
        verdict
    }
}

#[async_trait]
impl DevicePushSender for ApnsSender {
    fn platform(&self) -> PushPlatform {
        PushPlatform::Apns
    }

    async fn send(&self, pushes: Vec<DevicePush>) -> Vec<DeviceOutcome> {
        in_order(pushes, |push| self.send_one(push)).await
    }

    fn stats(&self) -> &DeviceSendStats {
        &self.stats
    }
}
