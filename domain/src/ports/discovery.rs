//! The registry of instances that discovery answers from.

use async_trait::async_trait;

use crate::StoreError;
use crate::discovery::InstanceInfo;

/// Where instances announce themselves and clients' discovery reads them: Redis shared by the
/// cluster (entries expire unless heartbeated), or this process alone in embedded mode.
#[async_trait]
pub trait InstanceDirectory: Send + Sync {
    /// Writes (or refreshes) this instance's entry; it lapses unless written again within the
    /// registry's TTL.
    async fn announce(&self, me: &InstanceInfo) -> Result<(), StoreError>;
    /// Updates only this instance's connection count (between heartbeats, so discovery
    /// balances on current figures during a reconnect storm).
    async fn count_connections(&self, id: &str, connections: u64) -> Result<(), StoreError>;
    /// Removes this instance at once (a drain).
    async fn withdraw(&self, id: &str) -> Result<(), StoreError>;
    /// Every instance whose entry is alive.
    async fn instances(&self) -> Result<Vec<InstanceInfo>, StoreError>;
}
