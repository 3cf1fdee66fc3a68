//! Typing indicators: checked against membership, forwarded, never stored.

use std::sync::Arc;

use tidings_domain::event::{Delivery, Event};
use tidings_domain::{ConvId, UserId};

use super::MessagingService;
use crate::error::AppError;

impl MessagingService {
    /// Tells the other members' online devices that `user` is typing in `conv`. Only current
    /// members may (a removed group member gets `NotMember`).
    pub async fn typing(&self, user: &UserId, conv: ConvId) -> Result<(), AppError> {
        let others: Vec<UserId> = match &conv {
            ConvId::Direct { .. } => vec![conv.peer_of(user).cloned().ok_or(AppError::NotMember)?],
            ConvId::Group(id) => {
                let Some((group, member)) = self.group_gate.gate(id, user).await? else {
                    return Err(AppError::UnknownConversation);
                };
                if member.is_none() {
                    return Err(AppError::NotMember);
                }
                self.members_at(id, group.version).await?.iter().filter(|m| *m != user).cloned().collect()
            }
        };
        self.notifier
            .notify(Delivery {
                recipients: others,
                skip_device: None,
                event: Arc::new(Event::Typing { conv, user_id: user.clone() }),
            })
            .await;
        Ok(())
    }
}
