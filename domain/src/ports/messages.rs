//! The message logs, conversations and read positions, seq numbers and the dedupe cache.

use crate::conversation::{ListCursor, MemberView, PrefsPatch, ReadMove, ReadOutcome, ReadPosition};
use crate::error::StoreError;
use crate::ids::{ConvId, UserId};
use crate::message::{Ack, Message};
use async_trait::async_trait;

/// The message logs of all conversations.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Persists a batch in one transaction (group commit), first creating those of the direct
    /// conversations `open` (and their two members) that do not exist yet, and advances each
    /// conversation's `max_seq`. `Duplicate` when any `(conv, seq)` or `(sender, client_msg_id)`
    /// exists already; then nothing of the batch is stored.
    async fn append(&self, batch: &[Message], open: &[ConvId]) -> Result<(), StoreError>;
    /// Stored messages for the given `(sender, client_msg_id)` keys.
    async fn find_by_client_ids(&self, keys: &[(UserId, String)]) -> Result<Vec<Message>, StoreError>;
    /// Highest stored seq of a conversation (0 when empty).
    async fn max_seq(&self, conv: &ConvId) -> Result<u64, StoreError>;
    /// [`Self::max_seq`] of several conversations, in order (few queries where the backend
    /// allows: a batch of sends to new conversations seeds all their counters at once).
    async fn max_seqs(&self, convs: &[ConvId]) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::with_capacity(convs.len());
        for conv in convs {
            out.push(self.max_seq(conv).await?);
        }
        Ok(out)
    }
    /// Up to `limit` messages with seq > `after`, ascending.
    async fn after(&self, conv: &ConvId, after: u64, limit: u64) -> Result<Vec<Message>, StoreError>;
    /// Up to `limit` messages with seq < `before`, ascending (the newest `limit` of them).
    async fn before(&self, conv: &ConvId, before: u64, limit: u64) -> Result<Vec<Message>, StoreError>;
    /// One message.
    async fn get(&self, conv: &ConvId, seq: u64) -> Result<Option<Message>, StoreError>;
    /// Messages with `after < seq <= upto` not sent by `user`, not counting recall notices and
    /// recalled messages ([`crate::message::NOT_UNREAD_KINDS`]).
    async fn count_unread(&self, conv: &ConvId, user: &UserId, after: u64, upto: u64) -> Result<u64, StoreError>;
    /// Erases a message's body and marks it recalled (kind `recalled`, body `{}`), if it is a
    /// user message not recalled yet. Returns whether this call recalled it.
    async fn mark_recalled(&self, conv: &ConvId, seq: u64) -> Result<bool, StoreError>;
    /// [`count_unread`](Self::count_unread) of several `(conv, after, upto)` ranges at once, in order.
    async fn count_unread_many(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::with_capacity(ranges.len());
        for r in ranges {
            out.push(self.count_unread(&r.conv, user, r.after, r.upto).await?);
        }
        Ok(out)
    }
    /// Several messages by `(conv, seq)`; missing ones are left out.
    async fn get_many(&self, keys: &[(ConvId, u64)]) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for (conv, seq) in keys {
            out.extend(self.get(conv, *seq).await?);
        }
        Ok(out)
    }
    /// The bodies message `seq` has had, oldest first ([`crate::edit::Version`]): empty when it
    /// was never edited (or was recalled, which erases them).
    async fn edit_versions(&self, conv: &ConvId, seq: u64) -> Result<Vec<crate::edit::Version>, StoreError> {
        let _ = (conv, seq);
        Ok(Vec::new())
    }
    /// Messages in the ranges not sent by `user` whose body may mention someone (a cheap
    /// prefilter: callers parse the bodies to decide).
    async fn mention_candidates(&self, user: &UserId, ranges: &[UnreadRange]) -> Result<Vec<Message>, StoreError> {
        let _ = (user, ranges);
        Ok(Vec::new())
    }
}

/// Messages of one conversation with `after < seq <= upto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadRange {
    /// Conversation.
    pub conv: ConvId,
    /// Exclusive lower bound.
    pub after: u64,
    /// Inclusive upper bound.
    pub upto: u64,
}

/// Conversations, their members and members' read positions.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Creates a direct conversation and both member rows if missing (idempotent).
    async fn ensure_direct(&self, conv: &ConvId, now_ms: i64) -> Result<(), StoreError>;
    /// The member's state, `None` when the conversation or membership does not exist.
    async fn member_view(&self, conv: &ConvId, user: &UserId) -> Result<Option<MemberView>, StoreError>;
    /// The member's state and message `seq` of `conv` in one read (what an action on a message
    /// checks first); the message is `None` when there is none at `seq`, the view as
    /// [`Self::member_view`].
    async fn member_message(
        &self,
        conv: &ConvId,
        user: &UserId,
        seq: u64,
    ) -> Result<(Option<MemberView>, Option<Message>), StoreError>;
    /// Raises each member's read_seq to its move's `seq`, all in one transaction, where the
    /// member may see that seq (it exists in the conversation and is not past the member's
    /// `visible_until`) and has not read that far yet; returns what each move found, in order
    /// (a member already past a move says where it is, so the caller needs no query).
    async fn mark_read_many(&self, moves: &[ReadMove]) -> Result<Vec<ReadOutcome>, StoreError>;
    /// Read positions of the conversation's current members (not of former ones).
    async fn read_positions(&self, conv: &ConvId) -> Result<Vec<ReadPosition>, StoreError>;
    /// The member's conversations, pinned first, then most recently active first (then by id);
    /// with `since`, only rows whose version is above it; with `before`, only rows after that
    /// place in the order.
    async fn list_for_user(
        &self,
        user: &UserId,
        since: Option<i64>,
        before: Option<&ListCursor>,
        limit: u64,
    ) -> Result<Vec<MemberView>, StoreError>;
    /// Changes the member's preferences; `false` if there is no member row.
    async fn set_prefs(
        &self,
        conv: &ConvId,
        user: &UserId,
        patch: &PrefsPatch,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Of the given `(conversation, member)` pairs, those whose member muted the conversation,
    /// for good or until a time after `now_ms` (one query for a whole batch, for offline push).
    async fn muted_among(&self, pairs: &[(ConvId, UserId)], now_ms: i64) -> Result<Vec<(ConvId, UserId)>, StoreError> {
        let mut out = Vec::new();
        for (conv, user) in pairs {
            if self.member_view(conv, user).await?.is_some_and(|v| v.prefs.is_muted(now_ms)) {
                out.push((conv.clone(), user.clone()));
            }
        }
        Ok(out)
    }
}

/// Hands out per-conversation sequence numbers.
#[async_trait]
pub trait SeqAllocator: Send + Sync {
    /// Reserves `n` consecutive seqs and returns the first.
    async fn allocate(&self, conv: &ConvId, n: u64) -> Result<u64, StoreError>;
    /// Reserves seqs for several conversations at once (one round trip where the backend
    /// allows); returns the first seq of each, in order.
    async fn allocate_many(&self, wanted: &[(ConvId, u64)]) -> Result<Vec<u64>, StoreError> {
        let mut firsts = Vec::with_capacity(wanted.len());
        for (conv, n) in wanted {
            firsts.push(self.allocate(conv, *n).await?);
        }
        Ok(firsts)
    }
    /// Moves the counter to at least `floor` after a collision showed it was behind.
    async fn reseed(&self, conv: &ConvId, floor: u64) -> Result<(), StoreError>;
}

/// Recently committed `(sender, client_msg_id)` keys with their acks, so a retry is answered
/// without a database lookup. Best effort: a miss proves nothing (the unique index in the
/// database stays the authority), and a failing cache just misses.
#[async_trait]
pub trait DedupeCache: Send + Sync {
    /// The stored ack of each key, if remembered.
    async fn get_many(&self, keys: &[(UserId, String)]) -> Vec<Option<Ack>>;
    /// Remembers freshly committed messages.
    async fn put_many(&self, messages: &[Message]);
}
