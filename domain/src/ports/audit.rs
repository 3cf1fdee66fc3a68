//! Where audit entries are kept (`crate::audit`).

use async_trait::async_trait;
use serde_json::Value;

use crate::audit::AuditEntry;
use crate::error::StoreError;
use crate::ids::UserId;

/// The append-only audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry and answers its id. The action it records must not go ahead without it.
    async fn record(&self, at: i64, actor: &UserId, action: &str, detail: &Value) -> Result<u64, StoreError>;
    /// Entries newest first, with ids below `before` when given; at most `limit`.
    async fn list(&self, before: Option<u64>, limit: u64) -> Result<Vec<AuditEntry>, StoreError>;
}
