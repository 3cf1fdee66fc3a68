//! [`ImageInspector`] with the `image` crate (PNG and JPEG): reads the dimensions from the
//! header, refuses images past the side limit before decoding anything, and renders a PNG
//! thumbnail. Runs on the blocking pool.

use std::io::Cursor;
use std::path::Path;

use async_trait::async_trait;
use image::{ImageFormat, ImageReader, Limits};
use tidings_domain::StoreError;
use tidings_domain::media::{ImageError, ImageFacts, ImageInspector};

/// Most memory one decode may allocate; a bigger image is accepted without a thumbnail.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// The `image`-crate inspector.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageCrateInspector;

#[async_trait]
impl ImageInspector for ImageCrateInspector {
    async fn inspect(&self, staged: &Path, max_side: u32, thumb_side: u32) -> Result<ImageFacts, ImageError> {
        let path = staged.to_path_buf();
        tokio::task::spawn_blocking(move || inspect_now(&path, max_side, thumb_side))
            .await
            .map_err(|e| ImageError::Store(StoreError::Other(format!("image task: {e}"))))?
    }
}

fn open(path: &Path) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, ImageError> {
    ImageReader::open(path)
        .map_err(|e| ImageError::Store(StoreError::Other(format!("reading staged image: {e}"))))?
        .with_guessed_format()
        .map_err(|e| ImageError::Store(StoreError::Other(format!("reading staged image: {e}"))))
}

fn inspect_now(path: &Path, max_side: u32, thumb_side: u32) -> Result<ImageFacts, ImageError> {
    let (width, height) = open(path)?.into_dimensions().map_err(|e| ImageError::Invalid(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(ImageError::Invalid("zero width or height".into()));
    }
    if width.max(height) > max_side {
        return Err(ImageError::TooLarge { width, height, max: max_side });
    }
    let mut reader = open(path)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let thumbnail = match reader.decode() {
        Ok(img) => {
            let small = if width.max(height) > thumb_side { img.thumbnail(thumb_side, thumb_side) } else { img };
            let mut out = Cursor::new(Vec::new());
            match small.write_to(&mut out, ImageFormat::Png) {
                Ok(()) => Some(out.into_inner()),
                Err(e) => {
                    tracing::warn!(error = %e, "could not encode a thumbnail");
                    None
                }
            }
        }
        Err(e) => {
            tracing::info!(error = %e, width, height, "image accepted without a thumbnail");
            None
        }
    };
    Ok(ImageFacts { width, height, thumbnail })
}
