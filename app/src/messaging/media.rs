//! The one check a message's `media_id` goes through. For now it only checks the id is well
//! formed; when media upload lands, this is where "was it uploaded, and by whom" plugs in.

use crate::error::AppError;

/// Longest accepted media id.
const MAX_MEDIA_ID: usize = 64;

/// Checks that `id` is a well-formed media id: 1-64 of `A-Z a-z 0-9 _ -`.
pub fn check_media_id(id: &str) -> Result<(), AppError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_MEDIA_ID
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::InvalidField(format!("media_id must be 1-{MAX_MEDIA_ID} of A-Z a-z 0-9 _ -")))
    }
}

#[cfg(test)]
mod tests {
    use super::check_media_id;

    #[test]
    fn media_ids() {
        assert!(check_media_id("md_01J9ZX").is_ok());
        assert!(check_media_id("").is_err());
        assert!(check_media_id("a b").is_err());
        assert!(check_media_id(&"x".repeat(65)).is_err());
    }
}
