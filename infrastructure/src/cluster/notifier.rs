//! The cluster [`Notifier`]: look up where the recipients' devices are connected (one pipelined
//! Redis call), deliver to this instance's own devices directly (whatever the lookup found, even
//! when it failed), publish one envelope per other instance carrying that instance's share of the
//! recipients, and move the recipients' change counters. Group fan-out therefore costs one
//! publish per instance, not per member. When the lookup fails (Redis down or tripped), the
//! pushes go to every instance seen live recently with all their recipients, each delivering
//! to whichever are connected there: more broker traffic while Redis is in trouble, instead of
//! pushes that go silent.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use tidings_domain::UserId;
use tidings_domain::event::{Delivery, message_counts};
use tidings_domain::ports::{LocalDelivery, Notifier};

use super::bus::AmqpBus;
use super::envelope;
use super::known::KnownInstances;
use super::routes::RedisRoutes;

/// Routes deliveries across the cluster.
pub struct ClusterNotifier {
    routes: Arc<RedisRoutes>,
    bus: AmqpBus,
    hub: Arc<dyn LocalDelivery>,
    known: KnownInstances,
}

impl ClusterNotifier {
    /// Uses `routes` to find devices, `bus` to reach other instances, `hub` for local ones.
    pub fn new(routes: Arc<RedisRoutes>, bus: AmqpBus, hub: Arc<dyn LocalDelivery>) -> Self {
        Self { known: KnownInstances::new(routes.clone()), routes, bus, hub }
    }
}

impl ClusterNotifier {
    /// Events for subscribers anywhere (presence): to this instance's hub and one publish to
    /// every other live instance.
    async fn broadcast(&self, deliveries: &[Delivery]) {
        deliveries.iter().for_each(|d| self.hub.deliver(d));
        let parts: Vec<(&Delivery, Vec<UserId>)> = deliveries.iter().map(|d| (d, Vec::new())).collect();
        self.publish_to_all(&parts).await;
    }

    /// One envelope list to every other instance seen live recently.
    async fn publish_to_all(&self, parts: &[(&Delivery, Vec<UserId>)]) {
        let body = match envelope::encode_many(parts) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "could not encode envelopes for every instance");
                return;
            }
        };
        for instance in self.known.others().await {
            self.bus.publish(&instance, body.clone()).await;
        }
    }
}

#[async_trait]
impl Notifier for ClusterNotifier {
    async fn notify(&self, delivery: Delivery) {
        self.notify_many(vec![delivery]).await;
    }

    /// One route lookup for every recipient of every delivery; then every delivery to this
    /// instance's hub (all recipients: the hub pushes to whichever are connected here, whatever
    /// the routes say, and when the lookup fails too), and one AMQP message per other instance
    /// carrying all of its envelopes, in order; then the recipients' change counters move, off
    /// this path.
    ///
    /// Local pushes go out after the lookup, not before it: an instance's own pushes and those
    /// it sends to others then leave together, and the two directions between instances drift
    /// apart by no more than the broker's hop (design.md, "Local delivery does not depend on
    /// Redis", has the W5 runs of both orders).
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
        let looked_up = self.routes.lookup(&users).await;
        deliveries.iter().for_each(|d| self.hub.deliver(d));
        let found = match looked_up {
            Ok(found) => found,
            Err(e) => {
                // The devices here have theirs; every other instance gets the pushes with all
                // their recipients and delivers to whichever are connected there.
                tracing::warn!(error = %e, "route lookup failed; pushes sent to every instance");
                let parts: Vec<(&Delivery, Vec<UserId>)> =
                    deliveries.iter().map(|d| (d, d.recipients.clone())).collect();
                self.publish_to_all(&parts).await;
                self.count_changes(&deliveries);
                return;
            }
        };
        let here = self.routes.instance();
        let mut instances_of: HashMap<UserId, Vec<String>> = HashMap::new();
        for (user, _device, instance) in found.into_iter().filter(|(_, _, i)| i != here) {
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
            for (instance, users) in per_instance {
                remote.entry(instance.to_owned()).or_default().push((delivery, users));
            }
        }
        for (instance, parts) in remote {
            match envelope::encode_many(&parts) {
                Ok(body) => self.bus.publish(&instance, body).await,
                Err(e) => tracing::error!(error = %e, "could not encode push envelopes"),
            }
        }
        self.count_changes(&deliveries);
    }
}

impl ClusterNotifier {
    /// Moves the recipients' change counters in a task of its own: the next batch's pushes do
    /// not wait for it, and a counter only has to move before the recipients' next `pong`.
    fn count_changes(&self, deliveries: &[Delivery]) {
        let counts: Vec<(UserId, u64)> =
            message_counts(deliveries).into_iter().map(|(user, n)| (user.clone(), n)).collect();
        if counts.is_empty() {
            return;
        }
        let routes = self.routes.clone();
        tokio::spawn(async move {
            if let Err(e) = routes.count_changes(&counts).await {
                tracing::debug!(error = %e, "could not move change counters");
            }
        });
    }
}
