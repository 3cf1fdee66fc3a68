//! `[db]`: the database pool and SQLite's durability.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Key;
use super::duration::secs;

/// Database pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbSettings {
    /// Most pooled connections.
    pub max_connections: u32,
    /// How long to wait for a pooled connection.
    #[serde(with = "secs")]
    pub acquire_timeout: Duration,
    /// SQLite only: `true` (the default) syncs the log on every commit, so an acked message
    /// survives a power loss; `false` syncs only at checkpoints, so an acked message survives a
    /// crash of the process but the last moments may be lost with the machine.
    pub sqlite_sync_every_commit: bool,
}

impl Default for DbSettings {
    fn default() -> Self {
        Self { max_connections: 8, acquire_timeout: Duration::from_secs(5), sqlite_sync_every_commit: true }
    }
}

/// `[db]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("max_connections", "database pool size"),
    Key::new("acquire_timeout", "wait for a pooled connection before failing (busy)").was("acquire_timeout_secs"),
    Key::new("sqlite_sync_every_commit", "SQLite: sync the log on every commit (false: at checkpoints)"),
];
