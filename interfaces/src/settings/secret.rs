//! A secret in the settings (a signing key, a password, a URL that may carry credentials): the
//! value is kept out of `Debug`, `Display` and serialization, so printing the settings (a log
//! line, a panic message, `--help`) never shows it, and it is wiped from memory when dropped.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret prints as.
pub const REDACTED: &str = "[redacted]";

/// A secret value of the settings; [`Secret::expose`] is the one way to read it.
#[derive(Clone, Default)]
pub struct Secret(SecretString);

impl Secret {
    /// The value, for the one place that needs it (a connection, a key, a hash).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether no value was given (an empty string).
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.into())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value.into())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

/// Serialized (for the defaults shown in `--help` and the docs) as `[redacted]`, or as an empty
/// string when there is nothing to hide.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(if self.is_empty() { "" } else { REDACTED })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_only_read_through_expose() {
        let s = Secret::from("hunter2-hunter2");
        assert_eq!(s.expose(), "hunter2-hunter2");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(serde_json::to_string(&s).unwrap_or_default(), "\"[redacted]\"");
        assert_eq!(serde_json::to_string(&Secret::default()).unwrap_or_default(), "\"\"");
    }
}
