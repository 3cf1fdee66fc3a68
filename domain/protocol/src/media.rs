//! Media upload answers (`POST /api/v1/media`).

use serde::{Deserialize, Serialize};

/// What the server stored for an upload; messages refer to it by `media_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaInfo {
    /// Id to put in an image, file, voice or video message body.
    pub media_id: String,
    /// `image`, `file`, `voice` or `video`.
    pub kind: String,
    /// The type served on download (checked against the bytes for every kind but `file`).
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes (also the download's `ETag`).
    pub sha256: String,
    /// File name given at upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Image width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Image height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Whether `GET /api/v1/media/{media_id}/thumbnail` serves a thumbnail.
    pub thumbnail: bool,
}
