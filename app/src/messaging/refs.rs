//! Checks of what a body refers to, against the conversation it is sent to: mentions name
//! participants, `mention_all` is a group manager's, and a reply quotes a message the sender can
//! see in the same conversation.

use tidings_domain::{ConvId, UserId};

use super::body::References;
use super::{Audience, MessagingService, visible_range};
use crate::error::AppError;

impl MessagingService {
    /// Refuses references that point outside the conversation or past the sender's rights.
    pub(super) async fn check_references(
        &self,
        sender: &UserId,
        conv: &ConvId,
        audience: &Audience,
        refs: &References,
    ) -> Result<(), AppError> {
        if let Some(outsider) = refs.mentions.iter().find(|u| !audience.recipients.contains(u)) {
            return Err(AppError::InvalidField(format!("mentions: {outsider} is not a member of this conversation")));
        }
        if refs.mention_all {
            if !matches!(conv, ConvId::Group(_)) {
                return Err(AppError::InvalidField("mention_all is for group conversations only".into()));
            }
            if !audience.manager {
                return Err(AppError::Forbidden("only group owners and admins may mention everyone".into()));
            }
        }
        if let Some(reply) = &refs.reply_to {
            if reply.conv.as_deref().is_some_and(|c| c != conv.to_string()) {
                return Err(AppError::InvalidField("reply_to must quote a message of the same conversation".into()));
            }
            let view = self.convs.member_view(conv, sender).await?;
            let (from, max) = visible_range(view.as_ref());
            let visible = reply.seq > from && reply.seq <= max;
            if !visible || self.messages.get(conv, reply.seq).await?.is_none() {
                return Err(AppError::InvalidField(format!(
                    "reply_to: no message {} in this conversation that you can see",
                    reply.seq
                )));
            }
        }
        Ok(())
    }
}
