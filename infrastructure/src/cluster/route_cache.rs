//! A bounded cache of recently used routes in front of Redis: a user's devices and the
//! instances holding them, kept for a short TTL (`cluster.route_cache_ttl`) and at most
//! `cluster.route_cache_size` users, least recently used out first. Only users with a device
//! online are kept (an offline user is looked up every time, so one who comes online is found at
//! once).
//!
//! How a stale entry is noticed: a device's connection writes its route through this instance
//! (dropped from the cache here at once) and its claim is announced to every other instance in
//! a batch every 50 ms (`RoutesMoved`, through the broker), which drop theirs; the TTL bounds
//! whatever a lost announcement or a lookup racing the claim leaves. A push that still goes to
//! the old instance is not lost: the recipient's change counter moved, so the device syncs at
//! its next `pong`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use tidings_domain::UserId;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::LocalDelivery;

/// `(device, instance)` of each connected device of a user.
pub type UserRoutes = Arc<Vec<(String, String)>>;

/// Recently used routes.
pub struct RouteCache {
    entries: Cache<UserId, UserRoutes>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl RouteCache {
    /// At most `size` users for `ttl` each; `None` (no cache) when either is zero.
    pub fn new(size: u64, ttl: Duration) -> Option<Arc<Self>> {
        (size > 0 && !ttl.is_zero()).then(|| {
            Arc::new(Self {
                entries: Cache::builder().max_capacity(size).time_to_live(ttl).build(),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            })
        })
    }

    /// The cached routes of `user`, if any.
    pub fn get(&self, user: &UserId) -> Option<UserRoutes> {
        let found = self.entries.get(user);
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Remembers `user`'s routes (ignored when there are none: offline users are not kept).
    pub fn put(&self, user: UserId, routes: Vec<(String, String)>) {
        if !routes.is_empty() {
            self.entries.insert(user, Arc::new(routes));
        }
    }

    /// Drops what is cached of `users`.
    pub fn forget(&self, users: &[UserId]) {
        users.iter().for_each(|u| self.entries.invalidate(u));
    }

    /// Drops everything (Redis lost its state: every route is being written again).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// `(hits, misses)` since start, for `/metrics`.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }
}

/// In front of this instance's local delivery: a `RoutesMoved` announcement from another
/// instance empties the cache of those users; everything else passes through.
pub struct RouteCacheEvictor {
    cache: Arc<RouteCache>,
    inner: Arc<dyn LocalDelivery>,
}

impl RouteCacheEvictor {
    /// Evicts from `cache`, delivers the rest to `inner`.
    pub fn new(cache: Arc<RouteCache>, inner: Arc<dyn LocalDelivery>) -> Self {
        Self { cache, inner }
    }
}

impl LocalDelivery for RouteCacheEvictor {
    fn deliver(&self, delivery: &Delivery) {
        match delivery.event.as_ref() {
            Event::RoutesMoved { users } => self.cache.forget(users),
            _ => self.inner.deliver(delivery),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_online_users_forgets_on_request_and_expires() {
        let Some(cache) = RouteCache::new(10, Duration::from_millis(200)) else { panic!("a cache") };
        let (a, b) = (UserId::generate(), UserId::generate());
        cache.put(a.clone(), vec![("d1".into(), "i1".into())]);
        cache.put(b.clone(), Vec::new());
        assert_eq!(cache.get(&a).map(|r| r[0].1.clone()), Some("i1".to_owned()));
        assert!(cache.get(&b).is_none(), "an offline user is not kept");
        cache.forget(std::slice::from_ref(&a));
        assert!(cache.get(&a).is_none());
        cache.put(a.clone(), vec![("d1".into(), "i2".into())]);
        std::thread::sleep(Duration::from_millis(300));
        assert!(cache.get(&a).is_none(), "an entry outlived its TTL");
        assert_eq!(cache.counts(), (1, 3));
        assert!(RouteCache::new(0, Duration::from_secs(1)).is_none());
    }
}
