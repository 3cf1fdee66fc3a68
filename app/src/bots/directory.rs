//! Which accounts are AI bots, known on every instance: the commit observer asks it about every
//! committed text message, so it answers from memory. Reloaded from storage every `reload`
//! (changes made on another instance apply within that) and at once after a change here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tidings_domain::UserId;
use tidings_domain::bots::BotConfig;
use tidings_domain::ports::BotStore;

type Bots = Arc<HashMap<UserId, Arc<BotConfig>>>;

/// The bots' configurations, in memory.
pub struct BotDirectory {
    store: Arc<dyn BotStore>,
    bots: RwLock<Bots>,
}

impl BotDirectory {
    /// Loads the bots and keeps reloading them every `reload` on the current runtime.
    pub async fn start(store: Arc<dyn BotStore>, reload: Duration) -> Arc<Self> {
        let dir = Arc::new(Self { store, bots: RwLock::new(Arc::new(HashMap::new())) });
        dir.refresh().await;
        let weak = Arc::downgrade(&dir);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(reload);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(dir) = weak.upgrade() else { return };
                dir.refresh().await;
            }
        });
        dir
    }

    /// Reads every bot again (a failed read keeps the last known ones).
    pub async fn refresh(&self) {
        match self.store.all().await {
            Ok(all) => {
                let map = all.into_iter().map(|c| (c.user_id.clone(), Arc::new(c))).collect();
                *self.bots.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(map);
            }
            Err(e) => tracing::warn!(error = %e, "reloading the bots failed; keeping the last known ones"),
        }
    }

    /// All bots now (cheap: one shared map).
    pub fn snapshot(&self) -> Bots {
        self.bots.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// One bot's configuration.
    pub fn get(&self, id: &UserId) -> Option<Arc<BotConfig>> {
        self.snapshot().get(id).cloned()
    }
}
