//! Serving a blob: `Range` (one range) with 206/416, `ETag` and `If-None-Match`,
//! `Accept-Ranges`, a long private cache lifetime, and a streamed body.
//!
//! Media are whatever users uploaded, served from the API's own origin, so a blob must never run
//! as a page there: only raster images, audio and video are served inline; everything else
//! (HTML, SVG, XML, scripts, documents) is an `attachment`, and every blob carries `nosniff` and
//! a sandboxing `Content-Security-Policy` that lets nothing run even if a browser renders it.

use actix_web::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_RANGE, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ContentDisposition,
    DispositionType, ETAG, IF_NONE_MATCH, RANGE, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use tidings_protocol::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// A blob to serve.
pub(super) struct Blob {
    /// Store key (also the `ETag`).
    pub key: String,
    /// Total bytes.
    pub size: u64,
    /// `Content-Type`.
    pub content_type: String,
    /// The file name given at upload, for `Content-Disposition`.
    pub name: Option<String>,
}

/// For every blob: nothing loads, nothing runs, no plugin, no form, no same-origin access.
const MEDIA_CSP: &str =
    "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";

/// Types a browser shows without running anything: raster images, audio, video. Everything else
/// (HTML, SVG, XML, PDF, text, unknown types) is downloaded, never shown on this origin.
fn inline_safe(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(essence.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif" | "image/bmp")
        || ((essence.starts_with("audio/") || essence.starts_with("video/")) && !essence.contains('+'))
}

/// `Content-Disposition` of a blob: `inline` for the safe types, else `attachment` with the
/// upload's name (when it is a plain one).
fn disposition(blob: &Blob) -> ContentDisposition {
    if inline_safe(&blob.content_type) {
        return ContentDisposition { disposition: DispositionType::Inline, parameters: Vec::new() };
    }
    let name = blob.name.as_deref().filter(|n| !n.is_empty() && !n.chars().any(char::is_control));
    match name {
        Some(name) => ContentDisposition::attachment(name),
        None => ContentDisposition { disposition: DispositionType::Attachment, parameters: Vec::new() },
    }
}

/// Blobs never change under a key, so clients may keep them.
const CACHE: &str = "private, max-age=31536000, immutable";

/// The `start..end` (end exclusive) a `Range` header asks for, against `size` bytes. `Ok(None)`
/// without a header; `Err` for a malformed, multi-range or unsatisfiable one.
pub(super) fn parse_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(raw) = header else { return Ok(None) };
    let spec = raw.trim().strip_prefix("bytes=").ok_or(())?;
    if spec.contains(',') {
        return Err(());
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| s.parse::<u64>().map_err(|_| ());
    let (start, end) = match (a.is_empty(), b.is_empty()) {
        (true, true) => return Err(()),
        // `-n`: the last n bytes.
        (true, false) => {
            let n = num(b)?;
            if n == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size)
        }
        (false, true) => (num(a)?, size),
        (false, false) => {
            let (s, e) = (num(a)?, num(b)?);
            if e < s {
                return Err(());
            }
            (s, e.saturating_add(1).min(size))
        }
    };
    if start >= size {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// Answers with the blob (or its asked range).
pub(super) async fn serve(state: &AppState, req: &HttpRequest, blob: Blob) -> Result<HttpResponse, ApiError> {
    let etag = format!("\"{}\"", blob.key);
    let header = |name| req.headers().get(name).and_then(|v: &actix_web::http::header::HeaderValue| v.to_str().ok());
    if header(IF_NONE_MATCH).is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, CACHE))
            .finish());
    }
    let range = parse_range(header(RANGE), blob.size).map_err(|()| {
        ApiError::new(
            ErrorCode::RangeNotSatisfiable,
            format!("give one range inside bytes 0-{}", blob.size.saturating_sub(1)),
        )
        .with_header("content-range", format!("bytes */{}", blob.size))
    })?;
    let (start, end) = range.unwrap_or((0, blob.size));
    let stream = state.media.read(&blob.key, start, end).await?;
    let body = stream.map(|chunk| {
        chunk.map(actix_web::web::Bytes::from).map_err(|e| {
            tracing::error!(error = %e, "media stream failed");
            std::io::Error::other("media stream failed")
        })
    });
    let mut resp = match range {
        Some(_) => {
            let mut r = HttpResponse::PartialContent();
            r.insert_header((CONTENT_RANGE, format!("bytes {start}-{}/{}", end - 1, blob.size)));
            r
        }
        None => HttpResponse::Ok(),
    };
    Ok(resp
        .insert_header(disposition(&blob))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CONTENT_SECURITY_POLICY, MEDIA_CSP))
        .insert_header((CONTENT_TYPE, blob.content_type))
        .insert_header((ACCEPT_RANGES, "bytes"))
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, CACHE))
        .no_chunking(end - start)
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::{inline_safe, parse_range};

    #[test]
    fn only_images_audio_and_video_are_inline() {
        for safe in ["image/png", "image/jpeg; charset=x", "IMAGE/WEBP", "audio/mpeg", "video/mp4"] {
            assert!(inline_safe(safe), "{safe}");
        }
        for unsafe_type in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/xml",
            "application/pdf",
            "text/plain",
            "application/octet-stream",
            "application/javascript",
            "",
            "video/x+xml",
        ] {
            assert!(!inline_safe(unsafe_type), "{unsafe_type}");
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Ok(Some((0, 4))));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Ok(Some((5, 10))));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Ok(Some((7, 10))));
        assert_eq!(parse_range(Some("bytes=8-100"), 10), Ok(Some((8, 10))));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=3-1"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,4-5"), 10), Err(()));
        assert_eq!(parse_range(Some("items=0-1"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=x-1"), 10), Err(()));
    }
}
