//! The token signing key: generated on first start and kept in the data dir (mode 0600), or
//! given explicitly so that every instance of a cluster signs with the same key.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("signing key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key is not base64 of at least 32 bytes.
    #[error("signing key must be base64 of at least 32 bytes")]
    Malformed,
}

/// Decodes an explicit key, or loads `path`, creating it with a fresh random key if missing.
pub fn load_or_create_signing_key(explicit: Option<&str>, path: &Path) -> Result<Vec<u8>, KeyError> {
    let io = |source| KeyError::Io { path: path.display().to_string(), source };
    if let Some(text) = explicit {
        return decode(text);
    }
    match std::fs::read_to_string(path) {
        Ok(text) => decode(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 32];
            rand::rng().fill_bytes(&mut key);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut file = opts.open(path).map_err(io)?;
            file.write_all(STANDARD.encode(&key).as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            tracing::info!(path = %path.display(), "generated a new token signing key");
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

fn decode(text: &str) -> Result<Vec<u8>, KeyError> {
    let key = STANDARD.decode(text.trim()).map_err(|_| KeyError::Malformed)?;
    if key.len() < 32 {
        return Err(KeyError::Malformed);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        let first = load_or_create_signing_key(None, &path).unwrap();
        let again = load_or_create_signing_key(None, &path).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.len(), 32);
        assert!(matches!(load_or_create_signing_key(Some("c2hvcnQ="), &path), Err(KeyError::Malformed)));
    }
}
