//! `GET /api/v1/discovery`: which instances a client should connect to, best first.

use serde::{Deserialize, Serialize};

#[cfg(feature = "validate")]
use validator::Validate;

#[cfg(feature = "validate")]
use crate::rest::rules;

/// The query of `GET /api/v1/discovery`; both fields are optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "validate", derive(Validate))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DiscoveryQuery {
    /// The app's stable id for this device (1–64 printable ASCII characters): the same device
    /// is sent to the same instance while it is healthy. Without it, the client's address is used.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::device_id")))]
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 64, pattern = "^[!-~]+$"))]
    pub device_id: Option<String>,
    /// The client's zone (region, data centre): instances of that zone come first.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::device_id")))]
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 64, pattern = "^[!-~]+$"))]
    pub zone: Option<String>,
    /// The id of the instance this device was last connected to: offered first again while it
    /// is healthy and within its share of the load, so a reconnect lands where the device was.
    #[serde(default)]
    #[cfg_attr(feature = "validate", validate(length(min = 1, max = 64), custom(function = "rules::device_id")))]
    #[cfg_attr(feature = "openapi", param(min_length = 1, max_length = 64, pattern = "^[!-~]+$"))]
    pub last: Option<String>,
}

/// One instance a client may connect to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscoveredInstance {
    /// The instance's id.
    pub id: String,
    /// Its public HTTP base URL (`https://host:port`).
    pub url: String,
    /// Its WebSocket URL.
    pub ws_url: String,
    /// Its zone (empty when not configured).
    pub zone: String,
    /// Connections it holds now.
    pub connections: u64,
    /// Connections it is sized for.
    pub capacity: u64,
    /// `connections / capacity`.
    pub load: f64,
    /// Always false in an answer (a draining instance is never recommended); kept so clients
    /// can show the registry's view as it is.
    pub draining: bool,
}

/// The answer of `GET /api/v1/discovery`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscoveryResponse {
    /// Best first: the device's home instance, then the others of its zone, then the least
    /// loaded. Empty only while the cluster has no healthy instance.
    pub instances: Vec<DiscoveredInstance>,
    /// The id of the device's home instance (the first entry), if any.
    pub home: Option<String>,
    /// How long the client may keep using this answer before asking again.
    pub ttl_secs: u64,
}
