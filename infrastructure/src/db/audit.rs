//! [`AuditLog`] in the `audit_log` table.

use async_trait::async_trait;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use tidings_domain::audit::AuditEntry;
use tidings_domain::ports::AuditLog;
use tidings_domain::{StoreError, UserId};

use super::entity::audit_log;
use super::{from_db, store_err, to_db};

/// The audit log of the database.
#[derive(Clone)]
pub struct SqlAuditLog {
    db: DatabaseConnection,
}

impl SqlAuditLog {
    /// Uses the given pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditLog for SqlAuditLog {
    async fn record(&self, at: i64, actor: &UserId, action: &str, detail: &Value) -> Result<u64, StoreError> {
        let row = audit_log::ActiveModel {
            id: NotSet,
            at: Set(at),
            actor: Set(actor.to_string()),
            action: Set(action.to_owned()),
            detail: Set(detail.to_string()),
        };
        let done = audit_log::Entity::insert(row).exec(&self.db).await.map_err(store_err)?;
        Ok(from_db(done.last_insert_id))
    }

    async fn list(&self, before: Option<u64>, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut find = audit_log::Entity::find().order_by_desc(audit_log::Column::Id).limit(limit);
        if let Some(before) = before {
            find = find.filter(audit_log::Column::Id.lt(to_db(before)));
        }
        let rows = find.all(&self.db).await.map_err(store_err)?;
        rows.into_iter()
            .map(|r| {
                let actor =
                    UserId::parse(&r.actor).ok_or_else(|| StoreError::Other(format!("audit actor {}", r.actor)))?;
                let detail = serde_json::from_str(&r.detail).unwrap_or(Value::String(r.detail));
                Ok(AuditEntry { id: from_db(r.id), at: r.at, actor, action: r.action, detail })
            })
            .collect()
    }
}
