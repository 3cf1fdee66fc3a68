//! Offline push: who gets a notification for a committed message, and the port of the service
//! that delivers it (a signed webhook, or the native APNs and FCM senders of
//! [`crate::device_push`]).
//!
//! The rules, in one place so the app layer and the docs agree:
//! - only content kinds push ([`crate::message::CONTENT_KINDS`]: user kinds and forwards);
//!   recalls, action entries and group notices do not;
//! - the sender never gets a push for their own message;
//! - a recipient with any device connected (anywhere in the cluster) gets none: the socket
//!   already carries the message;
//! - a recipient who muted the conversation (for good, or until a time not reached yet), or is
//!   inside their quiet hours, gets none, unless the message mentions them by id (a personal
//!   mention pushes through; `mention_all` does not, so one `@all` cannot wake every member who
//!   chose quiet).

use async_trait::async_trait;

use crate::device_push::PushPrivacy;
use crate::ids::{ConvId, UserId};
use crate::message::{Message, is_content_kind};

/// One notification for one user about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushNotice {
    /// Who is notified.
    pub user_id: UserId,
    /// Conversation of the message.
    pub conv: ConvId,
    /// Its seq.
    pub seq: u64,
    /// Its id.
    pub msg_id: String,
    /// Its author.
    pub sender: UserId,
    /// Its kind, so the receiver can word the notification (`image`, `file`...).
    pub kind: String,
    /// The start of a text message, when previews are switched on.
    pub preview: Option<String>,
    /// The message mentions the user (by id, or `mention_all`).
    pub mentioned: bool,
    /// The user's exact unread count over all their conversations, this message included.
    pub badge: u64,
    /// How much the user lets a notification show (`preview` is `None` unless `Full`).
    pub privacy: PushPrivacy,
    /// The sender's display name.
    pub sender_name: String,
    /// The group's name, for a group message.
    pub group_name: Option<String>,
}

/// What became of one notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The provider accepted it.
    Delivered,
    /// Given up after the provider's retries; the reason is for the log.
    Failed(String),
    /// The user has no logged-in device registered with a push service this server talks to.
    NoDevice,
}

/// A push service. Takes notices in batches (one commit batch may notify many users) and
/// answers one outcome per notice, in order. Retries and timeouts are the provider's own.
#[async_trait]
pub trait PushProvider: Send + Sync {
    /// Delivers the notices; never panics, reports failures as outcomes.
    async fn push(&self, notices: Vec<PushNotice>) -> Vec<PushOutcome>;
}

/// How a message concerns one recipient, for the push rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mention {
    /// Named in `mentions`.
    pub personal: bool,
    /// `mention_all: true`.
    pub all: bool,
}

impl Mention {
    /// Mentioned at all.
    pub fn any(self) -> bool {
        self.personal || self.all
    }
}

/// Whether a message of this kind ever pushes.
pub fn kind_pushes(message: &Message) -> bool {
    is_content_kind(&message.kind)
}

/// Whether an offline recipient gets a push, given their mute flag and how they are mentioned.
pub fn pushes_through(muted: bool, mention: Mention) -> bool {
    !muted || mention.personal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mute_holds_back_everything_but_a_personal_mention() {
        let none = Mention::default();
        let personal = Mention { personal: true, all: false };
        let all = Mention { personal: false, all: true };
        assert!(pushes_through(false, none));
        assert!(pushes_through(false, all));
        assert!(!pushes_through(true, none));
        assert!(!pushes_through(true, all));
        assert!(pushes_through(true, personal));
    }
}
