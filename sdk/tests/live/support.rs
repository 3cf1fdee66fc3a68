//! Shared helpers: an SDK app with a recording listener, bounded waits on its events, and the
//! REST calls the "other side" of a story makes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tidings_sdk::{Client, ClientConfig, ClientEvent, ClientListener, ConnectionState, MessageStatus};
use tidings_tests::{Api, Login};
use tokio::sync::mpsc;

/// The password `tidings_tests::Api::register` gives every user.
pub use tidings_tests::client::PASSWORD;
/// Longest wait for any one expected event.
pub const WAIT: Duration = Duration::from_secs(30);

struct Recorder(mpsc::UnboundedSender<ClientEvent>);

impl ClientListener for Recorder {
    fn on_event(&self, event: ClientEvent) {
        let _ = self.0.send(event);
    }
}

/// An app built on the SDK, with every event it received.
pub struct App {
    pub client: Arc<Client>,
    rx: mpsc::UnboundedReceiver<ClientEvent>,
    /// Events taken so far, in order.
    pub seen: Vec<ClientEvent>,
    /// Which of `seen` a wait has already returned.
    claimed: Vec<bool>,
}

impl App {
    /// A client on `servers` keeping its store in `dir`, with short timings for tests (and
    /// discovery off: see [`App::with`]).
    pub async fn new(servers: Vec<String>, dir: &Path, device: &str) -> Self {
        Self::with(servers, dir, device, |_| {}).await
    }

    /// Like [`App::new`], with the config adjusted by `tune`. Discovery is off unless `tune`
    /// turns it on: most stories pin the client to one address (often the proxy, which the
    /// server's discovery answer would route around).
    pub async fn with(servers: Vec<String>, dir: &Path, device: &str, tune: impl FnOnce(&mut ClientConfig)) -> Self {
        let mut config =
            ClientConfig::new(servers, dir.to_string_lossy().into_owned(), device.to_owned(), "desktop".to_owned());
        config.discovery = false;
        config.backoff_initial_ms = 50;
        config.backoff_max_ms = 500;
        config.heartbeat_secs = 2;
        config.ack_timeout_ms = 3_000;
        config.request_timeout_ms = 5_000;
        tune(&mut config);
        let client = Client::new(config).await.unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        client.add_listener(Arc::new(Recorder(tx)));
        Self { client, rx, seen: Vec::new(), claimed: Vec::new() }
    }

    /// Logs in as `username` and connects; waits for the connection.
    pub async fn login_and_connect(&mut self, username: &str) -> String {
        let me = self.client.login(username.into(), PASSWORD.into()).await.unwrap();
        self.connect().await;
        me
    }

    /// Connects and waits until connected.
    pub async fn connect(&mut self) {
        self.client.connect().await.unwrap();
        self.connected().await;
    }

    /// Waits for the next `Connected` state; returns its server.
    pub async fn connected(&mut self) -> String {
        match self
            .wait("connected", |e| matches!(e, ClientEvent::Connection { state: ConnectionState::Connected { .. } }))
            .await
        {
            ClientEvent::Connection { state: ConnectionState::Connected { server } } => server,
            _ => unreachable!(),
        }
    }

    /// Waits (bounded) for an event matching `pred` that no earlier wait returned: the oldest
    /// such event already received, else the next one to come. Order between waits does not
    /// matter, so a story can wait for things that happen concurrently.
    pub async fn wait(&mut self, what: &str, pred: impl Fn(&ClientEvent) -> bool) -> ClientEvent {
        if let Some(i) = (0..self.seen.len()).find(|&i| !self.claimed[i] && pred(&self.seen[i])) {
            self.claimed[i] = true;
            return self.seen[i].clone();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(e)) => {
                    self.seen.push(e.clone());
                    let hit = pred(&e);
                    self.claimed.push(hit);
                    if hit {
                        return e;
                    }
                }
                Ok(None) => panic!("event stream ended while waiting for {what}"),
                Err(_) => {
                    let tail: Vec<_> = self.seen.iter().rev().take(15).collect();
                    panic!("no {what} within {WAIT:?}; last events (newest first): {tail:#?}")
                }
            }
        }
    }

    /// Waits for a new message with this text; returns its seq.
    pub async fn new_text(&mut self, text: &str) -> u64 {
        match self
            .wait(
                &format!("message {text:?}"),
                |e| matches!(e, ClientEvent::NewMessage { message } if message.text().as_deref() == Some(text)),
            )
            .await
        {
            ClientEvent::NewMessage { message } => message.seq.unwrap(),
            _ => unreachable!(),
        }
    }

    /// Waits until the message with this client id is reported `failed`; returns the reason.
    pub async fn failed(&mut self, client_msg_id: &str) -> String {
        let what = format!("failed {client_msg_id}");
        match self
            .wait(&what, |e| {
                matches!(e, ClientEvent::MessageStatusChanged { client_msg_id: c, status: MessageStatus::Failed, .. } if c == client_msg_id)
            })
            .await
        {
            ClientEvent::MessageStatusChanged { reason, .. } => reason.unwrap_or_default(),
            _ => unreachable!(),
        }
    }

    /// Waits until the message with this client id is reported `sent`; returns its seq.
    pub async fn sent(&mut self, client_msg_id: &str) -> u64 {
        let what = format!("sent {client_msg_id}");
        match self
            .wait(&what, |e| {
                matches!(e, ClientEvent::MessageStatusChanged { client_msg_id: c, status: MessageStatus::Sent, .. } if c == client_msg_id)
            })
            .await
        {
            ClientEvent::MessageStatusChanged { seq, .. } => seq.unwrap(),
            _ => unreachable!(),
        }
    }
}

/// Polls `probe` until it returns true (bounded).
pub async fn until<F, Fut>(what: &str, probe: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !probe().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends a text over REST as `who`; returns its seq.
pub async fn post_text(api: &Api, who: &Login, conv: &str, client_msg_id: &str, text: &str) -> u64 {
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&who.access_token),
            Some(json!({"client_msg_id": client_msg_id, "kind": "text", "body": {"text": text}})),
        )
        .await;
    assert_eq!(status, 201, "send: {body}");
    body["seq"].as_u64().unwrap()
}

/// `(seq, text)` of a conversation as the server has it.
pub async fn server_texts(api: &Api, who: &Login, conv: &str) -> Vec<(u64, String)> {
    api.all_messages(who, conv)
        .await
        .iter()
        .map(|m| (m["seq"].as_u64().unwrap(), m["body"]["text"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// `(seq, text)` of a conversation as the SDK's store has it (acked messages only).
pub async fn sdk_texts(client: &Client, conv: &str) -> Vec<(u64, String)> {
    client
        .history(conv.to_owned(), None, 200)
        .await
        .unwrap()
        .iter()
        .filter_map(|m| Some((m.seq?, m.text().unwrap_or_default())))
        .collect()
}

/// How often the server stored a message with this client id.
pub async fn stored_count(api: &Api, who: &Login, conv: &str, client_msg_id: &str) -> usize {
    api.all_messages(who, conv).await.iter().filter(|m| m["client_msg_id"] == client_msg_id).count()
}

/// The server's unread count per conversation for `who`.
pub async fn server_unread(api: &Api, who: &Login) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = api
        .conversations(who)
        .await
        .iter()
        .map(|c: &Value| (c["conv"].as_str().unwrap().to_owned(), c["unread"].as_u64().unwrap()))
        .collect();
    rows.sort();
    rows
}

/// The SDK's unread count per conversation.
pub async fn sdk_unread(client: &Client) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> =
        client.conversations().await.unwrap().into_iter().map(|c| (c.conv, c.unread)).collect();
    rows.sort();
    rows
}
