//! Media: the blob store the settings name (local directory or S3), the upload checks, and the
//! retention job that trims messages and uploads with one cutoff.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tidings_app::{MediaLimits, MediaService, RetentionConfig, RetentionJob};
use tidings_domain::media::MediaStore;
use tidings_domain::ports::ConversationStore;
use tidings_domain::retention::Purger;
use tidings_infrastructure::db::{SqlMediaRepository, SqlRetentionStore};
use tidings_infrastructure::media::{ImageCrateInspector, LocalMediaStore, S3MediaStore, S3Options};

use crate::settings::{MediaSettings, MediaStoreKind, RetentionSettings};
use crate::startup::cores;

/// The local media directory (also where uploads are staged, under `tmp`).
pub(super) fn media_dir(media: &MediaSettings, data_dir: &Path) -> PathBuf {
    media.dir.clone().unwrap_or_else(|| data_dir.join("media"))
}

/// The media service on the configured blob store; `max_side` is `limits.max_media_side`.
pub(super) fn service(
    m: &MediaSettings,
    data_dir: &Path,
    max_side: u32,
    db: &DatabaseConnection,
    convs: Arc<dyn ConversationStore>,
) -> anyhow::Result<MediaService> {
    let store: Arc<dyn MediaStore> = match m.store {
        MediaStoreKind::S3 => Arc::new(
            S3MediaStore::new(&S3Options {
                endpoint: m.s3_endpoint.clone(),
                bucket: m.s3_bucket.clone(),
                region: m.s3_region.clone(),
                access_key_id: m.s3_access_key_id.clone(),
                secret_access_key: m.s3_secret_access_key.expose().to_owned(),
                allow_http: m.s3_allow_http,
                prefix: m.s3_prefix.clone(),
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        MediaStoreKind::Local => Arc::new(LocalMediaStore::new(media_dir(m, data_dir))),
    };
    Ok(MediaService::new(
        Arc::new(SqlMediaRepository::new(db.clone())),
        store,
        Arc::new(ImageCrateInspector::new(m.decode_budget_mib, cores())),
        convs,
        MediaLimits {
            max_image_bytes: m.max_image_bytes,
            max_file_bytes: m.max_file_bytes,
            max_voice_bytes: m.max_voice_bytes,
            max_video_bytes: m.max_video_bytes,
            max_side,
            thumb_side: m.thumbnail_side,
        },
    ))
}

/// Starts the retention job when `retention.max_age` is set. `purgers` trim what else ages
/// with the messages (the uploads).
pub(super) fn start_retention(r: &RetentionSettings, db: &DatabaseConnection, purgers: Vec<Arc<dyn Purger>>) {
    if !r.is_on() {
        return;
    }
    let config = RetentionConfig { max_age: r.max_age, interval: r.interval, batch: r.batch_size };
    tracing::info!(max_age = ?r.max_age, interval = ?r.interval, "retention job started");
    RetentionJob::new(Arc::new(SqlRetentionStore::new(db.clone())), purgers, config).spawn();
}
