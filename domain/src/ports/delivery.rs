//! Getting events to devices: the realtime delivery, what observes commits, routes,
//! presence and the change counters `pong` carries.

use crate::error::StoreError;
use crate::event::Delivery;
use crate::ids::{DeviceId, UserId};
use crate::presence::PresenceStatus;
use async_trait::async_trait;

/// Routes events to the devices that are online, wherever they are connected.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Best effort: a lost delivery is repaired by the client's next sync.
    async fn notify(&self, delivery: Delivery);
    /// Several deliveries, in order (batched where the transport allows).
    async fn notify_many(&self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            self.notify(d).await;
        }
    }
}

/// Reacts to what the server hands on after a commit (offline push, webhooks, and later search
/// indexing, bots, content hooks), in the order the composition root lists the observers. It
/// sees every batch the realtime delivery sees, before that delivery, and must never wait: an
/// observer takes what it needs and hands it to a queue of its own, so a slow observer can cost
/// its own work, never a send's ack or another observer's turn.
pub trait CommitObserver: Send + Sync {
    /// A short stable name for logs and metrics (`push`, `webhooks`, ...).
    fn name(&self) -> &'static str;
    /// One batch of deliveries, in commit order. Only message events are commits; the rest
    /// (typing, presence, read positions) pass by and an observer may ignore them.
    fn observe(&self, deliveries: &[Delivery]);
}

/// Per-user change counters: a user's moves with every message committed into one of their
/// conversations. The `pong` frame carries it, so a connected device that missed a push (a
/// route lost, a broker link down) sees it move and syncs within one heartbeat. Moved by the
/// notifier as it hands messages on; a counter that was lost starts again from nothing, which the
/// device also sees as a move.
#[async_trait]
pub trait ChangeCounter: Send + Sync {
    /// The user's counter now (0 when none is kept).
    async fn current(&self, user: &UserId) -> Result<u64, StoreError>;
}

/// Hands a delivery to the devices connected to this instance (the WebSocket hub). Must not
/// block: a slow device is the hub's problem, never the sender's.
pub trait LocalDelivery: Send + Sync {
    /// Delivers to every matching local connection.
    fn deliver(&self, delivery: &Delivery);
}

/// Which connection holds a device's route. A device can have two connections for a while (a
/// stale socket on a paused instance and its newer one elsewhere): the newer one owns the route,
/// and the stale one can neither overwrite nor delete it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteOwner {
    /// When the connection was registered (microseconds since the Unix epoch): newer wins.
    pub since_us: u64,
    /// The connection's id in its process (tells apart two registered in the same microsecond).
    pub conn: u64,
}

/// Where each connected device is (cluster mode): written on connect, kept alive by periodic
/// refreshes, removed on disconnect, each time only by the connection that owns it. A socket
/// opens only once its route is written (so every push committed after the client's catch-up
/// finds it); after that, a lost route costs a push until the next refresh, never a message.
#[async_trait]
pub trait RouteRegistry: Send + Sync {
    /// A device connected to this instance as `owner`. Returns whether it is now the user's only
    /// connected device anywhere (the user came online), or the error that kept the route from
    /// being written (the connection is then refused: the client retries later).
    async fn connected(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> Result<bool, StoreError>;
    /// That connection ended. Returns whether the user has no connected device left anywhere
    /// (the user went offline).
    async fn disconnected(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> bool;
    /// Re-asserts the routes of the connections here (after expiry or a lost Redis state).
    /// Returns the ones whose device has a newer connection elsewhere: they are stale and
    /// should close.
    async fn refresh(&self, devices: &[(UserId, DeviceId, RouteOwner)]) -> Vec<(UserId, DeviceId, RouteOwner)>;
}

/// Reads presence (the hub in embedded mode, Redis in cluster mode).
#[async_trait]
pub trait PresenceReader: Send + Sync {
    /// Presence of each user, in the order asked.
    async fn presence(&self, users: &[UserId], now_ms: i64) -> Result<Vec<PresenceStatus>, StoreError>;
    /// The user's devices connected now (anywhere in the cluster).
    async fn online_devices(&self, user: &UserId) -> Result<Vec<DeviceId>, StoreError>;
}
