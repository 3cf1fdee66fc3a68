//! `[media]`: uploads (per-kind size limits, thumbnails, a download origin) and the blob store
//! their bytes live in.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Key, Secret, SettingsError};

/// Where upload bytes live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaStoreKind {
    /// A directory tree (`media.dir`), one instance's.
    #[default]
    Local,
    /// An S3-compatible bucket, shared by a cluster.
    S3,
}

/// Media uploads: per-kind size limits, thumbnails, and the blob store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// `local` (a directory tree, `dir`) or `s3` (an S3-compatible bucket, shared by a cluster).
    pub store: MediaStoreKind,
    /// Directory of the local store; unset means `{data_dir}/media`.
    pub dir: Option<PathBuf>,
    /// Largest `image` upload (bytes).
    pub max_image_bytes: u64,
    /// Largest `file` upload (bytes); what a `file` message may declare is `limits.max_declared_file_bytes`.
    pub max_file_bytes: u64,
    /// Largest `voice` upload (bytes).
    pub max_voice_bytes: u64,
    /// Largest `video` upload (bytes).
    pub max_video_bytes: u64,
    /// Longest side of image thumbnails (pixels).
    pub thumbnail_side: u32,
    /// MiB of decoded images (for thumbnails) that may exist at once, across all uploads; an
    /// upload that waits over 10 s for room is refused `busy`.
    pub decode_budget_mib: u32,
    /// S3: `http(s)://host:port` of an S3-compatible server; unset means AWS.
    pub s3_endpoint: Option<String>,
    /// S3: bucket.
    pub s3_bucket: String,
    /// S3: region.
    pub s3_region: String,
    /// S3: access key id.
    pub s3_access_key_id: String,
    /// S3: secret access key.
    pub s3_secret_access_key: Secret,
    /// S3: allow a plain-HTTP endpoint.
    pub s3_allow_http: bool,
    /// S3: prefix of every object key.
    pub s3_prefix: String,
    /// A separate origin media are downloaded from (`https://media.example.com`), routed to
    /// these same servers: a media request that arrives on another host is redirected there
    /// (307, same path and query), so uploads never share the API's origin. Unset: media are
    /// served on every host.
    pub origin: Option<String>,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            store: MediaStoreKind::Local,
            dir: None,
            max_image_bytes: 20 * 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            max_voice_bytes: 10 * 1024 * 1024,
            max_video_bytes: 200 * 1024 * 1024,
            thumbnail_side: 256,
            decode_budget_mib: 512,
            s3_endpoint: None,
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: Secret::default(),
            s3_allow_http: false,
            s3_prefix: String::new(),
            origin: None,
        }
    }
}

impl MediaSettings {
    /// An S3 store names its bucket; limits are positive; thumbnails are a sane size; the
    /// origin is a bare `http(s)://host[:port]`.
    pub(super) fn check(&self) -> Result<(), SettingsError> {
        if self.store == MediaStoreKind::S3 && self.s3_bucket.is_empty() {
            return Err(SettingsError::new("media.store = \"s3\" needs media.s3_bucket"));
        }
        if self.max_image_bytes == 0
            || self.max_file_bytes == 0
            || self.max_voice_bytes == 0
            || self.max_video_bytes == 0
        {
            return Err(SettingsError::new("media.max_*_bytes must be positive"));
        }
        if !(16..=4096).contains(&self.thumbnail_side) {
            return Err(SettingsError::new("media.thumbnail_side must be 16..=4096"));
        }
        if let Some(origin) = &self.origin {
            let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            if !host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '?', '#', ' '])) {
                return Err(SettingsError::new(format!(
                    "media.origin: `{origin}` must be http(s)://host[:port], with no path"
                )));
            }
        }
        if self.decode_budget_mib == 0 {
            return Err(SettingsError::new("media.decode_budget_mib must be at least 1"));
        }
        Ok(())
    }
}

/// `[media]` in `--help` and the docs.
pub(super) const KEYS: &[Key] = &[
    Key::new("store", "where upload bytes live: local | s3"),
    Key::new("dir", "the local store; uploads are staged in its tmp/").default_is("{data_dir}/media"),
    Key::new("max_image_bytes", "largest image upload"),
    Key::new("max_file_bytes", "largest file upload (what a file message declares: limits.max_declared_file_bytes)"),
    Key::new("max_voice_bytes", "largest voice upload"),
    Key::new("max_video_bytes", "largest video upload"),
    Key::new("thumbnail_side", "longest side of image thumbnails (16-4096 pixels)"),
    Key::new("decode_budget_mib", "MiB of decoded images that may exist at once"),
    Key::new("s3_endpoint", "http(s)://host:port of an S3-compatible server").default_is("AWS"),
    Key::new("s3_bucket", "the bucket (required with store = s3)"),
    Key::new("s3_region", "region used for signing"),
    Key::new("s3_access_key_id", "access key"),
    Key::new("s3_secret_access_key", "secret key"),
    Key::new("s3_allow_http", "allow a plain-HTTP endpoint"),
    Key::new("s3_prefix", "prefix of every object key"),
    Key::new("origin", "a separate origin media downloads are redirected to"),
];
