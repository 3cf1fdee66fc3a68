//! `[admin]`: the first administrator, created at start-up.

use serde::{Deserialize, Serialize};

use super::{Key, Secret, SettingsError};

/// The first administrator: created at start-up if the username does not exist yet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// Username of the admin to create (with `initial_password`).
    pub initial_username: Option<String>,
    /// Their password (8–128 characters).
    pub initial_password: Option<Secret>,
}

impl AdminSettings {
    /// Both or neither, and each as an account would need it.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        let fail = |m: &str| Err(SettingsError::new(m));
        match (&self.initial_username, &self.initial_password) {
            (None, None) => Ok(()),
            (Some(name), Some(password)) => {
                let name_ok = (3..=32).contains(&name.len()) && tidings_protocol::rest::rules::username_chars_ok(name);
                if !name_ok {
                    return fail(
                        "admin.initial_username must be 3-32 of a-z 0-9 _ . -, starting with a letter or digit",
                    );
                }
                if !(8..=128).contains(&password.expose().chars().count()) {
                    return fail("admin.initial_password must be 8-128 characters");
                }
                Ok(())
            }
            _ => fail("admin.initial_username and admin.initial_password go together: give both or neither"),
        }
    }
}

/// `[admin]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("initial_username", "first admin, created at start if missing (with initial_password)"),
    Key::new("initial_password", "that admin's password (8-128 characters)"),
];
