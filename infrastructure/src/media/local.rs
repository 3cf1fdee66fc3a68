//! [`MediaStore`] in a directory tree: `<root>/ab/cd/<key>` (the first two pairs of hex digits
//! fan the files out). Writes land by rename, so a reader never sees half a blob.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures_util::StreamExt as _;
use tidings_domain::StoreError;
use tidings_domain::media::{BlobStream, MediaStore};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use super::check_key;

/// Bytes read per chunk of a download.
const CHUNK: u64 = 64 * 1024;

/// Blobs under one directory (`<data_dir>/media` by default).
#[derive(Debug, Clone)]
pub struct LocalMediaStore {
    root: PathBuf,
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Other(format!("media store: {e}"))
}

impl LocalMediaStore {
    /// Uses (and creates on first write) `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Where `key` lives.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        Ok(self.root.join(&key[0..2]).join(&key[2..4]).join(key))
    }

    async fn place(&self, key: &str) -> Result<PathBuf, StoreError> {
        let dest = self.path_of(key)?;
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io_err)?;
        }
        Ok(dest)
    }
}

#[async_trait]
impl MediaStore for LocalMediaStore {
    async fn put_file(&self, key: &str, staged: &Path) -> Result<(), StoreError> {
        let dest = self.place(key).await?;
        if tokio::fs::try_exists(&dest).await.map_err(io_err)? {
            // Same content, stored already: keep one copy.
            tokio::fs::remove_file(staged).await.map_err(io_err)?;
            return Ok(());
        }
        if tokio::fs::rename(staged, &dest).await.is_err() {
            // Another filesystem: copy next to the target, then rename into place.
            let tmp = dest.with_extension("part");
            tokio::fs::copy(staged, &tmp).await.map_err(io_err)?;
            tokio::fs::rename(&tmp, &dest).await.map_err(io_err)?;
            tokio::fs::remove_file(staged).await.map_err(io_err)?;
        }
        Ok(())
    }

    async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let dest = self.place(key).await?;
        let tmp = dest.with_extension(format!("part{:x}", rand::random::<u64>()));
        let mut file = tokio::fs::File::create(&tmp).await.map_err(io_err)?;
        file.write_all(&bytes).await.map_err(io_err)?;
        file.sync_all().await.map_err(io_err)?;
        tokio::fs::rename(&tmp, &dest).await.map_err(io_err)
    }

    async fn get(&self, key: &str, start: u64, end: u64) -> Result<Option<BlobStream>, StoreError> {
        let path = self.path_of(key)?;
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        file.seek(SeekFrom::Start(start)).await.map_err(io_err)?;
        let remaining = end.saturating_sub(start);
        let stream = futures_util::stream::try_unfold((file, remaining), |(mut file, left)| async move {
            if left == 0 {
                return Ok(None);
            }
            let want = usize::try_from(left.min(CHUNK)).unwrap_or(64 * 1024);
            let mut buf = vec![0u8; want];
            let n = file.read(&mut buf).await.map_err(io_err)?;
            if n == 0 {
                return Err(StoreError::Other("media blob ended early".into()));
            }
            buf.truncate(n);
            Ok(Some((buf, (file, left - n as u64))))
        });
        Ok(Some(stream.boxed()))
    }

    async fn head(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match tokio::fs::metadata(self.path_of(key)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path_of(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn put_get_range_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalMediaStore::new(dir.path().join("media"));
        let staged = dir.path().join("staged");
        tokio::fs::write(&staged, b"hello world").await.unwrap();
        store.put_file("abcdef01", &staged).await.unwrap();
        assert!(!staged.exists(), "the staged file is moved");
        assert!(dir.path().join("media/ab/cd/abcdef01").exists());
        let chunks: Vec<Vec<u8>> =
            store.get("abcdef01", 6, 11).await.unwrap().unwrap().map(|c| c.unwrap()).collect().await;
        assert_eq!(chunks.concat(), b"world");
        assert_eq!(store.head("abcdef01").await.unwrap(), Some(11));
        store.delete("abcdef01").await.unwrap();
        assert_eq!(store.head("abcdef01").await.unwrap(), None);
        assert!(store.get("abcdef01", 0, 1).await.unwrap().is_none());
        assert!(store.path_of("../etc").is_err());
    }
}
