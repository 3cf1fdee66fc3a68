//! Discovery as a use case: answer a client with the instances it should connect to, and keep
//! this instance's own registry entry (heartbeat, live connection count, withdrawal on drain).

use std::sync::Arc;

use tidings_domain::discovery::{Asker, DiscoveryPolicy, InstanceInfo, recommend};
use tidings_domain::ports::InstanceDirectory;

use crate::error::AppError;

/// Reads and writes the instance registry.
pub struct DiscoveryService {
    directory: Arc<dyn InstanceDirectory>,
    policy: DiscoveryPolicy,
}

impl DiscoveryService {
    /// Answers from `directory` by `policy`.
    pub fn new(directory: Arc<dyn InstanceDirectory>, policy: DiscoveryPolicy) -> Self {
        Self { directory, policy }
    }

    /// The instances to offer `asker`, best first; empty while no instance is healthy.
    pub async fn recommend(&self, asker: Asker<'_>) -> Result<Vec<InstanceInfo>, AppError> {
        let instances = self.directory.instances().await?;
        Ok(recommend(&instances, asker, &self.policy))
    }

    /// Writes this instance's entry (its heartbeat).
    pub async fn announce(&self, me: &InstanceInfo) -> Result<(), AppError> {
        Ok(self.directory.announce(me).await?)
    }

    /// Updates this instance's connection count between heartbeats.
    pub async fn count_connections(&self, id: &str, connections: u64) -> Result<(), AppError> {
        Ok(self.directory.count_connections(id, connections).await?)
    }

    /// Removes this instance's entry (it is draining).
    pub async fn withdraw(&self, id: &str) -> Result<(), AppError> {
        Ok(self.directory.withdraw(id).await?)
    }
}
