//! `/readyz`'s dependency check: the database, and in cluster mode Redis and the broker link.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tidings_infrastructure::cluster::{AmqpBus, RedisPool};
use tidings_infrastructure::db;

use crate::state::Readiness;

/// `/readyz`: the database, and in cluster mode Redis and the broker connection.
pub(super) struct DependencyReadiness {
    pub(super) db: DatabaseConnection,
    pub(super) redis: Option<RedisPool>,
    pub(super) bus: Option<AmqpBus>,
}

/// The longest the database check of `/readyz` may take (Redis calls and the broker's state
/// have their own, shorter bounds).
const READY_DB_LIMIT: Duration = Duration::from_secs(2);

#[async_trait::async_trait]
impl Readiness for DependencyReadiness {
    async fn check(&self) -> Result<(), String> {
        tokio::time::timeout(READY_DB_LIMIT, db::ping(&self.db))
            .await
            .map_err(|_| format!("database: no answer within {READY_DB_LIMIT:?}"))?
            .map_err(|e| format!("database: {e}"))?;
        if let Some(pool) = &self.redis {
            let mut conn = pool.get().await.map_err(|e| format!("redis: {e}"))?;
            deadpool_redis::redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map_err(|e| format!("redis: {e}"))?;
        }
        if let Some(bus) = &self.bus
            && !bus.is_connected().await
        {
            return Err("broker: not connected, or the link carried nothing back lately (reconnecting)".into());
        }
        Ok(())
    }
}
