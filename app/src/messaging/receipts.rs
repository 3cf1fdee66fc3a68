//! Read lists: which members have read one message, from the members' read positions.

use tidings_domain::{ConvId, UserId};

use super::MessagingService;
use crate::error::AppError;

/// Who read a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadList {
    /// Current members, not the sender, whose read position reached the message.
    pub read_by: Vec<UserId>,
    /// Current members, not the sender, who can see the message and have not read it.
    pub unread: u64,
}

impl MessagingService {
    /// Who of the current members has read message `seq`. Members only; groups above
    /// `receipts_max_members` members are refused.
    pub async fn read_list(&self, user: &UserId, conv: &ConvId, seq: u64) -> Result<ReadList, AppError> {
        let message = self.current_member_message(user, conv, seq).await?;
        let positions = self.convs.read_positions(conv).await?;
        let cap = self.limits.receipts_max_members;
        if matches!(conv, ConvId::Group(_)) && positions.len() > cap {
            return Err(AppError::Forbidden(format!("read lists are kept for groups of up to {cap} members")));
        }
        let mut read_by = Vec::new();
        let mut unread = 0;
        for p in positions.into_iter().filter(|p| p.user != message.sender && p.visible_from < seq) {
            if p.read_seq >= seq {
                read_by.push(p.user);
            } else {
                unread += 1;
            }
        }
        read_by.sort();
        Ok(ReadList { read_by, unread })
    }
}
