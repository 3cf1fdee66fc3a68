//! The cluster's [`RouteRegistry`]: routes owned by connections (see `routes`), and when a
//! device connects here while an older connection of it is registered on another instance, that
//! instance is told to close the stale one (one `superseded` envelope to its queue).

use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{RouteOwner, RouteRegistry};
use tidings_domain::{DeviceId, UserId};

use super::bus::AmqpBus;
use super::envelope;
use super::routes::RedisRoutes;

/// Routes in Redis, with stale connections elsewhere told to close.
pub struct ClusterRegistry {
    routes: Arc<RedisRoutes>,
    bus: AmqpBus,
}

impl ClusterRegistry {
    /// Writes routes through `routes`, sends close notices through `bus`.
    pub fn new(routes: Arc<RedisRoutes>, bus: AmqpBus) -> Self {
        Self { routes, bus }
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
    async fn connected(&self, user: &UserId, device: &DeviceId, owner: RouteOwner) -> bool {
        match self.routes.claim(user, device, owner).await {
            Ok(claim) => {
                if let Some(instance) = &claim.replaced_on {
                    self.tell_superseded(instance, user, device, owner.since_us).await;
                }
                claim.came_online
            }
            Err(e) => {
                tracing::warn!(error = %e, %user, "could not write route; it is written at the next refresh");
                false
            }
        }
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
