//! Rate limits, and the gate epoch that keeps remembered send gates honest across instances.

use crate::error::StoreError;
use async_trait::async_trait;

/// A rate: `burst` requests at once, refilling at `per_sec` a second (GCRA).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests a second, sustained.
    pub per_sec: f64,
    /// Requests allowed back to back.
    pub burst: u32,
}

/// Rate limiting keyed by caller (user, IP, API key). Embedded mode counts in process; cluster
/// mode counts in Redis so the limit holds across instances.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// `Ok` if one more request under `key` fits `rate`, else how long until one would.
    async fn check(&self, key: &str, rate: Rate) -> Result<(), std::time::Duration>;
    /// Like `check`, but records nothing: whether one more would fit now. For budgets spent
    /// only by some outcomes (failed logins) but enforced on every attempt.
    async fn peek(&self, key: &str, rate: Rate) -> Result<(), std::time::Duration>;
    /// Forgets what `key` has spent: its whole budget is back. For budgets an outcome forgives
    /// (a successful login forgives the failed ones before it).
    async fn forget(&self, key: &str);
}

/// A counter shared by every instance that moves on after each write able to change whether a
/// send is allowed: a direct-message gate (block, friendship, policy) or a group gate (the group,
/// its members, roles and mutes). Remembered gates are trusted only while it stands still, so a
/// block or a mute made through any instance holds at once everywhere.
#[async_trait]
pub trait GateEpoch: Send + Sync {
    /// The epoch as read at some moment after this call began.
    async fn current(&self) -> Result<u64, StoreError>;
    /// Moves the epoch on; called after the write reached storage.
    async fn bump(&self) -> Result<(), StoreError>;
}
