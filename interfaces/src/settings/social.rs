//! `[social]`: friends and direct messages.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tidings_domain::social::DmPolicy;

use super::Key;

/// Friends and direct messages.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialSettings {
    /// Who may message a user who has not chosen: `anyone` or `friends`.
    #[serde(with = "dm_policy")]
    pub default_dm_policy: DmPolicy,
}

/// The policy by its storage name (`anyone`, `friends`), as in `PUT /api/v1/me/privacy`; the
/// domain type carries no serde of its own.
mod dm_policy {
    use super::*;

    const NAMES: &[&str] = &["anyone", "friends"];

    pub fn serialize<S: Serializer>(policy: &DmPolicy, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(policy.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DmPolicy, D::Error> {
        let raw = String::deserialize(d)?;
        DmPolicy::parse(&raw).ok_or_else(|| serde::de::Error::unknown_variant(&raw, NAMES))
    }
}

/// `[social]` in `--help` and the docs.
pub(super) const KEYS: &[Key] =
    &[Key::new("default_dm_policy", "who may message a user who has not chosen: anyone | friends")];
