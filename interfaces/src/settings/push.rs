//! `[push]`: offline push notifications, through a provider: a signed webhook, or APNs and FCM
//! directly (`native`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::millis;
use super::{Key, Secret, SettingsError};

/// Who delivers offline pushes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushProviderKind {
    /// Off: nothing is installed, sends pay nothing.
    #[default]
    None,
    /// A signed JSON POST to `push.url`.
    Webhook,
    /// Straight to Apple (APNs) and Google (FCM), for the devices that registered a token.
    Native,
}

/// Offline push: recipients with no connected device get a notice through a provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushSettings {
    /// `none` (off, costs nothing), `webhook` (signed JSON POST to `url`) or `native` (APNs
    /// and FCM, as configured below).
    pub provider: PushProviderKind,
    /// The push gateway's URL (`webhook`).
    pub url: Option<String>,
    /// HMAC-SHA256 key of the `X-Tidings-Signature` header (`webhook`).
    pub secret: Option<Secret>,
    /// Notices carry the first characters of a text message (off: only ids and kind).
    pub preview: bool,
    /// Committed messages waiting for the push worker; past it, pushes are dropped (never sends).
    pub queue_capacity: usize,
    /// Attempts per batch before it is given up.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    #[serde(with = "millis")]
    pub retry_base: Duration,
    /// Timeout of one attempt.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// Provider calls in flight at once per instance.
    pub max_in_flight: usize,
    /// Requests in flight at once per platform sender (`native`; HTTP/2 streams to APNs).
    pub native_in_flight: usize,
    /// Title of a notification whose user hides everything (`native`).
    pub app_name: String,
    /// APNs: the `.p8` signing key's file (token-based authentication).
    pub apns_key_file: Option<String>,
    /// APNs: the key's id (the JWT's `kid`).
    pub apns_key_id: Option<String>,
    /// APNs: the developer team id (the JWT's `iss`).
    pub apns_team_id: Option<String>,
    /// APNs: the app's bundle id (`apns-topic`).
    pub apns_topic: Option<String>,
    /// APNs: the service's address (the sandbox is `https://api.sandbox.push.apple.com`).
    pub apns_url: String,
    /// APNs: a PEM file of one more certificate authority to trust (a test server's).
    pub apns_ca_file: Option<String>,
    /// FCM: the Google service account's JSON key file (project id, key, token endpoint).
    pub fcm_service_account_file: Option<String>,
    /// FCM: the service's address.
    pub fcm_url: String,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            provider: PushProviderKind::None,
            url: None,
            secret: None,
            preview: false,
            queue_capacity: 10_000,
            max_attempts: 3,
            retry_base: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
            max_in_flight: 8,
            native_in_flight: 256,
            app_name: "Tidings".into(),
            apns_key_file: None,
            apns_key_id: None,
            apns_team_id: None,
            apns_topic: None,
            apns_url: "https://api.push.apple.com".into(),
            apns_ca_file: None,
            fcm_service_account_file: None,
            fcm_url: "https://fcm.googleapis.com".into(),
        }
    }
}

impl PushSettings {
    /// A webhook provider has somewhere to post and a key to sign with; the worker's bounds are
    /// positive.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        let fail = |m: &str| Err(SettingsError::new(m));
        match self.provider {
            PushProviderKind::None => {}
            PushProviderKind::Webhook => {
                let url_ok = self.url.as_deref().is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"));
                if !url_ok {
                    return fail("push.provider = webhook needs push.url (http:// or https://)");
                }
                if self.secret.as_ref().is_none_or(Secret::is_empty) {
                    return fail("push.provider = webhook needs push.secret (the HMAC key receivers verify)");
                }
            }
            PushProviderKind::Native => {
                let apns = [&self.apns_key_file, &self.apns_key_id, &self.apns_team_id, &self.apns_topic];
                let apns_set = apns.iter().filter(|v| v.is_some()).count();
                if apns_set != 0 && apns_set != apns.len() {
                    return fail("push: APNs needs all of apns_key_file, apns_key_id, apns_team_id and apns_topic");
                }
                if apns_set == 0 && self.fcm_service_account_file.is_none() {
                    return fail("push.provider = native needs APNs (apns_*) or FCM (fcm_service_account_file) set up");
                }
            }
        }
        if self.queue_capacity == 0
            || self.max_attempts == 0
            || self.timeout.is_zero()
            || self.max_in_flight == 0
            || self.native_in_flight == 0
        {
            return fail(
                "push.queue_capacity, max_attempts, timeout, max_in_flight and native_in_flight must be positive",
            );
        }
        Ok(())
    }
}

/// `[push]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("provider", "offline push: none | webhook | native (APNs and FCM)"),
    Key::new("url", "the push gateway (http:// or https://); needed for webhook"),
    Key::new("secret", "HMAC-SHA256 key of X-Tidings-Signature; needed for webhook"),
    Key::new("preview", "notices carry the first 100 characters of a text message"),
    Key::new("queue_capacity", "committed messages waiting for the push worker; past it, pushes are dropped"),
    Key::new("max_attempts", "attempts per POST"),
    Key::new("retry_base", "wait after the first failed attempt, doubled after each further one").was("retry_base_ms"),
    Key::new("timeout", "timeout of one attempt").was("timeout_ms"),
    Key::new("max_in_flight", "provider calls (batches) running at once per instance"),
    Key::new("native_in_flight", "requests in flight at once per native platform (HTTP/2 streams)"),
    Key::new("app_name", "native: the title of a notification whose user hides everything"),
    Key::new("apns_key_file", "native: APNs .p8 signing key file (token auth)"),
    Key::new("apns_key_id", "native: APNs key id (JWT kid)"),
    Key::new("apns_team_id", "native: Apple developer team id (JWT iss)"),
    Key::new("apns_topic", "native: the iOS app's bundle id (apns-topic)"),
    Key::new("apns_url", "native: APNs address (sandbox: https://api.sandbox.push.apple.com)"),
    Key::new("apns_ca_file", "native: PEM of one more CA to trust for APNs (tests)"),
    Key::new("fcm_service_account_file", "native: FCM service-account JSON key file"),
    Key::new("fcm_url", "native: FCM address"),
];
