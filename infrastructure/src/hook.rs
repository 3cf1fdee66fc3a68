//! The [`SendHook`] over HTTP: one signed POST per send to the business system's URL, on a
//! kept-alive connection pool, bounded by a timeout.
//!
//! Headers as for webhooks: `X-Tidings-Event: before_send` and
//! `X-Tidings-Signature: t={unix_ms},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`. The answer is
//! HTTP 200 with `{"action":"allow"}`, `{"action":"reject","reason":…}` or
//! `{"action":"rewrite","body":{…}}`; anything else is a [`HookFailure`].

use std::time::Duration;

use async_trait::async_trait;
use tidings_domain::content::{HookCall, HookDecision, HookFailure};
use tidings_domain::ports::SendHook;
use tidings_domain::{Clock as _, SystemClock};

use crate::webhook::signature;

/// Largest answer read from the hook; a longer one is garbage.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Calls the business system's before-send URL.
pub struct HttpSendHook {
    client: reqwest::Client,
    url: String,
    secret: String,
}

impl HttpSendHook {
    /// A hook at `url`, signing with `secret`, giving up after `timeout`.
    pub fn new(url: String, secret: String, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            // A send waits on this connection: keep it warm, skip Nagle.
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("tidings-hooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, url, secret })
    }
}

#[async_trait]
impl SendHook for HttpSendHook {
    async fn before_send(&self, call: &HookCall) -> Result<HookDecision, HookFailure> {
        let body = serde_json::to_string(call).map_err(|e| HookFailure::Garbage(format!("request: {e}")))?;
        let sig = signature(&self.secret, SystemClock.now_ms(), &body);
        let resp = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Tidings-Event", "before_send")
            .header("X-Tidings-Signature", sig)
            .body(body)
            .send()
            .await
            .map_err(failure)?;
        let status = resp.status();
        if status != reqwest::StatusCode::OK {
            return Err(HookFailure::Status(status.as_u16()));
        }
        if resp.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
            return Err(HookFailure::Garbage("answer too long".into()));
        }
        let bytes = resp.bytes().await.map_err(failure)?;
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err(HookFailure::Garbage("answer too long".into()));
        }
        serde_json::from_slice(&bytes).map_err(|e| HookFailure::Garbage(e.to_string()))
    }
}

fn failure(e: reqwest::Error) -> HookFailure {
    if e.is_timeout() { HookFailure::Timeout } else { HookFailure::Unreachable(e.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_parse_from_the_documented_answers() {
        let allow: HookDecision =
            serde_json::from_str(r#"{"action":"allow"}"#).unwrap_or(HookDecision::Reject { reason: None });
        assert_eq!(allow, HookDecision::Allow);
        let reject: Result<HookDecision, _> = serde_json::from_str(r#"{"action":"reject","reason":"ads"}"#);
        assert_eq!(reject.ok(), Some(HookDecision::Reject { reason: Some("ads".into()) }));
        let rewrite: Result<HookDecision, _> = serde_json::from_str(r#"{"action":"rewrite","body":{"text":"hello"}}"#);
        assert_eq!(rewrite.ok(), Some(HookDecision::Rewrite { body: serde_json::json!({"text":"hello"}) }));
        for garbage in [r#"{"action":"maybe"}"#, r#"{"ok":true}"#, "[]", r#"{"action":"rewrite"}"#] {
            assert!(serde_json::from_str::<HookDecision>(garbage).is_err(), "{garbage} parsed");
        }
    }
}
