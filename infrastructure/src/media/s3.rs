//! [`MediaStore`] on an S3-compatible bucket (AWS S3, MinIO, Ceph ...) through `object_store`.
//! Instances of a cluster share it, so any instance serves any upload.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};
use tidings_domain::StoreError;
use tidings_domain::media::{BlobStream, MediaStore};
use tokio::io::AsyncReadExt as _;

use super::check_key;

/// Staged files up to this size are sent in one PUT; bigger ones as a multipart upload.
const SINGLE_PUT_MAX: u64 = 16 * 1024 * 1024;
/// Part size of a multipart upload.
const PART: usize = 8 * 1024 * 1024;

/// Where the bucket is and how to sign for it.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// `http(s)://host:port` of an S3-compatible server; unset means AWS.
    pub endpoint: Option<String>,
    /// Bucket name.
    pub bucket: String,
    /// Region (any value for most S3-compatible servers).
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Allow a plain-HTTP endpoint.
    pub allow_http: bool,
    /// Prefix of every object key (e.g. `tidings/`).
    pub prefix: String,
}

/// Blobs in one bucket.
#[derive(Debug, Clone)]
pub struct S3MediaStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

fn s3_err(e: object_store::Error) -> StoreError {
    tracing::warn!(error = ?e, "S3 media store request failed");
    StoreError::Unavailable(format!("media store: {e}"))
}

impl S3MediaStore {
    /// Builds the client (no request is made yet).
    pub fn new(opts: &S3Options) -> Result<Self, StoreError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&opts.bucket)
            .with_region(&opts.region)
            .with_access_key_id(&opts.access_key_id)
            .with_secret_access_key(&opts.secret_access_key)
            .with_allow_http(opts.allow_http)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &opts.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let store = builder.build().map_err(|e| StoreError::Other(format!("S3 media store settings: {e}")))?;
        Ok(Self { store: Arc::new(store), prefix: opts.prefix.clone() })
    }

    fn path(&self, key: &str) -> Result<ObjectPath, StoreError> {
        check_key(key)?;
        Ok(ObjectPath::from(format!("{}{key}", self.prefix)))
    }
}

#[async_trait]
impl MediaStore for S3MediaStore {
    async fn put_file(&self, key: &str, staged: &Path) -> Result<(), StoreError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| StoreError::Other(format!("media staging: {e}"));
        if self.head(key).await?.is_none() {
            let size = tokio::fs::metadata(staged).await.map_err(io)?.len();
            if size <= SINGLE_PUT_MAX {
                let bytes = tokio::fs::read(staged).await.map_err(io)?;
                self.store.put(&path, PutPayload::from(bytes)).await.map_err(s3_err)?;
            } else {
                let upload = self.store.put_multipart(&path).await.map_err(s3_err)?;
                let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
                let mut file = tokio::fs::File::open(staged).await.map_err(io)?;
                let mut buf = vec![0u8; PART];
                loop {
                    let n = file.read(&mut buf).await.map_err(io)?;
                    if n == 0 {
                        break;
                    }
                    writer.wait_for_capacity(4).await.map_err(s3_err)?;
                    writer.write(&buf[..n]);
                }
                writer.finish().await.map_err(s3_err)?;
            }
        }
        tokio::fs::remove_file(staged).await.map_err(io)
    }

    async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.store.put(&self.path(key)?, PutPayload::from(bytes)).await.map_err(s3_err)?;
        Ok(())
    }

    async fn get(&self, key: &str, start: u64, end: u64) -> Result<Option<BlobStream>, StoreError> {
        let opts = GetOptions { range: Some(GetRange::Bounded(start..end)), ..GetOptions::default() };
        match self.store.get_opts(&self.path(key)?, opts).await {
            Ok(result) => Ok(Some(result.into_stream().map_ok(|b| b.to_vec()).map_err(s3_err).boxed())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(s3_err(e)),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self.store.head(&self.path(key)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(s3_err(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.store.delete(&self.path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(s3_err(e)),
        }
    }
}
