//! Argon2id password hashes (PHC strings), computed on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use async_trait::async_trait;
use tidings_domain::StoreError;
use tidings_domain::ports::PasswordHasher;

/// Argon2id with the crate's recommended parameters.
#[derive(Default, Clone)]
pub struct Argon2Hasher;

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String, StoreError> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| StoreError::Other(format!("hashing failed: {e}")))
        })
        .await
        .map_err(|e| StoreError::Other(format!("hashing task failed: {e}")))?
    }

    async fn verify(&self, password: &str, hash: &str) -> Result<bool, StoreError> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
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
        let h = Argon2Hasher;
        let hash = h.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", &hash).await.unwrap());
        assert!(!h.verify("wrong horse", &hash).await.unwrap());
    }
}
