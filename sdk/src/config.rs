//! What an app tells the SDK when it builds a [`crate::Client`]: where the servers are, where to
//! keep the local store, who this device is, and the timing knobs of the connection. With the
//! `uniffi` feature it is a UniFFI record whose timing fields default to the values of
//! [`ClientConfig::new`], so generated code can build it from the first four fields only.

/// Settings of one [`crate::Client`]. Build with [`ClientConfig::new`] and adjust the public
/// fields; the defaults suit a phone app.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ClientConfig {
    /// Base URLs of the servers (`http://host:port`): where discovery is asked, and the
    /// fallback tried in order (rotated on failure) when discovery is off or gets no answer.
    pub servers: Vec<String>,
    /// Directory of the local SQLite store (created if missing).
    pub data_dir: String,
    /// The app's stable id for this device (1–64 printable ASCII characters).
    pub device_id: String,
    /// `android`, `ios`, `web`, `desktop` or `other`.
    pub platform: String,
    /// Seconds between `ping` frames; a connection silent for three of them is dropped.
    #[cfg_attr(feature = "uniffi", uniffi(default = 15))]
    pub heartbeat_secs: u64,
    /// How long a `send` or `recall` waits for its answer before it is retried.
    #[cfg_attr(feature = "uniffi", uniffi(default = 10000))]
    pub ack_timeout_ms: u64,
    /// Attempts per outgoing message before it is marked `failed`.
    #[cfg_attr(feature = "uniffi", uniffi(default = 5))]
    pub max_send_attempts: u32,
    /// First reconnect delay; each failure doubles it, with jitter, up to `backoff_max_ms`.
    #[cfg_attr(feature = "uniffi", uniffi(default = 250))]
    pub backoff_initial_ms: u64,
    /// Longest reconnect delay.
    #[cfg_attr(feature = "uniffi", uniffi(default = 30000))]
    pub backoff_max_ms: u64,
    /// Messages asked for per `sync` page (the server caps it at 200).
    #[cfg_attr(feature = "uniffi", uniffi(default = 200))]
    pub sync_page: u32,
    /// Timeout of every REST call and WebSocket handshake.
    #[cfg_attr(feature = "uniffi", uniffi(default = 15000))]
    pub request_timeout_ms: u64,
    /// This device's zone (region, data centre; at most 64 characters): discovery puts the
    /// instances of that zone first. `None`: no preference.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub zone: Option<String>,
    /// Ask `GET /api/v1/discovery` which instances to connect to (and probe their latency)
    /// instead of walking `servers` in order; `servers` stay the bootstrap list and fallback.
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub discovery: bool,
}

impl ClientConfig {
    /// Settings with the default timings (the record defaults of the bindings repeat them: UniFFI
    /// takes only literals there; the Python test checks that both agree).
    pub fn new(servers: Vec<String>, data_dir: String, device_id: String, platform: String) -> Self {
        Self {
            servers,
            data_dir,
            device_id,
            platform,
            heartbeat_secs: 15,
            ack_timeout_ms: 10_000,
            max_send_attempts: 5,
            backoff_initial_ms: 250,
            backoff_max_ms: 30_000,
            sync_page: 200,
            request_timeout_ms: 15_000,
            zone: None,
            discovery: true,
        }
    }

    /// Checks what the server would refuse anyway, so a bad config fails at build time.
    pub(crate) fn check(&self) -> Result<(), crate::SdkError> {
        use tidings_protocol::rest::rules;
        let bad = |why: &str| Err(crate::SdkError::InvalidInput { message: why.to_owned() });
        if self.servers.is_empty() {
            return bad("at least one server address is needed");
        }
        if let Some(s) = self.servers.iter().find(|s| !is_http_url(s)) {
            return bad(&format!("server address {s:?} must start with http:// or https://"));
        }
        if self.device_id.is_empty() || self.device_id.len() > 64 || !rules::device_id_chars_ok(&self.device_id) {
            return bad("device_id must be 1-64 printable ASCII characters without spaces");
        }
        if !rules::PLATFORMS.contains(&self.platform.as_str()) {
            return bad("platform must be one of android, ios, web, desktop, other");
        }
        if self.zone.as_ref().is_some_and(|z| z.is_empty() || z.chars().count() > 64) {
            return bad("zone must be 1-64 characters (or none)");
        }
        if self.max_send_attempts == 0 || self.heartbeat_secs == 0 || self.sync_page == 0 {
            return bad("max_send_attempts, heartbeat_secs and sync_page must be at least 1");
        }
        Ok(())
    }
}

/// An address the SDK can use as a server: an `http://` or `https://` base URL.
pub(crate) fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}
