//! Who may use an upload: its uploader, or a member of a conversation it was sent in. One rule
//! for downloads and for sending a media message (forwarding included).

use tidings_domain::media::{Media, MediaRepository};
use tidings_domain::ports::ConversationStore;
use tidings_domain::{ConvId, UserId};

use crate::error::AppError;

/// Whether `user` may fetch or send `media`.
pub async fn may_access(
    repo: &dyn MediaRepository,
    convs: &dyn ConversationStore,
    user: &UserId,
    media: &Media,
) -> Result<bool, AppError> {
    if &media.owner == user {
        return Ok(true);
    }
    for conv in repo.sent_in(&media.id).await? {
        let member = match &conv {
            ConvId::Direct { .. } => conv.peer_of(user).is_some(),
            ConvId::Group(_) => convs.member_view(&conv, user).await?.is_some(),
        };
        if member {
            return Ok(true);
        }
    }
    Ok(false)
}
