//! `[ws]`: WebSocket keepalive and the pacing of frames that cost the server a lookup.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::{millis, secs};
use super::{Key, SettingsError};

/// WebSocket keepalive and per-connection pacing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsSettings {
    /// Time between protocol pings from the server.
    #[serde(with = "secs")]
    pub heartbeat: Duration,
    /// A connection silent (no frame, no pong) this long is closed.
    #[serde(with = "secs")]
    pub idle_timeout: Duration,
    /// Least time between two `typing` frames of one connection; faster ones get `rate_limited`.
    #[serde(with = "millis")]
    pub typing_interval: Duration,
    /// Least time between two `presence_sub` frames of one connection; faster ones get `rate_limited`.
    #[serde(with = "millis")]
    pub presence_sub_interval: Duration,
    /// Most users one connection may watch with `presence_sub`.
    pub max_presence_subs: usize,
    /// Sends each WebSocket write at once (`TCP_NODELAY`) instead of letting the kernel hold a
    /// small write back until the previous one is acknowledged.
    pub nodelay: bool,
}

impl Default for WsSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            typing_interval: Duration::from_secs(1),
            presence_sub_interval: Duration::from_secs(1),
            max_presence_subs: 500,
            nodelay: true,
        }
    }
}

impl WsSettings {
    /// The server pings, and a connection gets more than one ping's time to answer.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.heartbeat.is_zero() || self.idle_timeout <= self.heartbeat {
            return Err(SettingsError::new("ws.idle_timeout must exceed ws.heartbeat > 0"));
        }
        Ok(())
    }
}

/// `[ws]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("heartbeat", "server ping interval").was("heartbeat_secs"),
    Key::new("idle_timeout", "close a connection silent this long (must exceed the heartbeat)")
        .was("idle_timeout_secs"),
    Key::new("typing_interval", "least time between two typing frames of one connection").was("typing_interval_ms"),
    Key::new("presence_sub_interval", "least time between two presence_sub frames of one connection")
        .was("presence_sub_interval_ms"),
    Key::new("max_presence_subs", "most users one connection may watch with presence_sub"),
    Key::new("nodelay", "TCP_NODELAY on WebSockets: each write leaves at once"),
];
