//! [`ImageInspector`] with the `image` crate (PNG and JPEG): reads the dimensions from the
//! header, refuses images past the side limit before decoding anything, and renders a PNG
//! thumbnail. Runs on the blocking pool.
//!
//! Decoding holds the whole bitmap in memory (a 9,000 × 9,000 PNG of 236 KB is ~300 MB
//! decoded), so decodes share one budget: a decode takes its estimated bytes from a memory
//! budget (`media.decode_budget_mib`) and one of a few decode slots (one per core) before it
//! starts, waits up to [`BUDGET_WAIT`] for them (then the upload is refused `busy`), and an
//! image whose bitmap alone would exceed the whole budget is kept without a thumbnail.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use async_trait::async_trait;
use image::{ImageFormat, ImageReader, Limits};
use tidings_domain::StoreError;
use tidings_domain::media::{ImageError, ImageFacts, ImageInspector};

/// Most memory one decode may allocate; a bigger image is accepted without a thumbnail.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// How long an upload waits for the decode budget before it is refused `busy`.
pub const BUDGET_WAIT: Duration = Duration::from_secs(10);

/// Bytes a decoded pixel may take (RGBA, 8 bits a channel), for the budget's estimate.
const BYTES_PER_PIXEL: u64 = 4;

/// The `image`-crate inspector, with its decode budget.
#[derive(Debug, Clone)]
pub struct ImageCrateInspector {
    /// MiB of decoded bitmaps that may exist at once.
    memory: Arc<Semaphore>,
    memory_mib: u32,
    /// Decodes that may run at once.
    slots: Arc<Semaphore>,
}

impl ImageCrateInspector {
    /// An inspector whose decodes together hold at most `budget_mib` MiB of bitmaps, and run at
    /// most `concurrent` at a time.
    pub fn new(budget_mib: u32, concurrent: usize) -> Self {
        let memory_mib = budget_mib.max(1);
        Self {
            memory: Arc::new(Semaphore::new(memory_mib as usize)),
            memory_mib,
            slots: Arc::new(Semaphore::new(concurrent.max(1))),
        }
    }

    /// The MiB a decode of `width` × `height` takes from the budget, or `None` when it would
    /// not fit in the whole budget (such an image gets no thumbnail).
    fn cost_mib(&self, width: u32, height: u32) -> Option<u32> {
        let bytes = u64::from(width) * u64::from(height) * BYTES_PER_PIXEL;
        let mib = u32::try_from(bytes.div_ceil(1024 * 1024)).ok()?.max(1);
        (mib <= self.memory_mib && bytes <= MAX_DECODE_BYTES).then_some(mib)
    }
}

#[async_trait]
impl ImageInspector for ImageCrateInspector {
    async fn inspect(&self, staged: &Path, max_side: u32, thumb_side: u32) -> Result<ImageFacts, ImageError> {
        let path = staged.to_path_buf();
        let (width, height) = blocking({
            let path = path.clone();
            move || dimensions(&path, max_side)
        })
        .await?;
        let Some(cost) = self.cost_mib(width, height) else {
            tracing::info!(width, height, "image accepted without a thumbnail: too large to decode");
            return Ok(ImageFacts { width, height, thumbnail: None });
        };
        let permits = async {
            let memory = self.memory.clone().acquire_many_owned(cost).await;
            let slot = self.slots.clone().acquire_owned().await;
            (memory, slot)
        };
        let (Ok(memory), Ok(slot)) = tokio::time::timeout(BUDGET_WAIT, permits).await.map_err(|_| ImageError::Busy)?
        else {
            return Err(ImageError::Busy);
        };
        let thumbnail = blocking(move || {
            let thumbnail = thumbnail_now(&path, (width, height), max_side, thumb_side);
            drop((memory, slot));
            Ok(thumbnail)
        })
        .await?;
        Ok(ImageFacts { width, height, thumbnail })
    }
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ImageError> + Send + 'static,
) -> Result<T, ImageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ImageError::Store(StoreError::Other(format!("image task: {e}"))))?
}

fn open(path: &Path) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, ImageError> {
    ImageReader::open(path)
        .map_err(|e| ImageError::Store(StoreError::Other(format!("reading staged image: {e}"))))?
        .with_guessed_format()
        .map_err(|e| ImageError::Store(StoreError::Other(format!("reading staged image: {e}"))))
}

/// The image's size from its header, refused past `max_side` before anything is decoded.
fn dimensions(path: &Path, max_side: u32) -> Result<(u32, u32), ImageError> {
    let (width, height) = open(path)?.into_dimensions().map_err(|e| ImageError::Invalid(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(ImageError::Invalid("zero width or height".into()));
    }
    if width.max(height) > max_side {
        return Err(ImageError::TooLarge { width, height, max: max_side });
    }
    Ok((width, height))
}

/// Decodes the image and renders its PNG thumbnail; `None` if either fails (the image is kept).
fn thumbnail_now(path: &Path, (width, height): (u32, u32), max_side: u32, thumb_side: u32) -> Option<Vec<u8>> {
    let mut reader = match open(path) {
        Ok(reader) => reader,
        Err(e) => {
            tracing::warn!(error = %e, "could not reopen an image for its thumbnail");
            return None;
        }
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    match reader.decode() {
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
    }
}
