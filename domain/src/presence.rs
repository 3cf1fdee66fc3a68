//! Presence: whether a user has a device connected now, and when they were last active.

/// One user's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PresenceStatus {
    /// At least one device is connected.
    pub online: bool,
    /// Last time a device was connected (ms); now while online; `None` if never seen.
    pub last_active_at: Option<i64>,
}
