//! `[devices]`: how many devices of each platform one account may have logged in at once.

use serde::{Deserialize, Serialize};

use super::Key;

/// Multi-device policy: most devices logged in at once per platform (0: no limit). A login
/// beyond the limit logs the platform's oldest device out (`kicked`, close 4001).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceSettings {
    /// `android` devices.
    pub android: u32,
    /// `ios` devices.
    pub ios: u32,
    /// `desktop` devices.
    pub desktop: u32,
    /// `web` devices (browser tabs log in as devices of their own).
    pub web: u32,
    /// `other` devices.
    pub other: u32,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        let d = tidings_app::DeviceLimits::default();
        Self { android: d.android, ios: d.ios, desktop: d.desktop, web: d.web, other: d.other }
    }
}

impl DeviceSettings {
    /// The limits as the account service takes them.
    pub fn limits(&self) -> tidings_app::DeviceLimits {
        tidings_app::DeviceLimits {
            android: self.android,
            ios: self.ios,
            desktop: self.desktop,
            web: self.web,
            other: self.other,
        }
    }
}

/// `[devices]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("android", "Android devices logged in at once; a newer login kicks the oldest (0: no limit)"),
    Key::new("ios", "iOS devices logged in at once (0: no limit)"),
    Key::new("desktop", "desktop devices logged in at once (0: no limit)"),
    Key::new("web", "browser devices logged in at once (0: no limit)"),
    Key::new("other", "`other` devices logged in at once (0: no limit)"),
];
