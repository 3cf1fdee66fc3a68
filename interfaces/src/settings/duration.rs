//! Durations in the settings, written humantime-style: `"250ms"`, `"20s"`, `"5m"`, `"7d"`.
//! Each duration setting replaced an integer key named for its unit (`heartbeat_secs`,
//! `retry_base_ms`, `retention_days`). The old name is still read (see `renamed`), and a bare
//! number, which is what it always held, counts in that unit under either name. Used as
//! `#[serde(with = "secs")]` (or `millis`, `days`) on a `Duration` field.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

use super::SettingsError;

/// The unit a bare number counts in.
#[derive(Clone, Copy)]
struct Unit {
    /// How long one is.
    one: Duration,
    /// Its name in messages.
    name: &'static str,
}

const MILLIS: Unit = Unit { one: Duration::from_millis(1), name: "milliseconds" };
const SECS: Unit = Unit { one: Duration::from_secs(1), name: "seconds" };
const DAYS: Unit = Unit { one: Duration::from_secs(86_400), name: "days" };

fn serialize<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_duration(*d))
}

fn deserialize<'de, D: Deserializer<'de>>(deserializer: D, unit: Unit) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(DurationVisitor(unit))
}

struct DurationVisitor(Unit);

impl DurationVisitor {
    fn count<E: de::Error>(&self, n: u64) -> Result<Duration, E> {
        u32::try_from(n)
            .ok()
            .and_then(|n| self.0.one.checked_mul(n))
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(n), self))
    }
}

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a duration such as \"250ms\", \"20s\" or \"7d\" (a bare number counts {})", self.0.name)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Duration, E> {
        self.count(n)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Duration, E> {
        match u64::try_from(n) {
            Ok(n) => self.count(n),
            Err(_) => Err(E::invalid_value(de::Unexpected::Signed(n), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Duration, E> {
        Duration::try_from_secs_f64(n * self.0.one.as_secs_f64())
            .map_err(|_| E::invalid_value(de::Unexpected::Float(n), &self))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
        match s.trim().parse::<u64>() {
            Ok(n) => self.count(n),
            Err(_) => {
                humantime::parse_duration(s.trim()).map_err(|e| E::custom(format!("`{s}`: {e}; {}", Expect(&self))))
            }
        }
    }
}

/// The visitor's `expecting` text, for messages of our own.
struct Expect<'a>(&'a DurationVisitor);

impl fmt::Display for Expect<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected ")?;
        self.0.expecting(f)
    }
}

/// A duration whose old key counted milliseconds (`…_ms`).
pub mod millis {
    use super::*;

    /// As humantime (`"250ms"`).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        super::serialize(d, s)
    }

    /// Humantime, or a bare number of milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        super::deserialize(d, MILLIS)
    }
}

/// A duration whose old key counted seconds (`…_secs`).
pub mod secs {
    use super::*;

    /// As humantime (`"20s"`).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        super::serialize(d, s)
    }

    /// Humantime, or a bare number of seconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        super::deserialize(d, SECS)
    }
}

/// A duration whose old key counted days (`…_days`).
pub mod days {
    use super::*;

    /// As humantime (`"7days"`).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        super::serialize(d, s)
    }

    /// Humantime, or a bare number of days.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        super::deserialize(d, DAYS)
    }
}

/// Whole milliseconds, for the services that count in them (saturating: no setting is near
/// 584 million years).
pub fn millis_u64(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Refuses a duration with a fraction of a second, for settings used in whole seconds (token
/// lifetimes, Redis TTLs), so `"1500ms"` is an error rather than quietly one second.
pub fn whole_seconds(key: &str, d: Duration) -> Result<(), SettingsError> {
    if d.subsec_nanos() == 0 {
        Ok(())
    } else {
        Err(SettingsError::new(format!(
            "{key} counts whole seconds; `{}` has a fraction",
            humantime::format_duration(d)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(with = "secs")]
        s: Duration,
        #[serde(with = "millis")]
        ms: Duration,
        #[serde(with = "days")]
        d: Duration,
    }

    fn probe(json: &str) -> Result<Probe, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn bare_numbers_count_in_the_old_unit_and_strings_are_humantime() {
        let p = probe(r#"{"s": 20, "ms": 250, "d": 7}"#).unwrap();
        assert_eq!(
            (p.s, p.ms, p.d),
            (Duration::from_secs(20), Duration::from_millis(250), Duration::from_secs(7 * 86_400))
        );
        let p = probe(r#"{"s": "1m 5s", "ms": "2s", "d": "12h"}"#).unwrap();
        assert_eq!((p.s, p.ms, p.d), (Duration::from_secs(65), Duration::from_secs(2), Duration::from_secs(43_200)));
        let p = probe(r#"{"s": "30", "ms": 0, "d": 0.5}"#).unwrap();
        assert_eq!((p.s, p.ms, p.d), (Duration::from_secs(30), Duration::ZERO, Duration::from_secs(43_200)));
    }

    #[test]
    fn bad_values_say_what_is_expected() {
        let err = probe(r#"{"s": "soon", "ms": 1, "d": 1}"#).unwrap_err();
        assert!(err.contains("`soon`") && err.contains("\"20s\""), "{err}");
        let err = probe(r#"{"s": -1, "ms": 1, "d": 1}"#).unwrap_err();
        assert!(err.contains("a bare number counts seconds"), "{err}");
    }

    #[test]
    fn durations_are_written_back_as_humantime() {
        let text = |d| humantime::format_duration(d).to_string();
        assert_eq!(text(Duration::from_secs(20)), "20s");
        assert_eq!(text(Duration::from_millis(250)), "250ms");
        assert_eq!(text(Duration::from_secs(30 * 86_400)), "30days");
        assert!(whole_seconds("auth.access_ttl", Duration::from_millis(1500)).is_err());
        assert!(whole_seconds("auth.access_ttl", Duration::from_secs(15)).is_ok());
    }
}
