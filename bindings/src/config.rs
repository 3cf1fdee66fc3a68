//! The settings an app passes to `TidingsClient.create` are the SDK's own `ClientConfig` record
//! (its timing fields default to the SDK's values); this adds the function that builds one for
//! languages without record defaults.

use tidings_sdk::ClientConfig;

/// A config with the SDK's default timings (for languages without record defaults).
#[uniffi::export]
pub fn default_config(servers: Vec<String>, data_dir: String, device_id: String, platform: String) -> ClientConfig {
    ClientConfig::new(servers, data_dir, device_id, platform)
}
