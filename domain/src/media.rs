//! Media: uploaded blobs (images, files, voice clips, videos) that messages point to by id.
//! Blobs are content-addressed (the key is the SHA-256 of the bytes), so the same bytes are
//! stored once however often they are uploaded; each upload is a row of its own that names its
//! owner. Also the sniffing rule: which real content types each kind accepts.

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use crate::error::StoreError;
use crate::ids::{ConvId, UserId};

/// What an upload is for; each kind has its own size limit and accepted types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// A picture (PNG, JPEG, GIF, WebP), with dimensions and a thumbnail when decodable.
    Image,
    /// Any bytes.
    File,
    /// An audio clip.
    Voice,
    /// A video.
    Video,
}

impl MediaKind {
    /// Parses the wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "image" => Some(Self::Image),
            "file" => Some(Self::File),
            "voice" => Some(Self::Voice),
            "video" => Some(Self::Video),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::File => "file",
            Self::Voice => "voice",
            Self::Video => "video",
        }
    }
}

/// One upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `md_` + ULID.
    pub id: String,
    /// Who uploaded it.
    pub owner: UserId,
    /// What it is for.
    pub kind: MediaKind,
    /// The content type served on download (the sniffed one when known).
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes: the blob's key in the store.
    pub sha256: String,
    /// File name given at upload.
    pub name: Option<String>,
    /// Image width in pixels.
    pub width: Option<u32>,
    /// Image height in pixels.
    pub height: Option<u32>,
    /// Key of the thumbnail blob (images only).
    pub thumb_key: Option<String>,
    /// Upload time (ms).
    pub created_at: i64,
}

impl Media {
    /// A fresh media id.
    pub fn generate_id() -> String {
        format!("md_{}", ulid::Ulid::new())
    }
}

/// A stream of blob bytes, in order.
pub type BlobStream = BoxStream<'static, Result<Vec<u8>, StoreError>>;

/// Where blobs live: a directory tree in the data dir, or an S3-compatible bucket. Keys are
/// content hashes (plus a suffix for derived blobs such as thumbnails), so a put of a key that
/// exists already is a no-op.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Moves the staged file at `staged` into the store under `key` (the staged file is gone
    /// afterwards, whether the key existed already or not).
    async fn put_file(&self, key: &str, staged: &std::path::Path) -> Result<(), StoreError>;
    /// Stores small bytes (a thumbnail) under `key`.
    async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError>;
    /// The bytes of `key` in `start..end` (end exclusive), `None` when the key is missing.
    async fn get(&self, key: &str, start: u64, end: u64) -> Result<Option<BlobStream>, StoreError>;
    /// The size of `key`, `None` when missing.
    async fn head(&self, key: &str) -> Result<Option<u64>, StoreError>;
    /// Deletes `key` (missing is fine).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// Media rows and where each media id was sent.
#[async_trait]
pub trait MediaRepository: Send + Sync {
    /// Stores a new upload.
    async fn insert(&self, media: &Media) -> Result<(), StoreError>;
    /// One upload by id.
    async fn get(&self, id: &str) -> Result<Option<Media>, StoreError>;
    /// Records that `media_id` was sent in `conv` (idempotent).
    async fn record_sent(&self, media_id: &str, conv: &ConvId, now_ms: i64) -> Result<(), StoreError>;
    /// The conversations `media_id` was sent in.
    async fn sent_in(&self, media_id: &str) -> Result<Vec<ConvId>, StoreError>;
    /// Deletes uploads created before `cutoff_ms` (and their sent records); returns them.
    async fn delete_before(&self, cutoff_ms: i64, limit: u64) -> Result<Vec<Media>, StoreError>;
    /// Whether any upload still points at the blob `sha256`.
    async fn sha_in_use(&self, sha256: &str) -> Result<bool, StoreError>;
}

/// Facts read from an image while it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// A PNG thumbnail whose longest side is at most the asked size.
    pub thumbnail: Option<Vec<u8>>,
}

/// Why an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Wider or taller than allowed (checked before decoding: no decompression bombs).
    #[error("{width}x{height} is over the limit of {max} pixels a side")]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The limit.
        max: u32,
    },
    /// Not a decodable image of its claimed type.
    #[error("not a valid image: {0}")]
    Invalid(String),
    /// The server's budget for decoding images stayed spent while this one waited.
    #[error("too many images are being processed; try again shortly")]
    Busy,
    /// Reading the staged file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads dimensions and makes thumbnails (CPU work: implementations keep it off async workers).
#[async_trait]
pub trait ImageInspector: Send + Sync {
    /// Dimensions of the staged image (refused past `max_side` before any decoding) and, when it
    /// decodes, a thumbnail of at most `thumb_side` pixels a side.
    async fn inspect(&self, staged: &std::path::Path, max_side: u32, thumb_side: u32)
    -> Result<ImageFacts, ImageError>;
}

/// The content type the first bytes of a blob reveal, if they match a known signature.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let starts = |sig: &[u8]| head.starts_with(sig);
    let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if starts(b"\xff\xd8\xff") {
        return Some("image/jpeg");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some("image/gif");
    }
    if starts(b"RIFF") && at(8, b"WEBP") {
        return Some("image/webp");
    }
    if starts(b"RIFF") && at(8, b"WAVE") {
        return Some("audio/wav");
    }
    if starts(b"OggS") {
        return Some("audio/ogg");
    }
    if starts(b"#!AMR") {
        return Some("audio/amr");
    }
    if starts(b"ID3") || (head.len() >= 2 && head[0] == 0xff && (head[1] & 0xe0) == 0xe0 && (head[1] & 0x06) != 0) {
        return Some("audio/mpeg");
    }
    if head.len() >= 2 && head[0] == 0xff && (head[1] & 0xf6) == 0xf0 {
        return Some("audio/aac");
    }
    if starts(b"\x1a\x45\xdf\xa3") {
        return Some("video/webm");
    }
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return Some(match brand {
            b"M4A " | b"M4B " => "audio/mp4",
            b"qt  " => "video/quicktime",
            _ => "video/mp4",
        });
    }
    if starts(b"%PDF-") {
        return Some("application/pdf");
    }
    None
}

/// The lower-case type/subtype of a `Content-Type` header value (parameters dropped).
pub fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Whether a blob of `kind`, declared as `declared`, whose bytes look like `sniffed`, is
/// accepted; returns the content type to serve it with. `file` takes anything (served as
/// declared, or as the sniffed type, or as `application/octet-stream`); the other kinds need
/// bytes of their family whose sniffed type agrees with the declared one.
pub fn accept_type(kind: MediaKind, declared: Option<&str>, sniffed: Option<&'static str>) -> Result<String, String> {
    let declared = declared.map(essence).filter(|d| !d.is_empty());
    if kind == MediaKind::File {
        return Ok(declared.or(sniffed.map(str::to_owned)).unwrap_or_else(|| "application/octet-stream".into()));
    }
    let family = match kind {
        MediaKind::Image => "image/",
        MediaKind::Voice => "audio/",
        _ => "video/",
    };
    let Some(real) = sniffed else {
        return Err(format!("the bytes are not a recognised {} format", kind.as_str()));
    };
    // A voice clip may come in an MP4 or WebM container that sniffs as video.
    let family_ok = real.starts_with(family)
        || (kind == MediaKind::Voice && matches!(real, "video/mp4" | "video/webm"))
        || (kind == MediaKind::Video && real == "audio/mp4");
    if !family_ok {
        return Err(format!("the bytes are {real}, not a {} format", kind.as_str()));
    }
    match declared {
        None => Ok(real.to_owned()),
        Some(d) if same_type(&d, real) => Ok(d),
        Some(d) => Err(format!("declared {d} but the bytes are {real}")),
    }
}

/// Two content types name the same format (allowing common aliases and a container's audio or
/// video face).
fn same_type(declared: &str, real: &str) -> bool {
    let norm = |t: &str| -> String {
        match t {
            "image/jpg" | "image/pjpeg" => "image/jpeg".into(),
            "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "audio/wav".into(),
            "audio/mp3" | "audio/x-mpeg" => "audio/mpeg".into(),
            "audio/x-m4a" | "audio/m4a" | "audio/mp4" | "video/mp4" => "mp4".into(),
            "audio/webm" | "video/webm" | "video/x-matroska" => "webm".into(),
            "audio/x-aac" => "audio/aac".into(),
            other => other.to_owned(),
        }
    };
    norm(declared) == norm(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_formats() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(sniff(b"OggS\0\x02"), Some("audio/ogg"));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom"), Some("video/mp4"));
        assert_eq!(sniff(b"\0\0\0\x18ftypM4A "), Some("audio/mp4"));
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn checks_declared_against_sniffed() {
        let png = Some("image/png");
        assert_eq!(accept_type(MediaKind::Image, Some("image/png"), png), Ok("image/png".into()));
        assert!(accept_type(MediaKind::Image, Some("image/jpeg"), png).is_err());
        assert!(accept_type(MediaKind::Image, Some("image/png"), None).is_err());
        assert!(accept_type(MediaKind::Voice, Some("image/png"), png).is_err());
        assert_eq!(accept_type(MediaKind::Voice, Some("audio/x-m4a"), Some("audio/mp4")), Ok("audio/x-m4a".into()));
        assert_eq!(accept_type(MediaKind::File, Some("text/plain; charset=utf-8"), None), Ok("text/plain".into()));
        assert_eq!(accept_type(MediaKind::File, None, None), Ok("application/octet-stream".into()));
    }
}
