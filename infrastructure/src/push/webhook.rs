//! The webhook [`PushProvider`]: one signed JSON POST per batch of notices to a push gateway
//! the operator runs (which then talks to FCM, APNs or anything else).
//!
//! Signed like the outgoing webhooks ([`crate::webhook::signature`]): headers
//! `X-Tidings-Event: push`, `X-Tidings-Delivery: {id}` and
//! `X-Tidings-Signature: t={unix_ms},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`. A network
//! error, a timeout, 429 or a 5xx answer is retried with doubling waits, up to the attempt
//! limit; any other answer settles the batch.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tidings_domain::push::{PushNotice, PushOutcome, PushProvider};
use tidings_domain::{Clock as _, SystemClock};

use crate::webhook::signature;

/// Where and how the webhook provider posts.
#[derive(Debug, Clone)]
pub struct WebhookPushConfig {
    /// The push gateway's URL.
    pub url: String,
    /// HMAC key of the signature.
    pub secret: String,
    /// Attempts per batch (at least 1).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub retry_base: Duration,
    /// Timeout of one attempt.
    pub timeout: Duration,
}

/// Posts push notices to a webhook.
pub struct WebhookPushProvider {
    client: reqwest::Client,
    config: WebhookPushConfig,
}

impl WebhookPushProvider {
    /// A provider posting to `config.url`.
    pub fn new(config: WebhookPushConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tidings-push/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, config })
    }

    /// One attempt: `Ok` when settled (accepted or refused for good), `Err` when worth a retry.
    async fn attempt(&self, delivery: &str, body: &str) -> Result<Result<(), String>, String> {
        let sig = signature(&self.config.secret, SystemClock.now_ms(), body);
        let sent = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Tidings-Event", "push")
            .header("X-Tidings-Delivery", delivery)
            .header("X-Tidings-Signature", sig)
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => Ok(Ok(())),
            Ok(resp) => {
                let status = resp.status();
                let why = format!("push gateway answered HTTP {}", status.as_u16());
                if status.is_server_error() || status.as_u16() == 429 { Err(why) } else { Ok(Err(why)) }
            }
            Err(e) if e.is_timeout() => Err(format!("timed out: {e}")),
            Err(e) => Err(format!("request failed: {e}")),
        }
    }
}

/// One notice as the push body lists it.
fn notice_json(n: &PushNotice) -> Value {
    let mut v = json!({
        "user_id": n.user_id.to_string(),
        "conv": n.conv.to_string(),
        "seq": n.seq,
        "msg_id": n.msg_id,
        "sender": n.sender.to_string(),
        "kind": n.kind,
        "mentioned": n.mentioned,
        "badge": n.badge,
        "sender_name": n.sender_name,
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(preview) = &n.preview {
            obj.insert("preview".into(), Value::String(preview.clone()));
        }
        if let Some(group) = &n.group_name {
            obj.insert("group_name".into(), Value::String(group.clone()));
        }
    }
    v
}

/// The POST body of a batch.
pub fn push_body(delivery: &str, ts: i64, notices: &[PushNotice]) -> String {
    json!({"id": delivery, "ts": ts, "notices": notices.iter().map(notice_json).collect::<Vec<_>>()}).to_string()
}

#[async_trait]
impl PushProvider for WebhookPushProvider {
    async fn push(&self, notices: Vec<PushNotice>) -> Vec<PushOutcome> {
        if notices.is_empty() {
            return Vec::new();
        }
        let delivery = format!("p_{}", ulid_like());
        let body = push_body(&delivery, SystemClock.now_ms(), &notices);
        let attempts = self.config.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.attempt(&delivery, &body).await {
                Ok(Ok(())) => return vec![PushOutcome::Delivered; notices.len()],
                Ok(Err(why)) => return vec![PushOutcome::Failed(why); notices.len()],
                Err(why) => {
                    tracing::debug!(delivery, attempt, error = why, "push attempt failed");
                    last = why;
                }
            }
            if attempt < attempts {
                let factor = 1u32 << (attempt - 1).min(16);
                tokio::time::sleep(self.config.retry_base.saturating_mul(factor)).await;
            }
        }
        vec![PushOutcome::Failed(last); notices.len()]
    }
}

/// A unique, time-ordered delivery id (a message id's generator serves).
fn ulid_like() -> String {
    tidings_domain::message::generate_msg_id().trim_start_matches("m_").to_owned()
}

#[cfg(test)]
mod tests {
    use tidings_domain::{ConvId, UserId};

    use super::*;

    #[test]
    fn the_preview_appears_only_when_given() {
        let (a, b) = (UserId::generate(), UserId::generate());
        let Some(conv) = ConvId::direct(&a, &b) else { panic!("two users make a direct conversation") };
        let mut n = PushNotice {
            user_id: b.clone(),
            conv,
            seq: 3,
            msg_id: "m_1".into(),
            sender: a,
            kind: "text".into(),
            preview: None,
            mentioned: false,
            badge: 2,
            privacy: tidings_domain::device_push::PushPrivacy::Full,
            sender_name: "Ann".into(),
            group_name: None,
        };
        let body: Value = serde_json::from_str(&push_body("p_1", 5, std::slice::from_ref(&n))).unwrap_or_default();
        assert_eq!(body["notices"][0]["seq"], 3);
        assert!(body["notices"][0].get("preview").is_none());
        assert_eq!(body["notices"][0]["badge"], 2);
        assert_eq!(body["notices"][0]["sender_name"], "Ann");
        n.preview = Some("hi".into());
        let body: Value = serde_json::from_str(&push_body("p_1", 5, &[n])).unwrap_or_default();
        assert_eq!(body["notices"][0]["preview"], "hi");
    }
}
