//! `[integration]`: the request budget of each API key of the integration API.

use serde::{Deserialize, Serialize};

use super::{Key, SettingsError};

/// The integration API (`/integration/v1`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrationSettings {
    /// Requests one API key may make per second, sustained (across instances in a cluster).
    pub requests_per_sec: f64,
    /// Requests one API key may make back to back.
    pub burst: u32,
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self { requests_per_sec: 20.0, burst: 100 }
    }
}

impl IntegrationSettings {
    /// A positive, finite rate and burst.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        let rate_ok = self.requests_per_sec.is_finite() && self.requests_per_sec > 0.0;
        if !rate_ok || self.burst == 0 {
            return Err(SettingsError::new("integration.requests_per_sec and integration.burst must be positive"));
        }
        Ok(())
    }
}

/// `[integration]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("requests_per_sec", "requests one API key may make per second, sustained"),
    Key::new("burst", "requests one API key may make back to back"),
];
