//! `[auth]`: token lifetimes and the cost of new password hashes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::{secs, whole_seconds};
use super::{Key, SettingsError};

/// Token lifetimes and password hashing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Access-token lifetime (whole seconds; tokens carry their expiry in seconds).
    #[serde(with = "secs")]
    pub access_ttl: Duration,
    /// Refresh-token lifetime (whole seconds); each refresh extends it.
    #[serde(with = "secs")]
    pub refresh_ttl: Duration,
    /// Argon2id memory for new password hashes (KiB).
    pub argon2_memory_kib: u32,
    /// Argon2id passes for new password hashes.
    pub argon2_iterations: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
        }
    }
}

impl AuthSettings {
    /// Token lifetimes are whole seconds.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        whole_seconds("auth.access_ttl", self.access_ttl)?;
        whole_seconds("auth.refresh_ttl", self.refresh_ttl)
    }
}

/// `[auth]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("access_ttl", "access-token lifetime").was("access_ttl_secs"),
    Key::new("refresh_ttl", "refresh-token lifetime; each refresh extends it").was("refresh_ttl_secs"),
    Key::new("argon2_memory_kib", "argon2id memory for new password hashes (KiB)"),
    Key::new("argon2_iterations", "argon2id passes for new password hashes"),
];
