//! A user's view of one conversation.

use crate::ids::{ConvId, UserId};
use crate::message::Message;

/// Per-member state of a conversation, as listed to that member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// Conversation.
    pub conv: ConvId,
    /// Highest committed seq.
    pub max_seq: u64,
    /// The member's read position.
    pub read_seq: u64,
    /// Last activity (ms), for ordering the list.
    pub updated_at: i64,
    /// The member sees messages with seq above this (0: all); set when they joined a group
    /// whose earlier history is hidden from newcomers.
    pub visible_from: u64,
    /// The member sees messages up to this seq only; set when they left or were removed.
    pub visible_until: Option<u64>,
}

impl MemberView {
    /// The highest seq this member may see.
    pub fn visible_max(&self) -> u64 {
        self.visible_until.map_or(self.max_seq, |until| until.min(self.max_seq))
    }
}

/// A current member's read position, for read lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPosition {
    /// Member.
    pub user: UserId,
    /// Read position.
    pub read_seq: u64,
    /// The member sees messages with seq above this.
    pub visible_from: u64,
}

/// A conversation as the list endpoint returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationSummary {
    /// State.
    pub view: MemberView,
    /// Messages past `read_seq` not sent by the member.
    pub unread: u64,
    /// The newest message.
    pub last_message: Option<Message>,
}
