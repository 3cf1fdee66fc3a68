//! The cluster [`Notifier`]: look up where the recipients' devices are connected (one pipelined
//! Redis call), deliver to this instance's own devices directly, and publish one envelope per
//! other instance carrying that instance's share of the recipients. Group fan-out therefore
//! costs one publish per instance, not per member.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::UserId;
use tidings_domain::event::{Delivery, Event};
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

impl ClusterNotifier {
    /// Events for subscribers anywhere (presence): to this instance's hub and one publish to
    /// every other live instance.
    async fn broadcast(&self, deliveries: &[Delivery]) {
        deliveries.iter().for_each(|d| self.hub.deliver(d));
        let instances = match self.routes.live_instances().await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "instance lookup failed; broadcast delivered locally only");
                return;
            }
        };
        let parts: Vec<(&Delivery, Vec<UserId>)> = deliveries.iter().map(|d| (d, Vec::new())).collect();
        let body = match envelope::encode_many(&parts) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "could not encode broadcast envelopes");
                return;
            }
        };
        for instance in instances.iter().filter(|i| i.as_str() != self.routes.instance()) {
            self.bus.publish(instance, body.clone()).await;
        }
    }
}

#[async_trait]
impl Notifier for ClusterNotifier {
    async fn notify(&self, delivery: Delivery) {
        self.notify_many(vec![delivery]).await;
    }

    /// One route lookup for every recipient of every delivery, then per instance: local
    /// deliveries straight to the hub, and one AMQP message carrying all of that instance's
    /// envelopes, in order.
    async fn notify_many(&self, deliveries: Vec<Delivery>) {
        let (broadcasts, deliveries): (Vec<Delivery>, Vec<Delivery>) =
            deliveries.into_iter().partition(|d| d.event.is_broadcast());
        if !broadcasts.is_empty() {
            self.broadcast(&broadcasts).await;
        }
        if deliveries.is_empty() {
            return;
        }
        let mut users: Vec<UserId> = deliveries.iter().flat_map(|d| d.recipients.iter().cloned()).collect();
        users.sort();
        users.dedup();
        let found = match self.routes.lookup(&users).await {
            Ok(found) => found,
            Err(e) => {
                // Without routes, at least this instance's own devices get the pushes.
                tracing::warn!(error = %e, "route lookup failed; delivering locally only");
                deliveries.iter().for_each(|d| self.hub.deliver(d));
                return;
            }
        };
        let mut instances_of: HashMap<UserId, Vec<String>> = HashMap::new();
        for (user, _device, instance) in found {
            let list = instances_of.entry(user).or_default();
            if !list.contains(&instance) {
                list.push(instance);
            }
        }
        let mut remote: HashMap<String, Vec<(&Delivery, Vec<UserId>)>> = HashMap::new();
        for delivery in &deliveries {
            let mut per_instance: HashMap<&str, Vec<UserId>> = HashMap::new();
            for user in &delivery.recipients {
                for instance in instances_of.get(user).into_iter().flatten() {
                    per_instance.entry(instance.as_str()).or_default().push(user.clone());
                }
            }
            if matches!(delivery.event.as_ref(), Event::Message(_))
                && !per_instance.contains_key(self.routes.instance())
            {
                // Nobody here gets it, but the push order here learns that its seq exists, so
                // a later push of the conversation does not wait for it (see `order`).
                self.hub.deliver(&Delivery { recipients: Vec::new(), ..delivery.clone() });
            }
            for (instance, users) in per_instance {
                if instance == self.routes.instance() {
                    self.hub.deliver(&Delivery { recipients: users, ..delivery.clone() });
                } else {
                    remote.entry(instance.to_owned()).or_default().push((delivery, users));
                }
            }
        }
        for (instance, parts) in remote {
            match envelope::encode_many(&parts) {
                Ok(body) => self.bus.publish(&instance, body).await,
                Err(e) => tracing::error!(error = %e, "could not encode push envelopes"),
            }
        }
    }
}
