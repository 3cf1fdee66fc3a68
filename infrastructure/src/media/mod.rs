//! Media adapters: blob stores (a directory tree in the data dir, or an S3-compatible bucket)
//! and the image inspector (dimensions and thumbnails with the `image` crate).

mod image;
mod local;
mod s3;

pub use self::image::ImageCrateInspector;
pub use self::local::LocalMediaStore;
pub use self::s3::{S3MediaStore, S3Options};

/// Keys are hex hashes with an optional `.suffix`; anything else never reaches a path or URL.
fn check_key(key: &str) -> Result<(), tidings_domain::StoreError> {
    let ok = key.len() >= 4
        && key.len() <= 80
        && key.chars().all(|c| c.is_ascii_hexdigit() || c.is_ascii_lowercase() || c == '.')
        && !key.starts_with('.');
    if ok { Ok(()) } else { Err(tidings_domain::StoreError::Other(format!("bad media key {key:?}"))) }
}
