//! A minimal app-like client: REST calls with reqwest, frames with tokio-tungstenite.
//! Every wait is bounded, so a broken server fails a test instead of hanging it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tidings_domain::message::NOT_UNREAD_KINDS;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The password of every user [`Api::register`] creates (and of the settings' first admin).
pub const PASSWORD: &str = "correct-horse";

/// How long any single expected frame or response may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// REST client for one server.
#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

/// A logged-in device.
#[derive(Debug, Clone)]
pub struct Login {
    /// User id.
    pub user_id: String,
    /// Device id used at login.
    pub device_id: String,
    /// Bearer token.
    pub access_token: String,
    /// Refresh token.
    pub refresh_token: String,
}

impl Api {
    /// A client for `base` (`http://127.0.0.1:port`).
    pub fn new(base: String) -> Self {
        Self { base, http: reqwest::Client::new() }
    }

    /// Sends a request and returns status and JSON body (`Null` when empty).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = tokio::time::timeout(WAIT, req.send())
            .await
            .unwrap_or_else(|_| panic!("{path}: no response in time"))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends a raw body with a content type.
    pub async fn call_raw(&self, path: &str, token: Option<&str>, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).header("content-type", content_type).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Registers `username` with a fixed test password; returns the user id.
    pub async fn register(&self, username: &str) -> String {
        let (status, body) = self
            .call("POST", "/api/v1/auth/register", None, Some(json!({"username": username, "password": PASSWORD})))
            .await;
        assert_eq!(status, 201, "register {username}: {body}");
        body["user_id"].as_str().unwrap_or_default().to_owned()
    }

    /// Logs `username` in on `device`.
    pub async fn login(&self, username: &str, device: &str) -> Login {
        self.login_on(username, device, "desktop").await
    }

    /// Logs in as a device of the given platform.
    pub async fn login_on(&self, username: &str, device: &str, platform: &str) -> Login {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": PASSWORD, "device_id": device, "platform": platform})),
            )
            .await;
        assert_eq!(status, 200, "login {username}: {body}");
        Login {
            user_id: body["user_id"].as_str().unwrap_or_default().to_owned(),
            device_id: device.to_owned(),
            access_token: body["access_token"].as_str().unwrap_or_default().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// Registers and logs in.
    pub async fn user(&self, username: &str, device: &str) -> Login {
        self.register(username).await;
        self.login(username, device).await
    }

    /// Unread counted from the log as protocol.md defines it: messages past `read_seq`, not the
    /// user's own, neither recall notices, recalled messages nor action entries (edits, reactions).
    pub async fn unread_from_log(&self, who: &Login, conv: &str, read_seq: u64) -> u64 {
        self.all_messages(who, conv)
            .await
            .iter()
            .filter(|m| m["seq"].as_u64().unwrap_or_else(|| panic!("a message without a seq: {m}")) > read_seq)
            .filter(|m| m["sender"] != who.user_id.as_str())
            .filter(|m| !NOT_UNREAD_KINDS.iter().any(|k| m["kind"] == *k))
            .filter(|m| !["recall", "recalled", "reaction"].contains(&m["kind"].as_str().unwrap_or_default()))
            .count() as u64
    }

    /// Sends a text over REST (`POST /api/v1/conversations/{conv}/messages`): status and body.
    pub async fn send_text(&self, who: &Login, conv: &str, client_msg_id: &str, text: &str) -> (u16, Value) {
        crate::helpers::send(self, who, conv, client_msg_id, "text", json!({"text": text})).await
    }

    /// Full history of a conversation as the user sees it (follows paging).
    pub async fn all_messages(&self, who: &Login, conv: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let (status, body) = self
                .call(
                    "GET",
                    &format!("/api/v1/conversations/{conv}/messages?after_seq={after}&limit=200"),
                    Some(&who.access_token),
                    None,
                )
                .await;
            assert_eq!(status, 200, "history: {body}");
            let page = body["messages"].as_array().cloned().unwrap_or_default();
            if let Some(last) = page.last() {
                after = last["seq"].as_u64().unwrap_or(after);
            }
            out.extend(page);
            if !body["has_more"].as_bool().unwrap_or(false) {
                return out;
            }
        }
    }

    /// The user's conversation list.
    pub async fn conversations(&self, who: &Login) -> Vec<Value> {
        let (status, body) = self.call("GET", "/api/v1/conversations", Some(&who.access_token), None).await;
        assert_eq!(status, 200, "conversations: {body}");
        body["conversations"].as_array().cloned().unwrap_or_default()
    }
}

/// The direct conversation id of two users.
pub fn direct(a: &str, b: &str) -> String {
    if a < b { format!("d:{a}:{b}") } else { format!("d:{b}:{a}") }
}

/// A WebSocket connection of one device.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub enum Closed {
    /// A close frame with this code.
    Code(u16),
    /// The stream ended or broke without a close frame.
    Dropped,
}

impl WsClient {
    /// Connects with `?token=`; panics if the handshake fails.
    pub async fn connect(ws_url: &str, token: &str) -> Self {
        match Self::try_connect(ws_url, token).await {
            Ok(c) => c,
            Err(status) => panic!("ws connect refused: {status}"),
        }
    }

    /// Connects, returning the HTTP status when the handshake is refused.
    pub async fn try_connect(ws_url: &str, token: &str) -> Result<Self, u16> {
        let url = format!("{ws_url}?token={token}");
        match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await {
            Ok(Ok((ws, _))) => Ok(Self { ws, next_id: 0 }),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => Err(resp.status().as_u16()),
            Ok(Err(e)) => panic!("ws connect: {e}"),
            Err(_) => panic!("ws connect timed out"),
        }
    }

    /// Connects, or `None` on any failure (refused, reset, timed out): for clients that expect
    /// servers to come and go.
    pub async fn connect_opt(ws_url: &str, token: &str) -> Option<Self> {
        let url = format!("{ws_url}?token={token}");
        match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await {
            Ok(Ok((ws, _))) => Some(Self { ws, next_id: 0 }),
            _ => None,
        }
    }

    /// Sends a JSON frame; false if the connection is gone.
    pub async fn try_send(&mut self, frame: Value) -> bool {
        self.ws.send(Message::text(frame.to_string())).await.is_ok()
    }

    /// The next text frame within `wait` (`Some(Ok)`), how the connection ended (`Some(Err)`),
    /// or `None` if nothing came in time.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Result<Value, Closed>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => return Some(Err(Closed::Dropped)),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let frame = serde_json::from_str(t.as_str()).unwrap_or_else(|e| panic!("bad frame: {e}"));
                    return Some(Ok(frame));
                }
                Message::Close(frame) => {
                    return Some(Err(frame.map_or(Closed::Dropped, |f| Closed::Code(u16::from(f.code)))));
                }
                _ => continue,
            }
        }
    }

    /// Every text frame until the server closes (bounded by [`WAIT`]), and how it closed.
    pub async fn frames_until_closed(&mut self) -> (Vec<Value>, Closed) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut frames = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv_within(left).await {
                Some(Ok(frame)) => frames.push(frame),
                Some(Err(how)) => return (frames, how),
                None => panic!("not closed within {WAIT:?}; frames so far: {frames:?}"),
            }
        }
    }

    /// A fresh request id.
    pub fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!("r{}", self.next_id)
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.send_raw(frame.to_string()).await;
    }

    /// Sends any text frame.
    pub async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap_or_else(|e| panic!("ws send: {e}"));
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::binary(bytes)).await.unwrap_or_else(|e| panic!("ws send: {e}"));
    }

    /// Sends a text message; returns the request id.
    pub async fn send_text(&mut self, conv: &str, client_msg_id: &str, text: &str) -> String {
        let id = self.next_id();
        self.send(json!({"type": "send", "id": id, "conv": conv, "client_msg_id": client_msg_id, "kind": "text", "body": {"text": text}}))
            .await;
        id
    }

    /// The next text frame as JSON, or `None` if the connection closed. Panics after [`WAIT`].
    pub async fn next(&mut self) -> Option<Value> {
        self.next_within(WAIT).await.unwrap_or_else(|| panic!("no frame within {WAIT:?}"))
    }

    /// `Some(frame or None-if-closed)` within `wait`, `None` if nothing arrived in time.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Option<Value>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => return Some(None),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    return Some(Some(
                        serde_json::from_str(t.as_str()).unwrap_or_else(|e| panic!("bad frame from server: {e}")),
                    ));
                }
                Message::Close(_) => return Some(None),
                _ => continue,
            }
        }
    }

    /// Waits for the next frame of type `ty`, failing on any other frame.
    pub async fn expect(&mut self, ty: &str) -> Value {
        let frame = self.next().await.unwrap_or_else(|| panic!("closed while waiting for `{ty}`"));
        assert_eq!(frame["type"], ty, "expected `{ty}`, got {frame}");
        frame
    }

    /// Waits for the next frame of type `ty`, returning it and the frames that came before it.
    pub async fn wait_for(&mut self, ty: &str) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let frame = self.next().await.unwrap_or_else(|| panic!("closed while waiting for `{ty}`"));
            if frame["type"] == ty {
                return (frame, before);
            }
            before.push(frame);
        }
    }

    /// Waits for the next frame whose type is one of `types`, returning it and the frames before it.
    pub async fn wait_for_any(&mut self, types: &[&str]) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let frame = self.next().await.unwrap_or_else(|| panic!("closed while waiting for {types:?}"));
            if types.iter().any(|t| frame["type"] == *t) {
                return (frame, before);
            }
            before.push(frame);
        }
    }

    /// Waits for the error frame answering a request, and returns its code.
    pub async fn expect_error(&mut self) -> String {
        let frame = self.expect("error").await;
        frame["code"].as_str().unwrap_or_default().to_owned()
    }

    /// Asserts that no text frame arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Some(frame) = self.next_within(wait).await {
            panic!("expected silence, got {frame:?}");
        }
    }

    /// Collects `n` `msg` frames (failing on anything else), returning their messages.
    pub async fn messages(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            out.push(self.expect("msg").await["message"].clone());
        }
        out
    }

    /// Waits until the server closes the connection and reports how.
    pub async fn closed(&mut self) -> Closed {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => panic!("connection not closed within {WAIT:?}"),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame.map_or(Closed::Dropped, |f| Closed::Code(u16::from(f.code)));
                }
                Ok(None) | Ok(Some(Err(_))) => return Closed::Dropped,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Sync request; returns its `sync_result` frame. Pushes that arrive first (a message
    /// committed just before the request, in either mode) are skipped.
    pub async fn sync(&mut self, conv: &str, after_seq: u64, limit: u32) -> Value {
        let id = self.next_id();
        self.send(json!({"type": "sync", "id": id, "conv": conv, "after_seq": after_seq, "limit": limit})).await;
        let (frame, _) = self.wait_for("sync_result").await;
        assert_eq!(frame["id"], id.as_str());
        frame
    }

    /// Closes politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
