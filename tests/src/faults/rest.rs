//! REST calls with a timeout each and errors as values (the shared `Api` panics instead, which
//! suits a test but not a probe of an instance that may be hung).

use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

/// A REST client for instances on 127.0.0.1.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    /// A client with no pooled-connection reuse across faults (each call may open a new one).
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
        Ok(Self { client })
    }

    /// `GET http://127.0.0.1:{port}{path}` within `timeout`: status and JSON body (`Null` if none).
    pub async fn get(
        &self,
        port: u16,
        path: &str,
        token: Option<&str>,
        timeout: Duration,
    ) -> anyhow::Result<(u16, Value)> {
        self.call(reqwest::Method::GET, port, path, token, None, timeout).await
    }

    /// `POST` a JSON body within `timeout`: status and JSON body.
    pub async fn post(
        &self,
        port: u16,
        path: &str,
        token: Option<&str>,
        body: Value,
        timeout: Duration,
    ) -> anyhow::Result<(u16, Value)> {
        self.call(reqwest::Method::POST, port, path, token, Some(body), timeout).await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        port: u16,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        timeout: Duration,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.client.request(method, format!("http://127.0.0.1:{port}{path}")).timeout(timeout);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("{path} on port {port}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// A conversation's whole history as `token`'s user sees it, following pages from seq 0.
    pub async fn history(&self, port: u16, token: &str, conv: &str) -> anyhow::Result<Vec<Value>> {
        let mut out: Vec<Value> = Vec::new();
        let mut after = 0;
        for _ in 0..10_000 {
            let path = format!("/api/v1/conversations/{conv}/messages?after_seq={after}&limit=200");
            let (status, body) = self.get(port, &path, Some(token), Duration::from_secs(10)).await?;
            anyhow::ensure!(status == 200, "history of {conv}: {status} {body}");
            let page = body["messages"].as_array().cloned().unwrap_or_default();
            let last = page.last().and_then(|m| m["seq"].as_u64());
            out.extend(page);
            match last {
                Some(seq) if body["has_more"].as_bool() == Some(true) && seq > after => after = seq,
                _ => return Ok(out),
            }
        }
        anyhow::bail!("history of {conv}: too many pages")
    }
}
