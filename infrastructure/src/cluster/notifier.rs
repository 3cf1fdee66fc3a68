//! The cluster [`Notifier`]: look up where the recipients' devices are connected (one pipelined
//! Redis call), deliver to this instance's own devices directly, and publish one envelope per
//! other instance carrying that instance's share of the recipients. Group fan-out therefore
//! costs one publish per instance, not per member.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::UserId;
use tidings_domain::event::Delivery;
use tidings_domain::ports::{LocalDelivery, Notifier};

use super::bus::AmqpBus;
use super::envelope;
use super::routes::RedisRoutes;

/// Routes deliveries across the cluster.
pub struct ClusterNotifier {
    routes: Arc<RedisRoutes>,
    bus: AmqpBus,
    hub: Arc<dyn LocalDelivery>,
}

impl ClusterNotifier {
    /// Uses `routes` to find devices, `bus` to reach other instances, `hub` for local ones.
    pub fn new(routes: Arc<RedisRoutes>, bus: AmqpBus, hub: Arc<dyn LocalDelivery>) -> Self {
        Self { routes, bus, hub }
    }
}

#[async_trait]
impl Notifier for ClusterNotifier {
    async fn notify(&self, delivery: Delivery) {
        let found = match self.routes.lookup(&delivery.recipients).await {
            Ok(found) => found,
            Err(e) => {
                // Without routes, at least this instance's own devices get the push.
                tracing::warn!(error = %e, "route lookup failed; delivering locally only");
                self.hub.deliver(&delivery);
                return;
            }
        };
        let mut by_instance: HashMap<String, Vec<UserId>> = HashMap::new();
        for (user, _device, instance) in found {
            let users = by_instance.entry(instance).or_default();
            if !users.contains(&user) {
                users.push(user);
            }
        }
        for (instance, users) in by_instance {
            if instance == self.routes.instance() {
                self.hub.deliver(&Delivery { recipients: users, ..delivery.clone() });
                continue;
            }
            match envelope::encode(&delivery, &users) {
                Ok(body) => self.bus.publish(&instance, body).await,
                Err(e) => tracing::error!(error = %e, "could not encode a push envelope"),
            }
        }
    }
}
