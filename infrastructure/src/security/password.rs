//! Argon2id password hashes (PHC strings), computed on the blocking pool.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use tidings_domain::StoreError;
use tidings_domain::ports::PasswordHasher;

/// Argon2id with configurable cost (OWASP's recommendation by default: 19 MiB, 2 passes).
/// Verification always uses the parameters stored in the hash, so changing them only affects
/// new passwords.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// Hashes running at once. Each needs megabytes, and every blocking thread that ever
    /// hashed keeps its own malloc arena: unbounded, a login storm leaves hundreds of MB behind.
    running: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self {
            params: Params::default(),
            running: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrent_hashes())),
        }
    }
}

/// One hash per core at a time: more only queues on the CPU anyway.
fn concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

impl Argon2Hasher {
    /// Hashes new passwords with `memory_kib` of memory and `iterations` passes.
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, StoreError> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| StoreError::Other(format!("argon2 parameters: {e}")))?;
        Ok(Self { params, ..Self::default() })
    }

    fn hasher(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String, StoreError> {
        let password = password.to_owned();
        let hasher = self.hasher();
        let _slot = self.running.acquire().await.map_err(|e| StoreError::Other(format!("hash queue: {e}")))?;
        tokio::task::spawn_blocking(move || {
            hasher
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| StoreError::Other(format!("hashing failed: {e}")))
        })
        .await
        .map_err(|e| StoreError::Other(format!("hashing task failed: {e}")))?
    }

    async fn verify(&self, password: &str, hash: &str) -> Result<bool, StoreError> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        let _slot = self.running.acquire().await.map_err(|e| StoreError::Other(format!("hash queue: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&hash).map_err(|e| StoreError::Other(format!("stored hash unreadable: {e}")))?;
            Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| StoreError::Other(format!("verify task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let h = Argon2Hasher::default();
        let hash = h.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", &hash).await.unwrap());
        assert!(!h.verify("wrong horse", &hash).await.unwrap());
        let cheap = Argon2Hasher::new(1024, 1).unwrap();
        let light = cheap.hash("x-password").await.unwrap();
        assert!(light.contains("m=1024,t=1"), "{light}");
        assert!(h.verify("x-password", &light).await.unwrap(), "verification reads the stored parameters");
    }
}
