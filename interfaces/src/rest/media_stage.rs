//! Streams an upload's body into a staging file in the data dir, hashing it on the way and
//! keeping its first bytes for sniffing. Never holds the whole body in memory, and stops reading
//! as soon as the body passes its limit.

use std::path::{Path, PathBuf};

use actix_web::web;
use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};
use tidings_app::media::Staged;
use tokio::io::AsyncWriteExt as _;

use crate::error::ApiError;

/// Bytes kept for sniffing the type.
const HEAD: usize = 64;

/// Removes a staging file that was not handed over (an aborted or refused upload).
struct Cleanup(Option<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn internal(e: std::io::Error) -> ApiError {
    tidings_app::AppError::Internal(format!("media staging: {e}")).into()
}

/// Writes the body to a new file under `dir`. `None` when it passed `max` bytes (the partial
/// file is removed); the caller owns the file afterwards.
pub(super) async fn stage(dir: &Path, mut payload: web::Payload, max: u64) -> Result<Option<Staged>, ApiError> {
    tokio::fs::create_dir_all(dir).await.map_err(internal)?;
    let path = dir.join(tidings_domain::media::Media::generate_id());
    let mut cleanup = Cleanup(Some(path.clone()));
    let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(HEAD);
    let mut size: u64 = 0;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("the upload was interrupted: {e}")))?;
        size += chunk.len() as u64;
        if size > max {
            return Ok(None);
        }
        if head.len() < HEAD {
            let take = (HEAD - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.sync_data().await.map_err(internal)?;
    cleanup.0 = None;
    Ok(Some(Staged { path, size, sha256: hex::encode(hasher.finalize()), head }))
}
