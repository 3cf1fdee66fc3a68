//! `[groups]`: group size and the longest mute.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::{secs, whole_seconds};
use super::{Key, SettingsError};

/// Groups.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupSettings {
    /// Most members a group may have.
    pub max_members: u32,
    /// Longest mute an owner or admin may set (whole seconds, as requests give `mute_secs`).
    #[serde(with = "secs")]
    pub max_mute: Duration,
}

impl Default for GroupSettings {
    fn default() -> Self {
        Self { max_members: 500, max_mute: Duration::from_secs(30 * 24 * 3600) }
    }
}

impl GroupSettings {
    /// A group holds at least two; mutes are whole seconds.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.max_members < 2 {
            return Err(SettingsError::new("groups.max_members must be at least 2"));
        }
        whole_seconds("groups.max_mute", self.max_mute)
    }
}

/// `[groups]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("max_members", "most members a group may have (at least 2)"),
    Key::new("max_mute", "longest mute an owner or admin may set on a member").was("max_mute_secs"),
];
