//! The hub: this instance's live connections, by user. A delivery is encoded once and the same
//! bytes are queued to every matching connection; a connection whose bounded queue is full is
//! a slow consumer and is closed (it will reconnect and sync), so it never slows anyone else.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use actix_http::ws::{CloseCode, CloseReason};
use bytestring::ByteString;
use dashmap::DashMap;
use tidings_domain::StoreError;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{LocalDelivery, PresenceReader, RouteOwner};
use tidings_domain::presence::PresenceStatus;
use tidings_domain::{DeviceId, SessionId, UserId};
use tidings_protocol::ServerFrame;

use super::outbox::{Outbox, Refused as NotQueued};

use crate::metrics::HubCounts;
use crate::wire;

/// One live connection as the hub sees it.
#[derive(Clone)]
pub struct ConnHandle {
    /// Unique per process.
    pub id: u64,
    /// The device behind it.
    pub device: DeviceId,
    /// Its session, so a revoked session's sockets can be found.
    pub session: SessionId,
    /// When it was registered (µs since the Unix epoch): with `id`, the owner of its route.
    pub since_us: u64,
    /// Its bounded outbound queue and close request.
    outbox: Arc<Outbox>,
}

impl ConnHandle {
    /// The route owner this connection writes as (cluster mode).
    pub fn owner(&self) -> RouteOwner {
        RouteOwner { since_us: self.since_us, conn: self.id }
    }

    /// Asks the connection to close with `reason`.
    pub fn close(&self, code: CloseCode, why: &str) {
        self.outbox.close(CloseReason { code, description: Some(why.to_owned()) });
    }
}

/// What a new connection gets from the hub.
pub struct Registration {
    /// Its handle (also kept by the hub).
    pub handle: ConnHandle,
    /// Frames to write, and close requests.
    pub outbox: Arc<Outbox>,
    /// This is the user's only connection here (the user came online, as far as this hub knows).
    pub first: bool,
}

/// Why the hub refused a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The instance holds `gateway.max_connections`.
    InstanceFull,
    /// The user holds `gateway.max_connections_per_user` here.
    UserFull,
}

/// Connection caps of one instance (0 = none).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectionCaps {
    /// Connections of the whole instance.
    pub per_instance: usize,
    /// Connections of one user on this instance.
    pub per_user: usize,
}

/// Microseconds since the Unix epoch: a connection's registration time, which orders two
/// connections of one device across instances.
fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Close code of a connection whose session the server ended (`kicked`).
pub const CLOSE_KICKED: u16 = 4001;

/// Live connections of this instance.
pub struct Hub {
    conns: DashMap<UserId, Vec<ConnHandle>>,
    /// Presence subscriptions: watched user -> the connections watching.
    watchers: DashMap<UserId, Vec<ConnHandle>>,
    /// Each connection's watched users, to replace or drop its subscriptions.
    watching: DashMap<u64, Vec<UserId>>,
    /// When each user's last connection ended (embedded presence; kept in memory only).
    last_seen: DashMap<UserId, i64>,
    next_id: AtomicU64,
    queue: usize,
    caps: ConnectionCaps,
    /// Connections held, for the instance cap without a scan.
    live: AtomicUsize,
    /// Woken when the number of connections changes (the discovery announcer reports it).
    count_changed: tokio::sync::Notify,
    /// Pushes queued and slow consumers closed, for `/metrics`.
    counts: HubCounts,
}

impl Hub {
    /// A hub whose connections queue at most `queue` frames each, without caps.
    pub fn new(queue: usize) -> Self {
        Self::with_caps(queue, ConnectionCaps::default())
    }

    /// A hub whose connections queue at most `queue` frames each, holding at most `caps`.
    pub fn with_caps(queue: usize, caps: ConnectionCaps) -> Self {
        Self {
            conns: DashMap::new(),
            watchers: DashMap::new(),
            watching: DashMap::new(),
            last_seen: DashMap::new(),
            next_id: AtomicU64::new(1),
            queue,
            caps,
            live: AtomicUsize::new(0),
            count_changed: tokio::sync::Notify::new(),
            counts: HubCounts::default(),
        }
    }

    /// Adds a connection, unless a cap is reached. A device has one live socket: an older one
    /// of the same device closes (and does not count against the caps).
    pub fn register(&self, user: &UserId, device: &DeviceId, session: &SessionId) -> Result<Registration, Refused> {
        let mut entry = self.conns.entry(user.clone()).or_default();
        let replaced = entry.iter().filter(|old| old.device == *device).count();
        if self.caps.per_user > 0 && entry.len() - replaced >= self.caps.per_user {
            return Err(Refused::UserFull);
        }
        let held = self.live.fetch_add(1, Ordering::AcqRel) + 1 - replaced;
        if self.caps.per_instance > 0 && held > self.caps.per_instance {
            self.live.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::InstanceFull);
        }
        self.live.fetch_sub(replaced, Ordering::AcqRel);
        let outbox = Arc::new(Outbox::new(self.queue));
        let handle = ConnHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            device: device.clone(),
            session: session.clone(),
            since_us: now_us(),
            outbox: outbox.clone(),
        };
        entry.retain(|old| {
            if old.device == *device {
                old.close(CloseCode::Policy, "replaced by a newer connection of this device");
                false
            } else {
                true
            }
        });
        let first = entry.is_empty();
        entry.push(handle.clone());
        self.count_changed.notify_one();
        Ok(Registration { handle, outbox, first })
    }

    /// Removes a connection (only that one: a replacement may already be registered).
    /// Returns whether the user has no connection left here.
    pub fn unregister(&self, user: &UserId, conn_id: u64) -> bool {
        self.subscribe(None, conn_id, &[]);
        self.last_seen.insert(user.clone(), tidings_app::clock::now_ms());
        let mut found = false;
        let gone = self
            .conns
            .remove_if_mut(user, |_, list| {
                let before = list.len();
                list.retain(|c| c.id != conn_id);
                found = list.len() < before;
                list.is_empty()
            })
            .is_some();
        if found {
            self.live.fetch_sub(1, Ordering::AcqRel);
            self.count_changed.notify_one();
        }
        gone
    }

    /// Replaces the presence subscriptions of connection `conn_id` with `users` (`handle` is the
    /// connection; `None` only drops its subscriptions).
    pub fn subscribe(&self, handle: Option<&ConnHandle>, conn_id: u64, users: &[UserId]) {
        if let Some((_, old)) = self.watching.remove(&conn_id) {
            for user in old {
                self.watchers.remove_if_mut(&user, |_, list| {
                    list.retain(|c| c.id != conn_id);
                    list.is_empty()
                });
            }
        }
        let Some(handle) = handle else { return };
        if users.is_empty() {
            return;
        }
        for user in users {
            self.watchers.entry(user.clone()).or_default().push(handle.clone());
        }
        self.watching.insert(conn_id, users.to_vec());
    }

    /// Pushes queued and slow consumers closed since start.
    pub fn counts(&self) -> &HubCounts {
        &self.counts
    }

    /// Resolves once the number of connections changed since the last call returned (or at
    /// once if it changed before this call): the announcer waits on it.
    pub async fn count_changed(&self) {
        self.count_changed.notified().await;
    }

    /// Connections of this instance.
    pub fn device_count(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Whether `device` of `user` has a live connection here (one user's entry, not a scan).
    pub fn has_device(&self, user: &UserId, device: &DeviceId) -> bool {
        self.conns.get(user).is_some_and(|list| list.iter().any(|c| c.device == *device))
    }

    /// Every connection as `(user, device, route owner)`, for refreshing routes.
    pub fn devices(&self) -> Vec<(UserId, DeviceId, RouteOwner)> {
        self.conns
            .iter()
            .flat_map(|e| e.value().iter().map(|c| (e.key().clone(), c.device.clone(), c.owner())).collect::<Vec<_>>())
            .collect()
    }

    /// Closes this device's connections registered before `since_us`: the device connected
    /// again elsewhere, so these are stale (a paused instance, a half-open socket). Returns how
    /// many were asked to close.
    pub fn close_superseded(&self, user: &UserId, device: &DeviceId, since_us: u64) -> usize {
        let Some(list) = self.conns.get(user) else { return 0 };
        let stale: Vec<&ConnHandle> = list.iter().filter(|c| c.device == *device && c.since_us < since_us).collect();
        for conn in &stale {
            tracing::info!(%user, %device, conn = conn.id, "device connected again elsewhere; closing its stale connection here");
            conn.close(CloseCode::Policy, "replaced by a newer connection of this device");
        }
        stale.len()
    }

    fn push(&self, delivery: &Delivery, frame: &ByteString) {
        if let Event::Presence { user_id, .. } = delivery.event.as_ref() {
            if let Some(list) = self.watchers.get(user_id) {
                list.iter().for_each(|conn| self.offer(conn, user_id, frame));
            }
            return;
        }
        for user in &delivery.recipients {
            let Some(list) = self.conns.get(user) else { continue };
            for conn in list.iter() {
                let skipped = delivery.skip_device.as_ref().is_some_and(|(u, d)| u == user && *d == conn.device);
                if skipped {
                    continue;
                }
                self.offer(conn, user, frame);
            }
        }
    }

    /// Queues a frame to one connection unless it is closing; a full queue closes it (slow
    /// consumer).
    fn offer(&self, conn: &ConnHandle, user: &UserId, frame: &ByteString) {
        match conn.outbox.push(frame.clone()) {
            Ok(()) => {
                self.counts.pushes.fetch_add(1, Ordering::Relaxed);
            }
            Err(NotQueued::Full) => {
                tracing::warn!(user = %user, conn = conn.id, "slow consumer: outbound queue full, closing");
                self.counts.slow_consumers.fetch_add(1, Ordering::Relaxed);
                conn.close(CloseCode::Again, "slow consumer: reconnect and sync");
            }
            Err(NotQueued::Closing) => {}
        }
    }

    /// Sends a `kicked` frame to the connections of a session the server ended, then closes them.
    fn kick(&self, user: &UserId, session: &SessionId, reason: &str) {
        let Some(list) = self.conns.get(user) else { return };
        let frame = ServerFrame::Kicked { reason: reason.to_owned() };
        let text = serde_json::to_string(&frame).map(ByteString::from).ok();
        for conn in list.iter().filter(|c| c.session == *session) {
            if let Some(text) = &text {
                self.offer(conn, user, text);
            }
            conn.close(CloseCode::Other(CLOSE_KICKED), reason);
        }
    }
}

#[async_trait::async_trait]
impl PresenceReader for Hub {
    async fn presence(&self, users: &[UserId], now_ms: i64) -> Result<Vec<PresenceStatus>, StoreError> {
        Ok(users
            .iter()
            .map(|u| {
                let online = self.conns.get(u).is_some_and(|l| !l.is_empty());
                let last_active_at = if online { Some(now_ms) } else { self.last_seen.get(u).map(|t| *t) };
                PresenceStatus { online, last_active_at }
            })
            .collect())
    }

    async fn online_devices(&self, user: &UserId) -> Result<Vec<DeviceId>, StoreError> {
        Ok(self.conns.get(user).map(|l| l.iter().map(|c| c.device.clone()).collect()).unwrap_or_default())
    }
}

#[async_trait::async_trait]
impl tidings_domain::admin::OnlineCounter for Hub {
    async fn online_devices(&self) -> Result<u64, StoreError> {
        Ok(self.device_count() as u64)
    }
}

impl LocalDelivery for Hub {
    fn deliver(&self, delivery: &Delivery) {
        let frame = match delivery.event.as_ref() {
            // A commit reporting its seq to the cluster's push order, with nobody here to push to.
            Event::Message(_) if delivery.recipients.is_empty() => return,
            Event::Message(m) => ServerFrame::Msg { message: wire::message(m) },
            Event::Read { conv, user_id, seq } => {
                ServerFrame::Read { conv: conv.to_string(), user_id: user_id.to_string(), seq: *seq }
            }
            Event::ThreadRead { conv, root, seq, threads, .. } => {
                ServerFrame::ThreadRead { conv: conv.to_string(), root: *root, seq: *seq, threads: *threads }
            }
            Event::SessionRevoked { user_id, session_id } => {
                if let Some(list) = self.conns.get(user_id) {
                    for conn in list.iter().filter(|c| c.session == *session_id) {
                        conn.close(CloseCode::Policy, "session revoked");
                    }
                }
                return;
            }
            Event::Kicked { user_id, session_id, reason } => {
                self.kick(user_id, session_id, reason);
                return;
            }
            Event::Presence { user_id, online, last_active_at } => {
                ServerFrame::Presence { user_id: user_id.to_string(), online: *online, last_active_at: *last_active_at }
            }
            Event::Typing { conv, user_id } => {
                ServerFrame::Typing { conv: conv.to_string(), user_id: user_id.to_string() }
            }
            Event::Superseded { user_id, device_id, since_us } => {
                self.close_superseded(user_id, device_id, *since_us);
                return;
            }
            // The route caches in front of Redis handle it; no device sees it.
            Event::RoutesMoved { .. } => return,
        };
        match serde_json::to_string(&frame) {
            Ok(text) => self.push(delivery, &ByteString::from(text)),
            Err(e) => tracing::error!(error = %e, "could not encode a push"),
        }
    }
}
