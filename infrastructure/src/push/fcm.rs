//! The FCM [`DevicePushSender`]: Firebase Cloud Messaging's HTTP v1 API with a service
//! account's OAuth 2 access token.
//!
//! One `POST /v1/projects/{project}/messages:send` per push, at most `max_in_flight` at once.
//! `UNREGISTERED` means the token is dead (a bare 404 does not: it may be a wrong project); 429, a 5xx or a network error is retried
//! with doubling waits (or the answer's `Retry-After`); a 401 fetches a new access token and
//! tries the push again once.

mod message;
mod oauth;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;
use tidings_domain::device_push::{DeviceOutcome, DevicePush, DevicePushSender, DeviceSendStats, PushPlatform};
use tokio::sync::Semaphore;

use crate::push::PushSetupError;
use crate::push::retry::{Verdict, in_order, network_verdict, retry_after, settle};

/// Google's FCM endpoint.
pub const FCM_URL: &str = "https://fcm.googleapis.com";

/// Which project and account the FCM sender pushes as.
#[derive(Clone)]
pub struct FcmConfig {
    /// The service-account JSON file's contents (`project_id`, `private_key`, `client_email`,
    /// `token_uri` are used).
    pub service_account_json: String,
    /// FCM base URL ([`FCM_URL`]; a fake one in tests).
    pub url: String,
    /// Timeout of one request, connection included.
    pub timeout: Duration,
    /// Attempts per push on network errors, 5xx and throttling (at least 1).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub retry_base: Duration,
    /// Requests in flight at once, over all batches.
    pub max_in_flight: usize,
}

impl FcmConfig {
    /// Google's endpoint and default limits for this service account.
    pub fn new(service_account_json: String) -> Self {
        Self {
            service_account_json,
            url: FCM_URL.to_owned(),
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            retry_base: Duration::from_millis(500),
            max_in_flight: 1000,
        }
    }
}

/// The service account (and its key) stays out of logs.
impl fmt::Debug for FcmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FcmConfig")
            .field("service_account_json", &"<redacted>")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base", &self.retry_base)
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}

/// Sends device pushes to FCM.
pub struct FcmSender {
    client: reqwest::Client,
    send_url: String,
    tokens: oauth::AccessTokens,
    in_flight: Semaphore,
    max_attempts: u32,
    retry_base: Duration,
    stats: DeviceSendStats,
}

impl FcmSender {
    /// A sender for `config`; fails on service-account JSON that lacks a field, a key that does
    /// not sign, or an unusable setting.
    pub fn new(config: FcmConfig) -> Result<Self, PushSetupError> {
        let account: oauth::ServiceAccount =
            serde_json::from_str(&config.service_account_json).map_err(PushSetupError::ServiceAccount)?;
        for (name, value) in
            [("url", &config.url), ("project_id", &account.project_id), ("token_uri", &account.token_uri)]
        {
            if value.trim().is_empty() {
                return Err(PushSetupError::Setting(format!("FCM {name} is empty")));
            }
        }
        if config.max_attempts == 0 || config.max_in_flight == 0 {
            return Err(PushSetupError::Setting("FCM max_attempts and max_in_flight must be at least 1".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tidings-push/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(PushSetupError::Client)?;
        let tokens = oauth::AccessTokens::new(&account, client.clone())?;
        let send_url = format!("{}/v1/projects/{}/messages:send", config.url.trim_end_matches('/'), account.project_id);
        Ok(Self {
            client,
            send_url,
            tokens,
            in_flight: Semaphore::new(config.max_in_flight),
            max_attempts: config.max_attempts,
            retry_base: config.retry_base,
            stats: DeviceSendStats::default(),
        })
    }

    /// One push, retried until it settles.
    async fn send_one(&self, push: DevicePush) -> DeviceOutcome {
        let body = message::body(&push);
        settle(&self.stats, self.max_attempts, self.retry_base, || self.attempt(&body)).await
    }

    /// One request and what its answer means.
    async fn attempt(&self, body: &[u8]) -> Verdict {
        let token = match self.tokens.current(&self.stats).await {
            Ok(token) => token,
            Err(oauth::TokenError::Transient(reason)) => {
                return Verdict::Retry { reason, throttled: false, wait: None };
            }
            Err(oauth::TokenError::Refused(reason)) => return Verdict::Done(DeviceOutcome::Failed(reason)),
        };
        let Ok(_permit) = self.in_flight.acquire().await else {
            return Verdict::Done(DeviceOutcome::Failed("FCM sender closed".into()));
        };
        let sent = self
            .client
            .post(&self.send_url)
            .bearer_auth(&token)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return network_verdict("FCM", &e),
        };
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        // Read to the end even on success, so the connection is reused.
        let answer = response.bytes().await.unwrap_or_default();
        let verdict = message::classify(status, &answer, wait);
        if matches!(verdict, Verdict::Reauthenticate(_)) {
            self.tokens.expire(&token);
        }
        verdict
    }
}

#[async_trait]
impl DevicePushSender for FcmSender {
    fn platform(&self) -> PushPlatform {
        PushPlatform::Fcm
    }

    async fn send(&self, pushes: Vec<DevicePush>) -> Vec<DeviceOutcome> {
        in_order(pushes, |push| self.send_one(push)).await
    }

    fn stats(&self) -> &DeviceSendStats {
        &self.stats
    }
}
