//! Offline push providers: the signed webhook to a gateway the operator runs, and the native
//! platform senders (APNs, FCM) that talk to Apple and Google directly.

pub mod apns;
pub mod fcm;
mod retry;
pub mod webhook;

pub use apns::{ApnsConfig, ApnsSender};
pub use fcm::{FcmConfig, FcmSender};
pub use webhook::{WebhookPushConfig, WebhookPushProvider, push_body};

/// Why a native push sender could not be built: its credentials or settings are unusable. Raised
/// at start-up, so a bad key stops the server instead of failing every push later.
#[derive(Debug, thiserror::Error)]
pub enum PushSetupError {
    /// The APNs signing key is not a PKCS#8 PEM EC key (the `.p8` file Apple hands out).
    #[error("APNs key is not a PKCS#8 PEM EC (P-256) key: {0}")]
    ApnsKey(#[source] jsonwebtoken::errors::Error),
    /// The FCM service-account JSON does not parse or lacks a field.
    #[error("FCM service-account JSON is unusable: {0}")]
    ServiceAccount(#[source] serde_json::Error),
    /// The service account's `private_key` is not an RSA PEM key.
    #[error("FCM service-account private_key is not an RSA PEM key: {0}")]
    FcmKey(#[source] jsonwebtoken::errors::Error),
    /// The extra root CA is not a PEM certificate.
    #[error("extra root CA is not a PEM certificate: {0}")]
    RootCa(#[source] reqwest::Error),
    /// The HTTP client could not be built (TLS set-up).
    #[error("HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A setting is out of range (an empty field, zero attempts, no room in flight).
    #[error("invalid setting: {0}")]
    Setting(String),
}
