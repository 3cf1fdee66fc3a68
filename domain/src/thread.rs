//! Threads: a message may open a thread, and replies in it carry `thread_root: <seq>` in their
//! body. Replies are ordinary entries of the conversation's log (synced, ordered, deduplicated
//! like any message); the stores index them per root, so that a thread pages without scanning the
//! log and the root shows a summary of its replies.

use crate::ids::{ConvId, UserId};
use crate::message::is_user_kind;

/// Most participants a summary names (the first to reply, in order of their first reply).
pub const MAX_SUMMARY_PARTICIPANTS: usize = 10;

/// What a root shows of its thread on every read path (`thread` on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    /// Replies not recalled.
    pub replies: u64,
    /// Time of the newest of them (ms).
    pub last_ts: i64,
    /// Seq of the newest of them: a client applies a pushed reply only if it is newer.
    pub last_seq: u64,
    /// Who replied, in order of their first reply, at most [`MAX_SUMMARY_PARTICIPANTS`].
    pub participants: Vec<UserId>,
}

/// One reply as the thread index keeps it, written in the commit of the reply itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadReply {
    /// Conversation.
    pub conv: ConvId,
    /// The root's seq.
    pub root: u64,
    /// The reply's seq.
    pub seq: u64,
    /// Its author.
    pub sender: UserId,
    /// Its commit time (ms).
    pub ts: i64,
}

impl ThreadReply {
    /// The thread reply an entry is, if it is one: a user message whose body names a root.
    pub fn of(m: &crate::message::Message) -> Option<Self> {
        let root = thread_root(&m.kind, &m.body)?;
        Some(Self { conv: m.conv.clone(), root, seq: m.seq, sender: m.sender.clone(), ts: m.ts })
    }
}

/// The root named by a user message's `thread_root`, if any. Derived from kind and body alone, so
/// every reader of the log (server, SDK) finds the same threads.
pub fn thread_root(kind: &str, body: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Threaded {
        thread_root: Option<u64>,
    }
    // Most messages are in no thread: a substring test spares them the parse.
    if !is_user_kind(kind) || !body.contains("\"thread_root\"") {
        return None;
    }
    serde_json::from_str::<Threaded>(body).ok().and_then(|t| t.thread_root)
}

/// A follower's unread state of one thread, for the conversation list's `threads` count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadThread {
    /// Conversation.
    pub conv: ConvId,
    /// The root's seq.
    pub root: u64,
    /// The oldest reply by someone else past the follower's read position.
    pub first_unread: u64,
    /// The newest such reply.
    pub last_unread: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_user_messages_with_a_root_are_replies() {
        assert_eq!(thread_root("text", r#"{"text":"a","thread_root":4}"#), Some(4));
        assert_eq!(thread_root("image", r#"{"media_id":"m","thread_root":9}"#), Some(9));
        assert_eq!(thread_root("text", r#"{"text":"thread_root"}"#), None);
        assert_eq!(thread_root("recalled", r#"{"thread_root":4}"#), None);
        assert_eq!(thread_root("edit", r#"{"seq":3,"body":{"thread_root":4}}"#), None);
    }
}
