//! The settings an app passes to `TidingsClient.create`: a record whose timing fields default
//! to the SDK's values, so generated code can build it from the first four fields only.

use tidings_sdk as sdk;

/// Settings of one client (see `tidings_sdk::ClientConfig`; defaults suit a phone app).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClientConfig {
    /// Base URLs of the servers (`http://host:port`), tried in order and rotated on failure.
    pub servers: Vec<String>,
    /// Directory of the local SQLite store (created if missing).
    pub data_dir: String,
    /// The app's stable id for this device (1–64 printable ASCII characters).
    pub device_id: String,
    /// `android`, `ios`, `web`, `desktop` or `other`.
    pub platform: String,
    /// Seconds between `ping` frames; a connection silent for three of them is dropped.
    #[uniffi(default = 15)]
    pub heartbeat_secs: u64,
    /// How long a send or recall waits for its answer before it is retried.
    #[uniffi(default = 10000)]
    pub ack_timeout_ms: u64,
    /// Attempts per outgoing message before it is marked failed.
    #[uniffi(default = 5)]
    pub max_send_attempts: u32,
    /// First reconnect delay; doubled on each failure, with jitter, up to `backoff_max_ms`.
    #[uniffi(default = 250)]
    pub backoff_initial_ms: u64,
    /// Longest reconnect delay.
    #[uniffi(default = 30000)]
    pub backoff_max_ms: u64,
    /// Messages asked for per sync page (the server caps it at 200).
    #[uniffi(default = 200)]
    pub sync_page: u32,
    /// Timeout of every REST call and WebSocket handshake.
    #[uniffi(default = 15000)]
    pub request_timeout_ms: u64,
}

/// A config with the SDK's default timings (for languages without record defaults).
#[uniffi::export]
pub fn default_config(servers: Vec<String>, data_dir: String, device_id: String, platform: String) -> ClientConfig {
    sdk::ClientConfig::new(servers, data_dir, device_id, platform).into()
}

impl From<sdk::ClientConfig> for ClientConfig {
    fn from(c: sdk::ClientConfig) -> Self {
        Self {
            servers: c.servers,
            data_dir: c.data_dir,
            device_id: c.device_id,
            platform: c.platform,
            heartbeat_secs: c.heartbeat_secs,
            ack_timeout_ms: c.ack_timeout_ms,
            max_send_attempts: c.max_send_attempts,
            backoff_initial_ms: c.backoff_initial_ms,
            backoff_max_ms: c.backoff_max_ms,
            sync_page: c.sync_page,
            request_timeout_ms: c.request_timeout_ms,
        }
    }
}

impl From<ClientConfig> for sdk::ClientConfig {
    fn from(c: ClientConfig) -> Self {
        let mut out = sdk::ClientConfig::new(c.servers, c.data_dir, c.device_id, c.platform);
        out.heartbeat_secs = c.heartbeat_secs;
        out.ack_timeout_ms = c.ack_timeout_ms;
        out.max_send_attempts = c.max_send_attempts;
        out.backoff_initial_ms = c.backoff_initial_ms;
        out.backoff_max_ms = c.backoff_max_ms;
        out.sync_page = c.sync_page;
        out.request_timeout_ms = c.request_timeout_ms;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_sdks_and_round_trip() {
        let sdk_default = sdk::ClientConfig::new(vec!["http://a".into()], "/d".into(), "dev".into(), "ios".into());
        let mine = default_config(vec!["http://a".into()], "/d".into(), "dev".into(), "ios".into());
        assert_eq!(mine.heartbeat_secs, sdk_default.heartbeat_secs);
        assert_eq!(mine.request_timeout_ms, sdk_default.request_timeout_ms);
        let mut tuned = mine.clone();
        tuned.ack_timeout_ms = 1234;
        assert_eq!(sdk::ClientConfig::from(tuned).ack_timeout_ms, 1234);
        assert_eq!(sdk::ClientConfig::from(mine), sdk_default);
    }
}
