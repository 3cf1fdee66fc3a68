//! Keyed turns: one task at a time per key (here a message), others wait in line. Entries live
//! only while someone holds or waits for the key, so the map stays as small as the traffic.

use std::hash::Hash;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A lock per key.
pub(crate) struct Turns<K: Eq + Hash + Clone> {
    locks: DashMap<K, Arc<Mutex<()>>>,
}

/// Holds the turn of one key until dropped.
pub(crate) struct Turn<'a, K: Eq + Hash + Clone> {
    turns: &'a Turns<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> Turns<K> {
    /// No key taken.
    pub(crate) fn new() -> Self {
        Self { locks: DashMap::new() }
    }

    /// Waits for the turn of `key` (first come, first served).
    pub(crate) async fn take(&self, key: K) -> Turn<'_, K> {
        // The clone is made under the map's shard lock, so an entry is never removed while a
        // caller is about to wait on it.
        let lock = self.locks.entry(key.clone()).or_default().clone();
        let guard = lock.lock_owned().await;
        Turn { turns: self, key, guard: Some(guard) }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.len()
    }
}

impl<K: Eq + Hash + Clone> Drop for Turn<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        // Nobody else holds or waits for it (only the map's own reference is left): forget it.
        self.turns.locks.remove_if(&self.key, |_, lock| Arc::strong_count(lock) == 1);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn one_holder_per_key_and_nothing_left_after() {
        let turns = Arc::new(Turns::new());
        let inside = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let mut tasks = Vec::new();
        for i in 0..16u8 {
            let (turns, inside) = (turns.clone(), inside.clone());
            tasks.push(tokio::spawn(async move {
                let _turn = turns.take(i % 2 == 0).await;
                let count = &inside[usize::from(i % 2 == 0)];
                assert_eq!(count.fetch_add(1, Ordering::SeqCst) % 2, 0, "two holders of one key");
                tokio::task::yield_now().await;
                count.fetch_add(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(turns.len(), 0);
    }
}
