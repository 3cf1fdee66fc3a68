//! The cluster's [`RouteRegistry`]: routes owned by connections (see `routes`), and when a
//! device connects here while an older connection of it is registered on another instance, that
//! instance is told to close the stale one (one `superseded` envelope to its queue). With route
//! caches on, the users whose devices connected here are announced to every instance, 50 ms
//! at a time (`RoutesMoved`), so they drop their cached copies.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{RouteOwner, RouteRegistry};
use tidings_domain::{DeviceId, StoreError, UserId};
use tokio::sync::mpsc;

use super::bus::AmqpBus;
use super::envelope;
use super::known::KnownInstances;
use super::routes::RedisRoutes;

/// How many times a connecting device's route write is tried before the connection is refused
/// (a pool momentarily exhausted by a connect storm usually has room a moment later).
const CLAIM_ATTEMPTS: u32 = 3;
/// The pause before the second try; the third waits twice as long.
const CLAIM_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// How long route moves are gathered before one announcement carries them all.
const MOVES_BATCH: Duration = Duration::from_millis(50);

/// Routes in Redis, with stale connections elsewhere told to close.
pub struct ClusterRegistry {
    routes: Arc<RedisRoutes>,
    bus: AmqpBus,
    moves: Option<mpsc::UnboundedSender<UserId>>,
}

impl ClusterRegistry {
    /// Writes routes through `routes`, sends close notices through `bus`; when `routes` has a
    /// cache, announces moves to the other instances (must be called within a Tokio runtime).
    pub fn new(routes: Arc<RedisRoutes>, bus: AmqpBus) -> Self {
        let moves = routes.cache().is_some().then(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(announce_moves(routes.clone(), bus.clone(), rx));
            tx
        });
        Self { routes, bus, moves }
    }

    async fn tell_superseded(&self, instance: &str, user: &UserId, device: &DeviceId, since_us: u64) {
        let notice = Delivery {
            recipients: Vec::new(),
            skip_device: None,
            event: Arc::new(Event::Superseded { user_id: user.clone(), device_id: device.clone(), since_us }),
        };
        match envelope::encode_many(&[(&notice, Vec::new())]) {
            Ok(body) => self.bus.publish(instance, body).await,
            Err(e) => tracing::error!(error = %e, "could not encode a superseded notice"),
        }
    }
}

#[async_trait]
impl RouteRegistry for ClusterRegistry {
    async fn connected(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> Result<bool, StoreError> {
        let mut attempt = 1;
        let claim = loop {
            match self.routes.claim(user, device, owner).await {
                Ok(claim) => break claim,
                Err(e) if attempt < CLAIM_ATTEMPTS => {
                    tracing::debug!(error = %e, %user, attempt, "could not write route; trying again");
                    tokio::time::sleep(CLAIM_RETRY_PAUSE * attempt).await;
                    attempt += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, %user, "could not write route; the connection is refused");
                    return Err(e);
                }
            }
        };
        if let Some(moves) = &self.moves {
            let _ = moves.send(user.clone());
        }
        if let Some(instance) = &claim.replaced_on {
            self.tell_superseded(instance, user, device, owner.since_us).await;
        }
        Ok(claim.came_online)
    }

    async fn disconnected(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> bool {
        match self.routes.release(user, device, owner).await {
            Ok(offline) => offline,
            Err(e) => {
                tracing::warn!(error = %e, %user, "could not remove route; it expires by itself");
                false
            }
        }
    }

    async fn refresh(&self, devices: &[(UserId, DeviceId, RouteOwner)]) -> Vec<(UserId, DeviceId, RouteOwner)> {
        match self.routes.refresh_owned(devices).await {
            Ok(stale) => stale,
            Err(e) => {
                tracing::warn!(error = %e, "route refresh failed; will retry");
                Vec::new()
            }
        }
    }
}

/// Gathers the users whose devices connected here for [`MOVES_BATCH`], then tells every other
/// instance seen live recently (see [`KnownInstances`]) in one envelope each; ends when the
/// registry is dropped.
async fn announce_moves(routes: Arc<RedisRoutes>, bus: AmqpBus, mut rx: mpsc::UnboundedReceiver<UserId>) {
    let known = KnownInstances::new(routes);
    while let Some(first) = rx.recv().await {
        tokio::time::sleep(MOVES_BATCH).await;
        let mut users = vec![first];
        while let Ok(user) = rx.try_recv() {
            users.push(user);
        }
        users.sort();
        users.dedup();
        let notice =
            Delivery { recipients: Vec::new(), skip_device: None, event: Arc::new(Event::RoutesMoved { users }) };
        let body = match envelope::encode_many(&[(&notice, Vec::new())]) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "could not encode a routes-moved notice");
                continue;
            }
        };
        for instance in known.others().await {
            bus.publish(&instance, body.clone()).await;
        }
    }
}
