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
    /// The member's own preferences for this conversation.
    pub prefs: MemberPrefs,
    /// When the member's row last changed (read, preferences), ms; 0 if never.
    pub changed_at: i64,
    /// The conversation's retention floor: messages below this seq were purged (0 or 1: none).
    pub min_seq: u64,
}

/// A member's own settings for one conversation, shared by all their devices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberPrefs {
    /// No notifications wanted, for good (clients decide what that means).
    pub muted: bool,
    /// No notifications wanted until this time (ms); past it the mute has ended by itself.
    pub muted_until: Option<i64>,
    /// Listed before the others.
    pub pinned: bool,
    /// Unsent text.
    pub draft: Option<String>,
}

impl MemberPrefs {
    /// Muted at `now_ms`: for good, or by a timed mute that has not ended yet.
    pub fn is_muted(&self, now_ms: i64) -> bool {
        self.muted || self.muted_until.is_some_and(|until| until > now_ms)
    }
}

/// A change of [`MemberPrefs`]; `None` keeps a field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrefsPatch {
    /// New mute flag; either value ends a timed mute.
    pub muted: Option<bool>,
    /// A mute that ends at this time (ms); `Some(None)` ends a timed mute now.
    pub muted_until: Option<Option<i64>>,
    /// New pin flag.
    pub pinned: Option<bool>,
    /// New draft; `Some(None)` clears it.
    pub draft: Option<Option<String>>,
}

/// Where a page of the conversation list ended: the last row's place in the list's order
/// (pinned first, then most recently active, then by conversation id), so the next page starts
/// right after it however the rows before it move meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    /// The last row was pinned.
    pub pinned: bool,
    /// Its conversation's last activity (ms).
    pub updated_at: i64,
    /// Its conversation.
    pub conv: ConvId,
}

impl ListCursor {
    /// The cursor just past `view`.
    pub fn after(view: &MemberView) -> Self {
        Self { pinned: view.prefs.pinned, updated_at: view.updated_at, conv: view.conv.clone() }
    }

    /// The cursor as the API hands it out: `{0|1}.{updated_at}.{conv}`.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", u8::from(self.pinned), self.updated_at, self.conv)
    }

    /// A cursor from [`ListCursor::encode`]; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.splitn(3, '.');
        let pinned = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let updated_at = parts.next()?.parse().ok()?;
        let conv = ConvId::parse(parts.next()?)?;
        Some(Self { pinned, updated_at, conv })
    }
}

impl MemberView {
    /// The highest seq this member may see.
    pub fn visible_max(&self) -> u64 {
        self.visible_until.map_or(self.max_seq, |until| until.min(self.max_seq))
    }

    /// Whether this member may see message `seq`: after what was hidden from them when they
    /// joined, up to their removal, and not purged by retention.
    pub fn sees(&self, seq: u64) -> bool {
        seq > self.visible_from && seq <= self.visible_max() && seq >= self.min_seq
    }

    /// The retention floor when history was trimmed (messages below it are gone), else `None`.
    pub fn trimmed_below(&self) -> Option<u64> {
        (self.min_seq > 1).then_some(self.min_seq)
    }

    /// The row's version: when anything it shows last changed (a message, a read, a preference).
    pub fn version(&self) -> i64 {
        self.updated_at.max(self.changed_at)
    }
}

/// Who or what a conversation is with, for the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationProfile {
    /// The other user of a direct chat.
    Peer {
        /// Their id.
        user_id: crate::ids::UserId,
        /// Their display name.
        display_name: String,
    },
    /// A group.
    Group {
        /// Group id.
        group_id: crate::ids::GroupId,
        /// Its name.
        name: String,
        /// Its avatar.
        avatar: Option<String>,
    },
}

/// A member's read position to raise: batched so many reads share one write transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadMove {
    /// Conversation.
    pub conv: ConvId,
    /// Member.
    pub user: UserId,
    /// New read position (kept if the stored one is already at or past it).
    pub seq: u64,
}

/// What one [`ReadMove`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The read position moved to the move's seq.
    Moved,
    /// The member had already read this far (a repeat, or a report that arrived late): the
    /// position it is at. Only for a seq of at least 1.
    AlreadyAt(u64),
    /// Neither: not a member, or not a seq the member may read (yet).
    NotApplied,
}

impl ReadOutcome {
    /// The position moved.
    pub fn moved(self) -> bool {
        self == Self::Moved
    }

    /// From a member row's read position after the batch: `moved` if this batch moved it.
    pub fn after(moved: bool, seq: u64, read_seq: Option<u64>) -> Self {
        match read_seq {
            _ if moved => Self::Moved,
            Some(at) if seq >= 1 && at >= seq => Self::AlreadyAt(at),
            _ => Self::NotApplied,
        }
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
    /// An unread message mentions the member (by id or `mention_all`).
    pub mentioned: bool,
    /// How many unread messages mention the member (counted like `unread`, cleared by read).
    pub mention_count: u64,
    /// How many threads the member follows here hold replies by others they have not read in
    /// the thread.
    pub threads: u64,
    /// The peer or the group, when known.
    pub profile: Option<ConversationProfile>,
}

#[cfg(test)]
mod tests {
    use super::ReadOutcome;

    #[test]
    fn a_read_outcome_says_moved_behind_or_not_applied() {
        assert_eq!(ReadOutcome::after(true, 7, Some(7)), ReadOutcome::Moved);
        // A repeat, and a late report below where the member already is.
        assert_eq!(ReadOutcome::after(false, 7, Some(7)), ReadOutcome::AlreadyAt(7));
        assert_eq!(ReadOutcome::after(false, 3, Some(9)), ReadOutcome::AlreadyAt(9));
        // Ahead of the position but not applied (past the log, or not visible), no member row,
        // and seq 0 (never a position to report) are for the caller to look into.
        assert_eq!(ReadOutcome::after(false, 12, Some(9)), ReadOutcome::NotApplied);
        assert_eq!(ReadOutcome::after(false, 3, None), ReadOutcome::NotApplied);
        assert_eq!(ReadOutcome::after(false, 0, Some(0)), ReadOutcome::NotApplied);
        assert!(ReadOutcome::Moved.moved() && !ReadOutcome::AlreadyAt(1).moved());
    }
}

#[cfg(test)]
mod cursor_tests {
    use super::*;

    #[test]
    fn a_cursor_survives_its_own_encoding_and_refuses_garbage() {
        let conv = ConvId::parse("d:u_a:u_b").unwrap();
        let cursor = ListCursor { pinned: true, updated_at: 1_796_642_083_175, conv };
        assert_eq!(ListCursor::parse(&cursor.encode()), Some(cursor));
        for bad in ["", "2.5.g:team1", "1.x.g:team1", "1.5", "1.5.nope", "0.-1", "1.5.d:u_b:u_a"] {
            assert_eq!(ListCursor::parse(bad), None, "{bad}");
        }
    }
}
