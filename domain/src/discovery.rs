//! Discovery: which instances a client should connect to. Every instance announces itself (its
//! address, zone, connections, capacity, CPU) in a registry the cluster shares; a client asks any
//! instance and gets the best few, best first.
//!
//! The first is the device's *home*: a weighted rendezvous hash of the device over the healthy
//! instances, so a device reconnects where it was, and only the devices of an instance that
//! leaves move. The hash alone spreads 1,000 devices over 10 instances no better than dice do
//! (±20 %), so it is bounded by load: an instance whose connections would pass `balance` times
//! its share of the pool's total is skipped for the least loaded one. A client that says which
//! instance it was on goes back there while that one has room, so reconnects stay put whatever
//! the path that placed them. The rest of the answer is the same zone first, then the least
//! loaded relative to capacity.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// One instance as it announced itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// The instance's id (`instance_id`).
    pub id: String,
    /// Its public HTTP base URL.
    pub url: String,
    /// Its WebSocket URL.
    pub ws_url: String,
    /// Its zone; empty when not configured.
    pub zone: String,
    /// Connections it holds.
    pub connections: u64,
    /// Connections it is sized for.
    pub capacity: u64,
    /// Its process's CPU use over the last heartbeat, as a share of the machine (0..=1).
    pub cpu: f64,
    /// It is shutting down: never recommended.
    pub draining: bool,
}

impl InstanceInfo {
    /// Connections relative to capacity.
    pub fn load(&self) -> f64 {
        self.connections as f64 / self.capacity.max(1) as f64
    }
}

/// How answers are chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiscoveryPolicy {
    /// Instances per answer.
    pub answer: usize,
    /// An instance is skipped as a home once its connections would pass this multiple of its
    /// share of the pool's connections (1.05: at most 5 % above even).
    pub balance: f64,
    /// An instance at or above this load (connections / capacity) or CPU share is overloaded:
    /// never a home, listed last.
    pub overload: f64,
}

/// Who asks: the key its home is hashed from (a device id, or the client's address), its zone,
/// and the instance it was last connected to, if it says.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    /// Device id or address.
    pub key: &'a str,
    /// The client's zone.
    pub zone: Option<&'a str>,
    /// The instance the device was on.
    pub last: Option<&'a str>,
}

/// The instances to offer a client, best first (at most `policy.answer`): its home among the
/// healthy instances of its zone (all healthy instances when the zone has none that is not
/// overloaded), then the rest of the zone, then the others, each group least loaded first.
/// The home is the instance the device was last on while that one has room, else the first in
/// the key's rendezvous order that has. Draining instances are never offered.
pub fn recommend(instances: &[InstanceInfo], asker: Asker<'_>, policy: &DiscoveryPolicy) -> Vec<InstanceInfo> {
    let Asker { key, zone, last } = asker;
    let healthy: Vec<&InstanceInfo> = instances.iter().filter(|i| !i.draining).collect();
    if healthy.is_empty() || policy.answer == 0 {
        return Vec::new();
    }
    let overloaded = |i: &InstanceInfo| i.load() >= policy.overload || i.cpu >= policy.overload;
    let in_zone = |i: &InstanceInfo| zone.is_some_and(|z| z == i.zone);
    let zone_pool: Vec<&InstanceInfo> = healthy.iter().copied().filter(|i| in_zone(i)).collect();
    let pool = if zone_pool.iter().any(|i| !overloaded(i)) { zone_pool } else { healthy.clone() };
    let home = home_of(&pool, key, last, policy, &overloaded);
    let mut rest: Vec<&InstanceInfo> =
        healthy.into_iter().filter(|i| Some(i.id.as_str()) != home.map(|h| h.id.as_str())).collect();
    rest.sort_by(|a, b| {
        (overloaded(a), !in_zone(a))
            .cmp(&(overloaded(b), !in_zone(b)))
            .then(a.load().partial_cmp(&b.load()).unwrap_or(Ordering::Equal))
            .then(a.id.cmp(&b.id))
    });
    home.into_iter().chain(rest).take(policy.answer).cloned().collect()
}

/// `last` if it is in the pool, not overloaded and has room under the balance bound; else the
/// first instance in `key`'s rendezvous order if it is and has; else the least loaded (which
/// fills the instances the hash favours least).
fn home_of<'a>(
    pool: &[&'a InstanceInfo],
    key: &str,
    last: Option<&str>,
    policy: &DiscoveryPolicy,
    overloaded: &dyn Fn(&InstanceInfo) -> bool,
) -> Option<&'a InstanceInfo> {
    let total: u64 = pool.iter().map(|i| i.connections).sum::<u64>() + 1;
    let capacity: u64 = pool.iter().map(|i| i.capacity.max(1)).sum();
    let mut order: Vec<(f64, &InstanceInfo)> = pool.iter().map(|i| (score(key, i), *i)).collect();
    order.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal).then(a.1.id.cmp(&b.1.id)));
    let has_room = |i: &InstanceInfo| {
        let share = total as f64 * i.capacity.max(1) as f64 / capacity as f64;
        (i.connections + 1) as f64 <= (share * policy.balance).ceil()
    };
    let previous = pool.iter().copied().find(|i| Some(i.id.as_str()) == last);
    let hashed = order.first().map(|(_, i)| *i);
    let least_loaded = pool
        .iter()
        .copied()
        .filter(|i| !overloaded(i))
        .min_by(|a, b| a.load().partial_cmp(&b.load()).unwrap_or(Ordering::Equal).then(a.id.cmp(&b.id)));
    previous
        .into_iter()
        .chain(hashed)
        .find(|i| !overloaded(i) && has_room(i))
        .or(least_loaded)
        .or_else(|| pool.iter().copied().min_by(|a, b| a.load().partial_cmp(&b.load()).unwrap_or(Ordering::Equal)))
}

/// Weighted rendezvous score of `key` on `instance`: `-capacity / ln(u)` with `u` in (0, 1)
/// from a hash of both, so the highest score falls on each instance in proportion to its
/// capacity, and removing an instance moves only the keys whose highest it was.
fn score(key: &str, instance: &InstanceInfo) -> f64 {
    let h = stable_hash(key.as_bytes(), instance.id.as_bytes());
    // 53 bits of the hash, shifted off zero: u in (0, 1).
    let u = ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    -(instance.capacity.max(1) as f64) / u.ln()
}

/// A hash that every instance computes alike (not the process-seeded std hasher): FNV-1a over
/// both parts, then a SplitMix64 finalizer so nearby keys land far apart.
fn stable_hash(a: &[u8], b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.iter().chain([0xffu8].iter()).chain(b) {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: DiscoveryPolicy = DiscoveryPolicy { answer: 3, balance: 1.05, overload: 0.9 };

    fn instance(id: &str, zone: &str, connections: u64) -> InstanceInfo {
        InstanceInfo {
            id: id.into(),
            url: format!("http://{id}"),
            ws_url: format!("ws://{id}/ws"),
            zone: zone.into(),
            connections,
            capacity: 100_000,
            cpu: 0.1,
            draining: false,
        }
    }

    fn ask(key: &str) -> Asker<'_> {
        Asker { key, zone: None, last: None }
    }

    fn ten() -> Vec<InstanceInfo> {
        (0..10).map(|i| instance(&format!("i{i}"), "", 0)).collect()
    }

    #[test]
    fn devices_connecting_one_after_another_land_within_ten_percent_of_even() {
        let mut cluster = ten();
        for d in 0..1000 {
            let home = recommend(&cluster, ask(&format!("device-{d}")), &POLICY)[0].id.clone();
            cluster.iter_mut().filter(|i| i.id == home).for_each(|i| i.connections += 1);
        }
        for i in &cluster {
            assert!((90..=110).contains(&i.connections), "{} holds {}", i.id, i.connections);
        }
    }

    #[test]
    fn the_plain_hash_alone_would_not_be_even() {
        // What the balance bound is for: with it off, the same devices spread like dice.
        let loose = DiscoveryPolicy { balance: 1e9, ..POLICY };
        let mut cluster = ten();
        for d in 0..1000 {
            let home = recommend(&cluster, ask(&format!("device-{d}")), &loose)[0].id.clone();
            cluster.iter_mut().filter(|i| i.id == home).for_each(|i| i.connections += 1);
        }
        let spread = cluster.iter().map(|i| i.connections).max().unwrap_or(0)
            - cluster.iter().map(|i| i.connections).min().unwrap_or(0);
        assert!(spread > 20, "the unbounded hash spread {spread}");
    }

    #[test]
    fn a_device_keeps_its_home_and_only_the_leavers_devices_move() {
        let cluster: Vec<InstanceInfo> = (0..10).map(|i| instance(&format!("i{i}"), "", 100)).collect();
        let homes: Vec<String> =
            (0..500).map(|d| recommend(&cluster, ask(&format!("d{d}")), &POLICY)[0].id.clone()).collect();
        let again: Vec<String> =
            (0..500).map(|d| recommend(&cluster, ask(&format!("d{d}")), &POLICY)[0].id.clone()).collect();
        assert_eq!(homes, again);
        let without_i3: Vec<InstanceInfo> = cluster.iter().filter(|i| i.id != "i3").cloned().collect();
        for (d, home) in homes.iter().enumerate() {
            let now = recommend(&without_i3, ask(&format!("d{d}")), &POLICY)[0].id.clone();
            if home != "i3" {
                assert_eq!(&now, home, "device d{d} moved although its home stayed");
            }
        }
    }

    #[test]
    fn a_device_goes_back_to_where_it_was_while_that_instance_has_room() {
        let mut cluster: Vec<InstanceInfo> = (0..10).map(|i| instance(&format!("i{i}"), "", 100)).collect();
        for d in 0..200 {
            let key = format!("d{d}");
            let hashed = recommend(&cluster, ask(&key), &POLICY)[0].id.clone();
            let was = if hashed == "i4" { "i5" } else { "i4" };
            let back = recommend(&cluster, Asker { last: Some(was), ..ask(&key) }, &POLICY);
            assert_eq!(back[0].id, was, "{key}");
        }
        // Full, or gone: the hash decides again.
        cluster[4].connections = 106;
        assert_ne!(recommend(&cluster, Asker { last: Some("i4"), ..ask("d1") }, &POLICY)[0].id, "i4");
        let hashed = recommend(&cluster, ask("d1"), &POLICY)[0].id.clone();
        assert_eq!(recommend(&cluster, Asker { last: Some("gone"), ..ask("d1") }, &POLICY)[0].id, hashed);
    }

    #[test]
    fn draining_is_never_offered_and_overloaded_is_never_home() {
        let mut cluster = vec![instance("a", "", 10), instance("b", "", 10), instance("c", "", 95_000)];
        cluster[0].draining = true;
        for d in 0..50 {
            let answer = recommend(&cluster, ask(&format!("d{d}")), &POLICY);
            assert!(answer.iter().all(|i| i.id != "a"));
            assert_eq!(answer[0].id, "b");
            assert_eq!(answer.len(), 2);
        }
        cluster[1].cpu = 0.95;
        // Both left are overloaded: the least loaded is still offered rather than nothing.
        assert_eq!(recommend(&cluster, ask("d"), &POLICY)[0].id, "b");
        cluster[1].draining = true;
        cluster[2].draining = true;
        assert!(recommend(&cluster, ask("d"), &POLICY).is_empty());
    }

    #[test]
    fn the_clients_zone_comes_first_and_others_fill_the_answer() {
        let cluster = vec![instance("eu1", "eu", 50), instance("us1", "us", 0), instance("eu2", "eu", 40)];
        for d in 0..50 {
            let answer = recommend(&cluster, Asker { zone: Some("eu"), ..ask(&format!("d{d}")) }, &POLICY);
            let ids: Vec<&str> = answer.iter().map(|i| i.id.as_str()).collect();
            assert!(ids[0].starts_with("eu") && ids[1].starts_with("eu") && ids[2] == "us1", "{ids:?}");
        }
        let full_eu = vec![instance("eu1", "eu", 95_000), instance("us1", "us", 0)];
        assert_eq!(recommend(&full_eu, Asker { zone: Some("eu"), ..ask("d") }, &POLICY)[0].id, "us1");
    }

    #[test]
    fn capacity_weights_the_spread() {
        let mut cluster = vec![instance("big", "", 0), instance("small", "", 0)];
        cluster[0].capacity = 300_000;
        for d in 0..2000 {
            let home = recommend(&cluster, ask(&format!("d{d}")), &POLICY)[0].id.clone();
            cluster.iter_mut().filter(|i| i.id == home).for_each(|i| i.connections += 1);
        }
        assert!((1425..=1575).contains(&cluster[0].connections), "big holds {}", cluster[0].connections);
    }
}
