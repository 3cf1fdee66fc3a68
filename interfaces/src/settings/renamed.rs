//! Old key names, read under their new ones. A renamed key (`ws.heartbeat_secs`, now
//! `ws.heartbeat`) is moved to its new name inside each source (the file, the environment)
//! before the sources are merged, so an old name in one source and the new name in another
//! override each other as any key does; both names in one source are an error. The names come
//! from the catalog (`Key::was`), the one place a rename is declared. Errors name a renamed key
//! by both its names, since the source may have used either.

use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

use super::catalog::SECTIONS;

/// How a source spells a key in messages.
#[derive(Clone, Copy)]
enum Spelling {
    /// `ws.heartbeat` (a TOML file).
    Dotted,
    /// `TIDINGS_WS__HEARTBEAT` (environment variables with this prefix).
    Env(&'static str),
}

impl Spelling {
    fn key(self, path: &[&str]) -> String {
        match self {
            Self::Dotted => path.join("."),
            Self::Env(prefix) => format!("{prefix}{}", path.join("__").to_ascii_uppercase()),
        }
    }

    /// `path` as the source spells it, with the old name when the key was renamed.
    fn key_and_old_name(self, path: &[&str]) -> String {
        let (section, name) = match path {
            [name] => ("", *name),
            [section, name] => (*section, *name),
            _ => return self.key(path),
        };
        let old = SECTIONS
            .iter()
            .filter(|(s, _)| *s == section)
            .flat_map(|(_, keys)| keys.iter())
            .find(|k| k.name == name)
            .and_then(|k| k.was);
        match old {
            Some(old) => {
                let old_path: Vec<&str> = path[..path.len() - 1].iter().copied().chain([old]).collect();
                format!("{} (or its old name {})", self.key(path), self.key(&old_path))
            }
            None => self.key(path),
        }
    }
}

/// A provider whose old key names are moved to their new ones.
pub struct Renamed<P> {
    inner: P,
    spelling: Spelling,
}

impl<P> Renamed<P> {
    /// A TOML file.
    pub fn file(inner: P) -> Self {
        Self { inner, spelling: Spelling::Dotted }
    }

    /// Environment variables with `prefix`, nested with `__`.
    pub fn env(inner: P, prefix: &'static str) -> Self {
        Self { inner, spelling: Spelling::Env(prefix) }
    }

    /// Moves every old name in `dict` (a whole settings tree) to its new one.
    fn rename(&self, dict: &mut Dict) -> Result<(), String> {
        for (section, keys) in SECTIONS {
            let table = if section.is_empty() {
                &mut *dict
            } else {
                match dict.get_mut(*section) {
                    Some(Value::Dict(_, table)) => table,
                    _ => continue,
                }
            };
            for key in *keys {
                let Some(old) = key.was else { continue };
                let Some(value) = table.remove(old) else { continue };
                if table.contains_key(key.name) {
                    let path = |name| if section.is_empty() { vec![name] } else { vec![*section, name] };
                    let (new, old) = (self.spelling.key(&path(key.name)), self.spelling.key(&path(old)));
                    return Err(format!("{new} and {old} (its old name) are both set; keep {new}"));
                }
                table.insert(key.name.to_owned(), value);
            }
        }
        Ok(())
    }
}

impl<P: Provider> Provider for Renamed<P> {
    fn metadata(&self) -> Metadata {
        let spelling = self.spelling;
        self.inner.metadata().interpolater(move |_: &Profile, path: &[&str]| spelling.key_and_old_name(path))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut data = self.inner.data()?;
        for dict in data.values_mut() {
            self.rename(dict).map_err(Error::from)?;
        }
        Ok(data)
    }

    fn profile(&self) -> Option<Profile> {
        self.inner.profile()
    }
}
