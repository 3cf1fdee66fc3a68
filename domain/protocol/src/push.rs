//! Native push settings on the wire: a device's push token, the user's privacy and quiet hours,
//! and the badge count.

use serde::{Deserialize, Serialize};

/// Push services a token may belong to.
pub const PLATFORMS: &[&str] = &["apns", "fcm"];

/// How much a notification may show.
pub const PRIVACIES: &[&str] = &["full", "sender", "hidden"];

/// `PUT /api/v1/me/devices/{device_id}/push`: the token the platform gave the app on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushTokenRequest {
    /// `apns` (iOS) or `fcm` (Android).
    #[cfg_attr(feature = "openapi", schema(schema_with = platform_schema))]
    pub platform: String,
    /// The device token: 1 to 4096 printable ASCII characters.
    #[cfg_attr(feature = "openapi", schema(schema_with = token_schema))]
    pub token: String,
}

/// A daily window without notifications (mentions of the user excepted), in the user's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuietHours {
    /// Start, local `HH:MM`.
    #[cfg_attr(feature = "openapi", schema(schema_with = clock_schema))]
    pub start: String,
    /// End, local `HH:MM`; earlier than `start` for a window over midnight; not equal to it.
    #[cfg_attr(feature = "openapi", schema(schema_with = clock_schema))]
    pub end: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub tz: String,
}

/// A device with a push token, in [`PushSettings`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushDevice {
    /// The device id given at login.
    pub device_id: String,
    /// `apns` or `fcm`.
    pub platform: String,
    /// When the token was registered or last refreshed (ms).
    pub updated_at: i64,
}

/// `GET` and `PATCH /api/v1/me/push`: the caller's notification settings, shared by their devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushSettings {
    /// `full` (conversation, sender, text), `sender` (who, not what) or `hidden` (only that
    /// something arrived).
    pub privacy: String,
    /// When nothing is pushed, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
    /// Devices with a push token.
    pub devices: Vec<PushDevice>,
}

/// `PATCH /api/v1/me/push`: absent fields are kept; `quiet_hours: null` ends quiet hours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushSettingsPatch {
    /// `full`, `sender` or `hidden`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = privacy_schema))]
    pub privacy: Option<String>,
    /// A window, or `null` for none.
    #[serde(default, deserialize_with = "some_or_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<QuietHours>))]
    pub quiet_hours: Option<Option<QuietHours>>,
}

/// `GET /api/v1/me/badge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Badge {
    /// Unread messages over all the caller's conversations (the sum of the list's `unread`).
    pub unread: u64,
}

/// Tells a present `null` (`Some(None)`) from an absent field (`None`).
fn some_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<QuietHours>>, D::Error> {
    Option::<QuietHours>::deserialize(d).map(Some)
}

#[cfg(feature = "openapi")]
fn platform_schema() -> utoipa::openapi::schema::Object {
    crate::schemas::one_of(PLATFORMS)
}

#[cfg(feature = "openapi")]
fn privacy_schema() -> utoipa::openapi::schema::Object {
    crate::schemas::optional_one_of(PRIVACIES)
}

#[cfg(feature = "openapi")]
fn token_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[!-~]{1,4096}$")).build()
}

#[cfg(feature = "openapi")]
fn clock_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).pattern(Some("^([01][0-9]|2[0-3]):[0-5][0-9]$")).build()
}
