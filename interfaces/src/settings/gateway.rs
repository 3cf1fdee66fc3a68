//! `[gateway]`: protection at the door (IP lists, trusted proxies, auth rate limits, the
//! failed-login budget and connection caps).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::secs;
use super::{Key, SettingsError};

/// Protection at the door: IP allow/deny lists, proxies trusted for `X-Forwarded-For`, auth rate
/// limits per IP and per account, and connection caps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    /// Addresses or CIDR blocks allowed in; empty lets everyone in (but the deny list).
    pub allow: Vec<String>,
    /// Addresses or CIDR blocks refused (wins over `allow`).
    pub deny: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed; the client is the nearest untrusted hop.
    pub trusted_proxies: Vec<String>,
    /// Register, login and refresh requests one IP may make per second, sustained.
    pub auth_per_sec: f64,
    /// Register, login and refresh requests one IP may make back to back.
    pub auth_burst: u32,
    /// Failed logins an account takes back to back before further attempts are refused.
    pub login_failures: u32,
    /// How long until one failed login is forgiven.
    #[serde(with = "secs")]
    pub login_failure_ttl: Duration,
    /// WebSocket connections this instance accepts; 0 = no cap (the OS file limit still holds).
    pub max_connections: u32,
    /// WebSocket connections one user may hold on this instance; 0 = no cap.
    pub max_connections_per_user: u32,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            trusted_proxies: Vec::new(),
            auth_per_sec: 2.0,
            auth_burst: 20,
            login_failures: 5,
            login_failure_ttl: Duration::from_secs(60),
            max_connections: 0,
            max_connections_per_user: 16,
        }
    }
}

impl GatewaySettings {
    /// The address lists parse, and the auth budgets are positive.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if let Err(e) = crate::gateway::IpPolicy::from_settings(self) {
            return Err(SettingsError::new(e.to_string()));
        }
        if self.auth_per_sec.is_nan()
            || self.auth_per_sec <= 0.0
            || self.auth_burst == 0
            || self.login_failures == 0
            || self.login_failure_ttl.is_zero()
        {
            return Err(SettingsError::new(
                "gateway.auth_per_sec, auth_burst, login_failures and login_failure_ttl must be positive",
            ));
        }
        Ok(())
    }
}

/// `[gateway]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("allow", "addresses or CIDR blocks allowed in (empty: everyone but the deny list)"),
    Key::new("deny", "addresses or CIDR blocks refused; wins over allow"),
    Key::new("trusted_proxies", "reverse proxies whose X-Forwarded-For is believed"),
    Key::new("auth_per_sec", "register, login and refresh requests per client address per second"),
    Key::new("auth_burst", "those requests back to back"),
    Key::new("login_failures", "failed logins one account takes back to back before logins are refused"),
    Key::new("login_failure_ttl", "how long until one failed login is forgiven").was("login_failure_secs"),
    Key::new("max_connections", "WebSocket connections this instance accepts (0: no cap)"),
    Key::new("max_connections_per_user", "WebSocket connections one user may hold on one instance (0: no cap)"),
];
