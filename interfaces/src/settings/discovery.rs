//! `[discovery]`: how this instance announces itself to the cluster's registry and how
//! `GET /api/v1/discovery` picks instances for a client.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::{millis, secs, whole_seconds};
use super::{Key, SettingsError};

/// Discovery: the registry entry this instance keeps alive, and the answer's rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoverySettings {
    /// The base URL clients reach this instance at (`https://chat-3.example.com`). Unset: the
    /// address it listens on (`0.0.0.0` read as `127.0.0.1`), which only suits one machine.
    pub public_url: Option<String>,
    /// This instance's zone (region, data centre); clients of the same zone are sent here first.
    pub zone: String,
    /// Connections this instance is sized for (load = connections / capacity); 0: take
    /// `gateway.max_connections`, or 100,000 when that is unset too.
    pub capacity: u64,
    /// How often this instance writes its entry (address, load, CPU).
    #[serde(with = "millis")]
    pub heartbeat: Duration,
    /// An entry not written again within this lapses: a killed instance stops being offered.
    #[serde(with = "secs")]
    pub ttl: Duration,
    /// Instances per answer.
    pub answer: usize,
    /// A device's home instance is skipped once its connections would pass this multiple of
    /// its share (1.05: 5 % over even); higher keeps devices where they are, lower evens out.
    pub balance: f64,
    /// Load or CPU share (0..1) at which an instance is overloaded: never a home, offered last.
    pub overload: f64,
    /// How long a client may keep an answer (`ttl_secs` of the answer).
    #[serde(with = "secs")]
    pub client_ttl: Duration,
    /// Discovery requests per second from one address, and the burst.
    pub per_ip_per_sec: f64,
    /// The burst of `per_ip_per_sec`.
    pub per_ip_burst: u32,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        Self {
            public_url: None,
            zone: String::new(),
            capacity: 0,
            heartbeat: Duration::from_secs(3),
            ttl: Duration::from_secs(10),
            answer: 3,
            balance: 1.05,
            overload: 0.9,
            client_ttl: Duration::from_secs(300),
            per_ip_per_sec: 2.0,
            per_ip_burst: 20,
        }
    }
}

impl DiscoverySettings {
    /// The TTL outlives two heartbeats; the answer and the bounds make sense.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        whole_seconds("discovery.ttl", self.ttl)?;
        if self.heartbeat.is_zero() || self.ttl < self.heartbeat * 2 {
            return Err(SettingsError::new("discovery.ttl must be at least two discovery.heartbeat"));
        }
        if !(1..=16).contains(&self.answer) || self.balance < 1.0 || !(0.0..=1.0).contains(&self.overload) {
            return Err(SettingsError::new(
                "discovery.answer must be 1..=16, discovery.balance >= 1, discovery.overload 0..=1",
            ));
        }
        if self.per_ip_per_sec <= 0.0 || self.per_ip_burst == 0 {
            return Err(SettingsError::new("discovery.per_ip_per_sec and discovery.per_ip_burst must be positive"));
        }
        match &self.public_url {
            Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                Err(SettingsError::new(format!("discovery.public_url: `{u}` is not an http(s):// URL")))
            }
            _ => Ok(()),
        }
    }
}

/// `[discovery]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("public_url", "the base URL clients reach this instance at").default_is("the listen address"),
    Key::new("zone", "this instance's zone; clients of the same zone come here first"),
    Key::new("capacity", "connections this instance is sized for (load = connections / capacity)")
        .default_is("gateway.max_connections, else 100000"),
    Key::new("heartbeat", "how often this instance writes its registry entry"),
    Key::new("ttl", "an entry not rewritten within this lapses (a dead instance stops being offered)"),
    Key::new("answer", "instances per discovery answer"),
    Key::new("balance", "a home instance is skipped past this multiple of its even share"),
    Key::new("overload", "load or CPU share at which an instance is never a home"),
    Key::new("client_ttl", "how long a client may keep an answer"),
    Key::new("per_ip_per_sec", "discovery requests per second from one address"),
    Key::new("per_ip_burst", "the burst of per_ip_per_sec"),
];
