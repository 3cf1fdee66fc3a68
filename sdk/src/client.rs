//! The public face of the SDK: a [`Client`] an app builds once and shares as `Arc<Client>`.
//! Account calls, the connection switch, sending, history, reads and recalls live here;
//! friends and groups are in `social.rs`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tidings_protocol::WireMessage;
use tidings_protocol::rest::{
    LoginRequest, MessagePage, ReadRequest, RegisterRequest, RegisterResponse, SendMessageResponse, TokenResponse,
};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::SdkError;
use crate::config::ClientConfig;
use crate::conn::link::Link;
use crate::discovery::Directory;
use crate::events::{ClientEvent, ClientListener, Events};
use crate::rest::Rest;
use crate::session::{Session, Sessions, now_ms};
use crate::store::{ConvFacts, Store};
use crate::sync::SyncQueue;
use crate::types::{Conversation, Message, MessageStatus, direct_conv_id};

/// Store key of the user whose data the store holds.
const OWNER_KEY: &str = "owner";
/// Largest history page (the server's cap).
pub(crate) const MAX_PAGE: u32 = 200;

/// State shared by the client and its background tasks.
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) store: Store,
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) rest: Rest,
    pub(crate) events: Events,
    pub(crate) link: Link,
    /// The server candidates and the chosen server, for the app to read.
    pub(crate) directory: Directory,
    /// Wakes the outbox worker (a new message, a new connection).
    pub(crate) outbox_kick: Notify,
    pub(crate) sync_queue: SyncQueue,
    /// Last total unread reported, to report only changes.
    last_total: AtomicU64,
}

impl Inner {
    /// The logged-in user.
    pub(crate) fn me(&self) -> Result<String, SdkError> {
        self.sessions.user_id().ok_or(SdkError::NotLoggedIn)
    }

    /// Reports a conversation row and, if it moved, the total unread count.
    pub(crate) async fn conversation_changed(&self, conv: &str) -> Result<(), SdkError> {
        let me = self.me()?;
        if let Some(conversation) = self.store.conversation(conv, &me).await? {
            self.events.emit(ClientEvent::ConversationChanged { conversation });
        }
        let total = self.store.total_unread(&me).await?;
        if self.last_total.swap(total, Ordering::Relaxed) != total {
            self.events.emit(ClientEvent::TotalUnreadChanged { total });
        }
        Ok(())
    }
}

/// Background tasks of a running connection.
struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// The Tidings client. Build it with [`Client::new`], log in, [`Client::connect`], and listen.
pub struct Client {
    inner: Arc<Inner>,
    running: Mutex<Option<Running>>,
}

impl Client {
    /// Opens the local store in the config's data dir and restores a saved session, if any.
    /// Must be called inside a tokio runtime.
    pub async fn new(config: ClientConfig) -> Result<Arc<Self>, SdkError> {
        config.check()?;
        let store = Store::open(&PathBuf::from(&config.data_dir)).await?;
        let sessions = Arc::new(Sessions::load(store.clone()).await?);
        let rest =
            Rest::new(config.servers.clone(), Duration::from_millis(config.request_timeout_ms), sessions.clone())?;
        let directory = Directory::new(&config.servers);
        let inner = Inner {
            config,
            store,
            sessions,
            rest,
            events: Events::start(),
            link: Link::default(),
            directory,
            outbox_kick: Notify::new(),
            sync_queue: SyncQueue::default(),
            last_total: AtomicU64::new(u64::MAX),
        };
        Ok(Arc::new(Self { inner: Arc::new(inner), running: Mutex::new(None) }))
    }

    /// Registers a listener for every [`ClientEvent`]; the id removes it.
    pub fn add_listener(&self, listener: Arc<dyn ClientListener>) -> u64 {
        self.inner.events.add(listener)
    }

    /// Removes a listener; false if the id was unknown.
    pub fn remove_listener(&self, id: u64) -> bool {
        self.inner.events.remove(id)
    }

    /// The logged-in user (also after a restart with a saved session).
    pub fn user_id(&self) -> Option<String> {
        self.inner.sessions.user_id()
    }

    /// Creates an account; returns its user id.
    pub async fn register(
        &self,
        username: String,
        password: String,
        display_name: Option<String>,
    ) -> Result<String, SdkError> {
        let body = serde_json::to_value(RegisterRequest { username, password, display_name })?;
        let r: RegisterResponse =
            self.inner.rest.call_public(Method::POST, "/api/v1/auth/register", Some(body)).await?;
        Ok(r.user_id)
    }

    /// Logs this device in and saves the session; returns the user id. Logging in as a different
    /// user than the store belongs to clears the store first.
    pub async fn login(&self, username: String, password: String) -> Result<String, SdkError> {
        let cfg = &self.inner.config;
        let body = serde_json::to_value(LoginRequest {
            username,
            password,
            device_id: cfg.device_id.clone(),
            platform: cfg.platform.clone(),
        })?;
        let tokens: TokenResponse = self.inner.rest.call_public(Method::POST, "/api/v1/auth/login", Some(body)).await?;
        let session = Session::from_tokens(tokens);
        let user_id = session.user_id.clone();
        let store = &self.inner.store;
        if store.get_kv(OWNER_KEY).await?.as_deref() != Some(user_id.as_str()) {
            store.wipe().await?;
            store.set_kv(OWNER_KEY, Some(&user_id)).await?;
        }
        self.inner.sessions.set(Some(session)).await?;
        self.inner.last_total.store(u64::MAX, Ordering::Relaxed);
        tracing::info!(%user_id, "logged in");
        Ok(user_id)
    }

    /// Logs this device out on the server and forgets the session (the store is kept for the
    /// same user's next login).
    pub async fn logout(&self) -> Result<(), SdkError> {
        self.disconnect().await;
        let result = self.inner.rest.call::<Value>(Method::POST, "/api/v1/auth/logout", None).await;
        self.inner.sessions.set(None).await?;
        result.map(|_| ())
    }

    /// Starts the connection (and keeps it up in the background, reconnecting as needed).
    /// Needs a session. Calling it while running does nothing.
    pub async fn connect(&self) -> Result<(), SdkError> {
        self.inner.me()?;
        let Ok(mut running) = self.running.lock() else { return Err(SdkError::Shutdown) };
        // The connection task (first) ends by itself after a kick or an expired session; then
        // the workers are stopped and everything starts afresh.
        if running.as_ref().is_some_and(|r| r.tasks.first().is_some_and(|t| !t.is_finished())) {
            return Ok(());
        }
        if let Some(old) = running.take() {
            let _ = old.stop.send(true);
        }
        let (stop, stopped) = watch::channel(false);
        let inner = &self.inner;
        let sync_rx = inner.sync_queue.open();
        let tasks = vec![
            tokio::spawn(crate::conn::run(inner.clone(), stopped.clone())),
            tokio::spawn(crate::sync::run(inner.clone(), sync_rx, stopped.clone())),
            tokio::spawn(crate::sender::run(inner.clone(), stopped)),
        ];
        *running = Some(Running { stop, tasks });
        Ok(())
    }

    /// Closes the connection and stops reconnecting; unsent messages stay in the outbox.
    pub async fn disconnect(&self) {
        let running = self.running.lock().ok().and_then(|mut r| r.take());
        if let Some(r) = running {
            let _ = r.stop.send(true);
            for t in r.tasks {
                let _ = t.await;
            }
        }
    }

    /// Disconnects and closes the store. The client cannot be used afterwards; build a new one.
    pub async fn shutdown(&self) {
        self.disconnect().await;
        self.inner.store.close().await;
    }

    /// The direct conversation id with `peer`.
    pub fn direct_conversation(&self, peer: String) -> Result<String, SdkError> {
        Ok(direct_conv_id(&self.inner.me()?, &peer))
    }

    /// Sends a text message. See [`Client::send_message`].
    pub async fn send_text(&self, conv: String, text: String) -> Result<Message, SdkError> {
        self.send_message(conv, "text".into(), json!({ "text": text }).to_string()).await
    }

    /// Queues a message and returns it at once with status `sending` and its client_msg_id. It
    /// goes out as soon as the connection is up (also after an app restart); a
    /// `MessageStatusChanged` event reports `sent` (with the seq) or `failed`.
    pub async fn send_message(&self, conv: String, kind: String, body_json: String) -> Result<Message, SdkError> {
        let me = self.inner.me()?;
        let mut body: Value = serde_json::from_str(&body_json)
            .map_err(|e| SdkError::InvalidInput { message: format!("body is not JSON: {e}") })?;
        if !body.is_object() {
            return Err(SdkError::InvalidInput { message: "body must be a JSON object".into() });
        }
        if kind.is_empty() || conv.is_empty() {
            return Err(SdkError::InvalidInput { message: "conv and kind must not be empty".into() });
        }
        self.quote_locally(&conv, &mut body).await?;
        let message = Message {
            conv: conv.clone(),
            seq: None,
            msg_id: None,
            sender: me.clone(),
            client_msg_id: ulid::Ulid::new().to_string(),
            kind,
            body: body.to_string(),
            ts: now_ms(),
            status: MessageStatus::Sending,
            edited_at: None,
            reactions: Vec::new(),
            thread: None,
        };
        self.inner.store.ensure_conversation(&ConvFacts::from_id(&conv, &me)).await?;
        self.inner.store.enqueue(&message).await?;
        self.inner.conversation_changed(&conv).await?;
        self.inner.outbox_kick.notify_one();
        Ok(message)
    }

    /// A reply shows its quote before the server has it: the same snapshot the server makes,
    /// from the quoted message in the store (the server replaces it with its own on commit).
    async fn quote_locally(&self, conv: &str, body: &mut Value) -> Result<(), SdkError> {
        let Some(reply) = body.get_mut("reply_to").and_then(Value::as_object_mut) else { return Ok(()) };
        let Some(seq) = reply.get("seq").and_then(Value::as_u64) else { return Ok(()) };
        if let Some(quoted) = self.inner.store.message_at(conv, seq).await? {
            let original: Value = serde_json::from_str(&quoted.body).unwrap_or_default();
            let quote = tidings_protocol::bodies::Quote::of(&quoted.sender, &quoted.kind, &original);
            reply.insert("quote".into(), serde_json::to_value(quote).unwrap_or_default());
        }
        Ok(())
    }

    /// Puts a `failed` message back in the outbox (same client_msg_id).
    pub async fn retry(&self, client_msg_id: String) -> Result<(), SdkError> {
        let me = self.inner.me()?;
        if !self.inner.store.requeue(&me, &client_msg_id).await? {
            return Err(SdkError::InvalidInput { message: "no failed message with that client_msg_id".into() });
        }
        self.inner.outbox_kick.notify_one();
        Ok(())
    }

    /// An own message by client id, with its current status.
    pub async fn message_by_client_id(&self, client_msg_id: String) -> Result<Option<Message>, SdkError> {
        self.inner.store.own_message(&self.inner.me()?, &client_msg_id).await
    }

    /// How many messages wait in the outbox.
    pub async fn outbox_len(&self) -> Result<u64, SdkError> {
        self.inner.store.outbox_len().await
    }

    /// The conversation list from the local store, most recent first, with unread counts.
    pub async fn conversations(&self) -> Result<Vec<Conversation>, SdkError> {
        self.inner.store.conversations(&self.inner.me()?).await
    }

    /// One conversation from the local store.
    pub async fn conversation(&self, conv: String) -> Result<Option<Conversation>, SdkError> {
        self.inner.store.conversation(&conv, &self.inner.me()?).await
    }

    /// The sum of unread counts.
    pub async fn total_unread(&self) -> Result<u64, SdkError> {
        self.inner.store.total_unread(&self.inner.me()?).await
    }

    /// The sync cursor of a conversation: every message up to it is in the local store.
    pub async fn cursor(&self, conv: String) -> Result<u64, SdkError> {
        self.inner.store.cursor(&conv).await
    }

    /// Up to `limit` (1–200) messages below `before_seq` (the newest when `None`), ascending.
    /// Served from the store when it holds an unbroken run; otherwise the page is fetched from
    /// the server and stored. Offline, whatever the store has is returned.
    pub async fn history(&self, conv: String, before_seq: Option<u64>, limit: u32) -> Result<Vec<Message>, SdkError> {
        let page = self.history_rows(conv, before_seq, limit).await?;
        self.inner.store.annotate(&self.inner.me()?, page).await
    }

    /// [`Self::history`] without the reactions.
    async fn history_rows(&self, conv: String, before_seq: Option<u64>, limit: u32) -> Result<Vec<Message>, SdkError> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(SdkError::InvalidInput { message: format!("limit must be 1..={MAX_PAGE}") });
        }
        let store = &self.inner.store;
        let local = store.history(&conv, before_seq, limit).await?;
        let top = match before_seq {
            Some(b) => b.saturating_sub(1),
            None => store.conversation(&conv, &self.inner.me()?).await?.map_or(0, |c| c.max_seq),
        };
        let stored: Vec<u64> = local.iter().filter_map(|m| m.seq).rev().collect();
        let want = usize::try_from(u64::from(limit).min(top)).unwrap_or(usize::MAX);
        let unbroken = stored.len() >= want && stored.iter().take(want).zip((1..=top).rev()).all(|(a, b)| *a == b);
        if unbroken || top == 0 {
            return Ok(local);
        }
        let path = format!("/api/v1/conversations/{conv}/messages?before_seq={}&limit={limit}", top + 1);
        match self.inner.rest.call::<MessagePage>(Method::GET, &path, None).await {
            Ok(page) => {
                for m in &page.messages {
                    crate::receive::absorb(&self.inner, m, false).await?;
                }
                store.history(&conv, before_seq, limit).await
            }
            Err(SdkError::Network { .. } | SdkError::Timeout) => Ok(local),
            Err(e) => Err(e),
        }
    }

    /// Marks everything up to `seq` read: at once in the store (unread counts drop), then on
    /// the server. Offline, the read goes to the server on the next connection.
    pub async fn mark_read(&self, conv: String, seq: u64) -> Result<(), SdkError> {
        let inner = &self.inner;
        if inner.store.set_read(&conv, seq).await? {
            inner.conversation_changed(&conv).await?;
        }
        let body = serde_json::to_value(ReadRequest { seq })?;
        match inner.rest.call::<Value>(Method::POST, &format!("/api/v1/conversations/{conv}/read"), Some(body)).await {
            Ok(_) => inner.store.set_server_read(&conv, seq).await,
            Err(SdkError::Network { .. } | SdkError::Timeout) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Recalls message `seq` (own messages within the window; group owners and admins any).
    pub async fn recall(&self, conv: String, seq: u64) -> Result<(), SdkError> {
        let inner = &self.inner;
        let path = format!("/api/v1/conversations/{conv}/messages/{seq}/recall");
        let ack: SendMessageResponse = inner.rest.call(Method::POST, &path, None).await?;
        let me = inner.me()?;
        // Apply the notice now; its push (to this device too) is then a duplicate.
        let notice = WireMessage {
            conv: conv.clone(),
            seq: ack.seq,
            msg_id: ack.msg_id,
            sender: me.clone(),
            client_msg_id: ack.client_msg_id,
            kind: "recall".into(),
            body: json!({ "seq": seq, "by": me }),
            ts: ack.ts,
            edited_at: None,
            reactions: Vec::new(),
            thread: None,
        };
        crate::receive::absorb(inner, &notice, true).await?;
        inner.store.note_seq(&conv, ack.seq).await?;
        inner.store.advance_cursor(&conv, 0).await?;
        inner.conversation_changed(&conv).await
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(mut r) = self.running.lock()
            && let Some(r) = r.take()
        {
            let _ = r.stop.send(true);
        }
    }
}
