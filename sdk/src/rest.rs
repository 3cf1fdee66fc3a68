//! REST calls: JSON in and out, the server's error body turned into [`SdkError::Server`], the
//! bearer token attached and refreshed once on a 401, and the server list walked when one
//! address does not answer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tidings_protocol::rest::ErrorBody;

use crate::SdkError;
use crate::session::Sessions;

/// What a request carries.
#[derive(Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// Nothing.
    Empty,
    /// A JSON document.
    Json(&'a Value),
    /// Raw bytes of a content type (media uploads).
    Bytes(&'a [u8], &'a str),
}

/// HTTP client over the servers: the configured ones, then the candidates discovery found.
pub(crate) struct Rest {
    http: reqwest::Client,
    servers: Mutex<Vec<String>>,
    current: AtomicUsize,
    /// The session whose token authenticates calls.
    pub(crate) sessions: Arc<Sessions>,
}

/// A server address as the SDK compares and joins it: without a trailing slash.
pub(crate) fn base_url(server: &str) -> String {
    server.trim_end_matches('/').to_owned()
}

impl Rest {
    /// A client for `servers` (base URLs).
    pub(crate) fn new(servers: Vec<String>, timeout: Duration, sessions: Arc<Sessions>) -> Result<Self, SdkError> {
        let http = reqwest::Client::builder().timeout(timeout).build().map_err(SdkError::network)?;
        let servers = servers.iter().map(|s| base_url(s)).collect();
        Ok(Self { http, servers: Mutex::new(servers), current: AtomicUsize::new(0), sessions })
    }

    /// The servers calls go to, in the order they are walked.
    fn servers(&self) -> Vec<String> {
        self.servers.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Replaces the servers (a new candidate list, best first); the first is tried first.
    pub(crate) fn set_servers(&self, servers: Vec<String>) {
        if let Ok(mut s) = self.servers.lock() {
            *s = servers;
        }
        self.current.store(0, Ordering::Relaxed);
    }

    /// The server calls go to first (the one that answered last).
    pub(crate) fn current_server(&self) -> Option<String> {
        let servers = self.servers();
        servers.get(self.current.load(Ordering::Relaxed) % servers.len().max(1)).cloned()
    }

    /// Makes `server` the first one to try (the connection is there), if it is in the list.
    pub(crate) fn prefer(&self, server: &str) {
        if let Some(i) = self.servers().iter().position(|s| s == server) {
            self.current.store(i, Ordering::Relaxed);
        }
    }

    /// `GET {base}{path}` without a token and without walking the list, within `timeout`:
    /// the status and body, or why no answer came.
    pub(crate) async fn get_from(&self, base: &str, path: &str, timeout: Duration) -> Result<(u16, Vec<u8>), SdkError> {
        let resp = self.http.get(format!("{base}{path}")).timeout(timeout).send().await.map_err(SdkError::network)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(SdkError::network)?;
        Ok((status, bytes.to_vec()))
    }

    /// A call without a token (register, login, refresh).
    pub(crate) async fn call_public<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, SdkError> {
        let payload = body.as_ref().map_or(Payload::Empty, Payload::Json);
        let (status, bytes) = self.send(&method, path, payload, None).await?;
        decode(status, &bytes)
    }

    /// A call with the session's token; a 401 refreshes the token once and repeats the call.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, SdkError> {
        let payload = body.as_ref().map_or(Payload::Empty, Payload::Json);
        let (status, bytes) = self.authed(&method, path, payload).await?;
        decode(status, &bytes)
    }

    /// Uploads raw bytes with the session's token; the answer is JSON.
    pub(crate) async fn upload<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<T, SdkError> {
        let (status, answer) = self.authed(&Method::POST, path, Payload::Bytes(bytes, content_type)).await?;
        decode(status, &answer)
    }

    /// Downloads raw bytes with the session's token.
    pub(crate) async fn download(&self, path: &str) -> Result<Vec<u8>, SdkError> {
        let (status, bytes) = self.authed(&Method::GET, path, Payload::Empty).await?;
        if status >= 400 {
            return decode::<Value>(status, &bytes).map(|_| Vec::new());
        }
        Ok(bytes)
    }

    /// Sends with the session's token; a 401 refreshes the token once and sends again.
    async fn authed(&self, method: &Method, path: &str, payload: Payload<'_>) -> Result<(u16, Vec<u8>), SdkError> {
        let token = self.sessions.access_token(self).await?;
        let (status, bytes) = self.send(method, path, payload, Some(&token)).await?;
        if status != 401 {
            return Ok((status, bytes));
        }
        self.sessions.refresh(self, &token).await?;
        let token = self.sessions.access_token(self).await?;
        self.send(method, path, payload, Some(&token)).await
    }

    /// Sends to the current server, moving on to the next ones when a server cannot be reached.
    async fn send(
        &self,
        method: &Method,
        path: &str,
        payload: Payload<'_>,
        token: Option<&str>,
    ) -> Result<(u16, Vec<u8>), SdkError> {
        let servers = self.servers();
        let n = servers.len();
        let first = self.current.load(Ordering::Relaxed);
        let mut last_err = SdkError::network("no server configured");
        for k in 0..n {
            let i = (first + k) % n;
            let mut req = self.http.request(method.clone(), format!("{}{path}", servers[i]));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req = match payload {
                Payload::Empty => req,
                Payload::Json(b) => req.json(b),
                Payload::Bytes(bytes, content_type) => {
                    req.header(reqwest::header::CONTENT_TYPE, content_type).body(bytes.to_vec())
                }
            };
            match req.send().await {
                Ok(resp) => {
                    self.current.store(i, Ordering::Relaxed);
                    let status = resp.status().as_u16();
                    let bytes = resp.bytes().await.map_err(SdkError::network)?;
                    return Ok((status, bytes.to_vec()));
                }
                Err(e) if e.is_timeout() => return Err(SdkError::Timeout),
                Err(e) => {
                    tracing::debug!(server = %servers[i], error = %e, "server unreachable");
                    last_err = SdkError::network(e);
                }
            }
        }
        Err(last_err)
    }
}

/// Turns an answer into `T` or the server's error.
fn decode<T: DeserializeOwned>(status: u16, bytes: &[u8]) -> Result<T, SdkError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.as_ref();
    if status >= 400 {
        return Err(match serde_json::from_str::<ErrorBody>(text) {
            Ok(b) => SdkError::Server { code: b.error.code, message: b.error.message },
            Err(_) => SdkError::protocol(format!("HTTP {status} without an error body")),
        });
    }
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(|e| SdkError::protocol(format!("HTTP {status}: {e}")))
}

/// Percent-encodes every byte but RFC 3986's unreserved characters, so a value stays one path
/// segment or one query value whatever it holds (`/`, `?`, `#`, `&`, `%`, spaces, UTF-8).
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
