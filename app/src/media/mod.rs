//! Media use cases: accept a staged upload (type check, image facts, content-addressed store),
//! authorise downloads (the uploader, or a member of a conversation where the media was sent),
//! and purge old uploads for retention.

mod access;

use std::path::PathBuf;
use std::sync::Arc;

use tidings_domain::media::{ImageError, ImageInspector, Media, MediaKind, MediaRepository, MediaStore, accept_type};
use tidings_domain::ports::ConversationStore;
use tidings_domain::{StoreError, UserId};

pub use access::may_access;

use crate::clock::now_ms;
use crate::error::AppError;
use crate::messaging::check_media_id;

/// Upload bounds.
#[derive(Debug, Clone, Copy)]
pub struct MediaLimits {
    /// Largest image upload (bytes).
    pub max_image_bytes: u64,
    /// Largest file upload (bytes).
    pub max_file_bytes: u64,
    /// Largest voice upload (bytes).
    pub max_voice_bytes: u64,
    /// Largest video upload (bytes).
    pub max_video_bytes: u64,
    /// Largest image width or height (pixels), checked before decoding.
    pub max_side: u32,
    /// Longest side of a thumbnail (pixels).
    pub thumb_side: u32,
}

impl MediaLimits {
    /// The size limit of one kind.
    pub fn max_bytes(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.max_image_bytes,
            MediaKind::File => self.max_file_bytes,
            MediaKind::Voice => self.max_voice_bytes,
            MediaKind::Video => self.max_video_bytes,
        }
    }
}

/// An upload written to a local staging file by the transport, hashed on the way.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The staging file (moved into the store on success).
    pub path: PathBuf,
    /// Bytes written.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The first bytes, for sniffing.
    pub head: Vec<u8>,
}

/// What the uploader said about an upload.
#[derive(Debug, Clone)]
pub struct UploadMeta {
    /// What it is for.
    pub kind: MediaKind,
    /// The `Content-Type` the client sent.
    pub declared_type: Option<String>,
    /// File name.
    pub name: Option<String>,
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Upload rows deleted.
    pub media: u64,
    /// Blobs deleted (no upload pointed at them any more).
    pub blobs: u64,
}

/// Rows purged per round trip.
const PURGE_BATCH: u64 = 500;

/// Media use cases.
pub struct MediaService {
    repo: Arc<dyn MediaRepository>,
    store: Arc<dyn MediaStore>,
    images: Arc<dyn ImageInspector>,
    convs: Arc<dyn ConversationStore>,
    limits: MediaLimits,
}

impl MediaService {
    /// Wires the service.
    pub fn new(
        repo: Arc<dyn MediaRepository>,
        store: Arc<dyn MediaStore>,
        images: Arc<dyn ImageInspector>,
        convs: Arc<dyn ConversationStore>,
        limits: MediaLimits,
    ) -> Self {
        Self { repo, store, images, convs, limits }
    }

    /// The upload bounds (the transport stops reading past them).
    pub fn limits(&self) -> MediaLimits {
        self.limits
    }

    /// Accepts a staged upload: checks size and type, reads image facts and makes a thumbnail,
    /// moves the bytes into the store (once per content) and records the upload.
    #[tracing::instrument(skip_all, fields(owner = %owner, kind = meta.kind.as_str(), size = staged.size))]
    pub async fn upload(&self, owner: &UserId, meta: UploadMeta, staged: &Staged) -> Result<Media, AppError> {
        let max = self.limits.max_bytes(meta.kind);
        if staged.size > max {
            return Err(AppError::MediaTooLarge(format!("{} uploads are limited to {max} bytes", meta.kind.as_str())));
        }
        if staged.size == 0 {
            return Err(AppError::InvalidField("the upload is empty".into()));
        }
        if let Some(name) = &meta.name {
            let bad = name.trim().is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control);
            if bad {
                return Err(AppError::InvalidField("name must be 1-255 characters without control characters".into()));
            }
        }
        let sniffed = tidings_domain::media::sniff(&staged.head);
        let content_type =
            accept_type(meta.kind, meta.declared_type.as_deref(), sniffed).map_err(AppError::MediaTypeMismatch)?;
        let mut media = Media {
            id: Media::generate_id(),
            owner: owner.clone(),
            kind: meta.kind,
            content_type,
            size: staged.size,
            sha256: staged.sha256.clone(),
            name: meta.name,
            width: None,
            height: None,
            thumb_key: None,
            created_at: now_ms(),
        };
        if meta.kind == MediaKind::Image && matches!(sniffed, Some("image/png" | "image/jpeg")) {
            let facts =
                self.images.inspect(&staged.path, self.limits.max_side, self.limits.thumb_side).await.map_err(|e| {
                    match e {
                        ImageError::TooLarge { .. } => AppError::MediaTooLarge(e.to_string()),
                        ImageError::Invalid(why) => AppError::MediaTypeMismatch(format!("not a valid image: {why}")),
                        ImageError::Busy => AppError::Busy,
                        ImageError::Store(s) => s.into(),
                    }
                })?;
            media.width = Some(facts.width);
            media.height = Some(facts.height);
            if let Some(thumb) = facts.thumbnail {
                let key = format!("{}.thumb", media.sha256);
                self.store.put_bytes(&key, thumb).await?;
                media.thumb_key = Some(key);
            }
        }
        self.store.put_file(&media.sha256, &staged.path).await?;
        self.repo.insert(&media).await?;
        tracing::debug!(media = %media.id, sha256 = %media.sha256, "media stored");
        Ok(media)
    }

    /// The upload, if `user` may fetch it; `media_not_found` otherwise (strangers learn nothing).
    pub async fn authorize(&self, user: &UserId, id: &str) -> Result<Media, AppError> {
        check_media_id(id)?;
        let media = self.repo.get(id).await?.ok_or(AppError::MediaNotFound)?;
        if may_access(self.repo.as_ref(), self.convs.as_ref(), user, &media).await? {
            Ok(media)
        } else {
            Err(AppError::MediaNotFound)
        }
    }

    /// Bytes `start..end` of a blob.
    pub async fn read(&self, key: &str, start: u64, end: u64) -> Result<tidings_domain::media::BlobStream, AppError> {
        self.store
            .get(key, start, end)
            .await?
            .ok_or_else(|| AppError::Internal(format!("blob {key} is missing from the media store")))
    }

    /// The size of a stored blob (a thumbnail's, say).
    pub async fn blob_size(&self, key: &str) -> Result<u64, AppError> {
        self.store
            .head(key)
            .await?
            .ok_or_else(|| AppError::Internal(format!("blob {key} is missing from the media store")))
    }

    /// Deletes uploads created before `cutoff_ms`, and the blobs (and thumbnails) no remaining
    /// upload points at. For the retention job.
    pub async fn purge_before(&self, cutoff_ms: i64) -> Result<PurgeReport, AppError> {
        let mut report = PurgeReport::default();
        loop {
            let batch = self.repo.delete_before(cutoff_ms, PURGE_BATCH).await?;
            report.media += batch.len() as u64;
            let mut shas: Vec<&Media> = batch.iter().collect();
            shas.sort_by(|a, b| a.sha256.cmp(&b.sha256));
            shas.dedup_by(|a, b| a.sha256 == b.sha256);
            for m in shas {
                if self.repo.sha_in_use(&m.sha256).await? {
                    continue;
                }
                self.store.delete(&m.sha256).await?;
                self.store.delete(&format!("{}.thumb", m.sha256)).await?;
                report.blobs += 1;
            }
            if (batch.len() as u64) < PURGE_BATCH {
                break;
            }
        }
        tracing::info!(media = report.media, blobs = report.blobs, "media purged");
        Ok(report)
    }
}

/// Media ages with the messages: the retention job trims uploads with the same cutoff.
#[async_trait::async_trait]
impl tidings_domain::retention::Purger for MediaService {
    fn name(&self) -> &str {
        "media"
    }

    async fn purge_before(&self, cutoff_ms: i64) -> Result<tidings_domain::retention::PurgeReport, StoreError> {
        let report = MediaService::purge_before(self, cutoff_ms)
            .await
            .map_err(|e| StoreError::Other(format!("media purge: {e}")))?;
        Ok(tidings_domain::retention::PurgeReport { deleted: report.media + report.blobs, conversations: 0 })
    }
}
