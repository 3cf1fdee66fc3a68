//! The catalog of settings: every key with its old name (if it had one), its default and one
//! line on what it is for. Each section declares its own entries beside its struct; this file
//! puts them together for `--help` (generated here) and docs/operations.md (checked against it
//! by the tests below). Defaults are not written here: they are rendered from `Settings::default()`.

use std::fmt::Write as _;

use serde_json::Value;

use super::{
    Settings, admin, auth, bots, cluster, db, devices, discovery, drain, gateway, groups, hooks, integration, limits,
    media, pipeline, push, retention, social, webhooks, ws,
};

/// One setting as `--help` and the docs list it.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Its name in its section, as in TOML (`heartbeat`).
    pub name: &'static str,
    /// The name it had before, still read (`heartbeat_secs`; a bare number counts in its unit).
    pub was: Option<&'static str>,
    /// What the default is, where it is not a value (an unset option meaning something, a
    /// default computed at start).
    pub default: Option<&'static str>,
    /// What it is for, in one line.
    pub meaning: &'static str,
}

impl Key {
    /// A key whose default is whatever `Default` gives it.
    pub const fn new(name: &'static str, meaning: &'static str) -> Self {
        Self { name, was: None, default: None, meaning }
    }

    /// The key once had this name, which still works.
    pub const fn was(self, old: &'static str) -> Self {
        Self { was: Some(old), ..self }
    }

    /// The default, said in words.
    pub const fn default_is(self, text: &'static str) -> Self {
        Self { default: Some(text), ..self }
    }
}

/// Every section in the order `--help` and the docs list them (`""`: the root keys).
pub const SECTIONS: &[(&str, &[Key])] = &[
    ("", super::KEYS),
    ("auth", auth::KEYS),
    ("limits", limits::KEYS),
    ("ws", ws::KEYS),
    ("devices", devices::KEYS),
    ("db", db::KEYS),
    ("pipeline", pipeline::KEYS),
    ("cluster", cluster::KEYS),
    ("social", social::KEYS),
    ("groups", groups::KEYS),
    ("gateway", gateway::KEYS),
    ("admin", admin::KEYS),
    ("integration", integration::KEYS),
    ("webhooks", webhooks::KEYS),
    ("hooks", hooks::KEYS),
    ("bots", bots::KEYS),
    ("push", push::KEYS),
    ("retention", retention::KEYS),
    ("media", media::KEYS),
    ("drain", drain::KEYS),
    ("discovery", discovery::KEYS),
];

/// A default as shown: code (a value one could write) or words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A value as it is written in TOML (without quotes).
    Code(String),
    /// A number or a boolean.
    Plain(String),
    /// Words: unset, empty, or what the key says it means.
    Words(String),
}

impl Shown {
    /// As plain text (`--help`).
    pub fn text(&self) -> &str {
        match self {
            Self::Code(s) | Self::Plain(s) | Self::Words(s) => s,
        }
    }

    /// As a Markdown table cell (docs/operations.md).
    pub fn markdown(&self) -> String {
        match self {
            Self::Code(s) => format!("`{s}`"),
            Self::Plain(s) | Self::Words(s) => s.clone(),
        }
    }
}

/// One setting, resolved: dotted key, environment variable, default.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `ws.heartbeat`, or `http_addr` for a root key.
    pub key: String,
    /// `TIDINGS_WS__HEARTBEAT`.
    pub env: String,
    /// The default, rendered from `Settings::default()`.
    pub default: Shown,
    /// `ws.heartbeat_secs`, when the key was renamed.
    pub was: Option<String>,
    /// One line on what it is for.
    pub meaning: &'static str,
}

/// The environment variable of `name` in `section`.
fn env_name(section: &str, name: &str) -> String {
    let path = if section.is_empty() { name.to_owned() } else { format!("{section}__{name}") };
    format!("TIDINGS_{}", path.to_uppercase())
}

fn dotted(section: &str, name: &str) -> String {
    if section.is_empty() { name.to_owned() } else { format!("{section}.{name}") }
}

/// How a default value reads.
fn shown(value: Option<&Value>) -> Shown {
    match value {
        None | Some(Value::Null) => Shown::Words("—".into()),
        Some(Value::String(s)) if s.is_empty() => Shown::Words("empty".into()),
        Some(Value::Array(a)) if a.is_empty() => Shown::Words("empty".into()),
        Some(Value::String(s)) => Shown::Code(s.clone()),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 => Shown::Plain(format!("{f:.0}")),
            _ => Shown::Plain(n.to_string()),
        },
        Some(other) => Shown::Plain(other.to_string()),
    }
}

/// Every setting, in catalog order, with its default rendered from `Settings::default()`.
pub fn entries() -> Vec<Entry> {
    let defaults = serde_json::to_value(Settings::default()).unwrap_or(Value::Null);
    let mut out = Vec::new();
    for (section, keys) in SECTIONS {
        let table = if section.is_empty() { Some(&defaults) } else { defaults.get(section) };
        for key in *keys {
            let value = table.and_then(|t| t.get(key.name));
            out.push(Entry {
                key: dotted(section, key.name),
                env: env_name(section, key.name),
                default: key.default.map_or_else(|| shown(value), |words| Shown::Words(words.into())),
                was: key.was.map(|old| dotted(section, old)),
                meaning: key.meaning,
            });
        }
    }
    out
}

/// The settings part of `--help`: every environment variable, what it is for, its default.
pub fn help_text() -> String {
    let entries = entries();
    let width = entries.iter().map(|e| e.env.len()).max().unwrap_or(0);
    let mut out = String::from(
        "Settings: built-in defaults < tidings.toml (or --config) < environment. TIDINGS_WS__HEARTBEAT is\n\
         `heartbeat` under `[ws]` in TOML. Durations take a unit (\"250ms\", \"20s\", \"5m\", \"7d\"); a\n\
         renamed key's old name (TIDINGS_WS__HEARTBEAT_SECS = heartbeat_secs) still works, a bare number\n\
         counting in its old unit.\n",
    );
    for e in &entries {
        let _ = writeln!(out, "  {:width$}  {} [{}]", e.env, e.meaning, e.default.text());
    }
    out.push_str(
        "Cluster mode = TIDINGS_DATABASE_URL (MySQL-compatible) + TIDINGS_REDIS_URL + TIDINGS_AMQP_URL\n\
         + TIDINGS_SIGNING_KEY shared by all instances.\n\
         See docs/operations.md for what each one does.",
    );
    out
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
