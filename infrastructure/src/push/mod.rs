//! Offline push providers: the signed webhook to a gateway the operator runs, and the native
//! platform senders (APNs, FCM) that talk to Apple and Google directly.

pub mod webhook;

pub use webhook::{WebhookPushConfig, WebhookPushProvider, push_body};
