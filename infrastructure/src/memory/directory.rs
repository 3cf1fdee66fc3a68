//! Embedded mode's [`InstanceDirectory`]: the one instance there is, so discovery answers itself.

use std::sync::Mutex;

use async_trait::async_trait;
use tidings_domain::StoreError;
use tidings_domain::discovery::InstanceInfo;
use tidings_domain::ports::InstanceDirectory;

/// This process's own entry, until it drains.
#[derive(Default)]
pub struct LocalDirectory {
    me: Mutex<Option<InstanceInfo>>,
}

impl LocalDirectory {
    fn with<T>(&self, f: impl FnOnce(&mut Option<InstanceInfo>) -> T) -> T {
        let mut me = self.me.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut me)
    }
}

#[async_trait]
impl InstanceDirectory for LocalDirectory {
    async fn announce(&self, me: &InstanceInfo) -> Result<(), StoreError> {
        self.with(|slot| *slot = Some(me.clone()));
        Ok(())
    }

    async fn count_connections(&self, id: &str, connections: u64) -> Result<(), StoreError> {
        self.with(|slot| slot.iter_mut().filter(|m| m.id == id).for_each(|m| m.connections = connections));
        Ok(())
    }

    async fn withdraw(&self, id: &str) -> Result<(), StoreError> {
        self.with(|slot| {
            if slot.as_ref().is_some_and(|m| m.id == id) {
                *slot = None;
            }
        });
        Ok(())
    }

    async fn instances(&self) -> Result<Vec<InstanceInfo>, StoreError> {
        Ok(self.with(|slot| slot.iter().cloned().collect()))
    }
}
