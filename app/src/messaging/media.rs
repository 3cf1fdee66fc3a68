//! The checks a message's `media_id` goes through: well formed, an upload that exists, of the
//! message's kind (a `file` message may carry any upload), that the sender may use (their own,
//! or one sent in a conversation they belong to: forwarding). An accepted send records the
//! conversation, so its members may then download the media.

use tidings_domain::media::MediaKind;
use tidings_domain::{ConvId, MessageKind, UserId};

use super::MessagingService;
use crate::error::AppError;
use crate::media::may_access;

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

impl MessagingService {
    /// Refuses a media message whose upload the sender may not use; records where it was sent.
    pub(super) async fn check_media_use(
        &self,
        sender: &UserId,
        conv: &ConvId,
        kind: MessageKind,
        media_id: &str,
    ) -> Result<(), AppError> {
        let media = self.media.get(media_id).await?.ok_or(AppError::MediaNotFound)?;
        // The system account (integrations) may attach any existing upload.
        if !sender.is_system() && !may_access(self.media.as_ref(), self.convs.as_ref(), sender, &media).await? {
            return Err(AppError::MediaNotFound);
        }
        let kind_ok = kind == MessageKind::File || MediaKind::parse(kind.as_str()) == Some(media.kind);
        if !kind_ok {
            return Err(AppError::InvalidField(format!(
                "media {media_id} is a {} upload, not a {kind}",
                media.kind.as_str()
            )));
        }
        self.media.record_sent(media_id, conv, self.clock.now_ms()).await?;
        Ok(())
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
