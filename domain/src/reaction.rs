//! Reactions: a user turns an emoji on or off on a message. Each change is an entry of the log
//! (kind [`REACTION_KIND`], body [`ReactionBody`]); the current state is kept beside the log and
//! summed per emoji on every read path ([`ReactionCount`]).

use serde::{Deserialize, Serialize};

use crate::ids::{ConvId, UserId};
use crate::message::{Message, REACTION_KIND};

/// Longest emoji, in bytes of UTF-8 (a family or flag sequence fits).
pub const MAX_EMOJI_BYTES: usize = 64;

/// The body of a `reaction` entry: who turned which emoji on or off on message `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionBody {
    /// The message reacted to (same conversation).
    pub seq: u64,
    /// The emoji, as the client sent it.
    pub emoji: String,
    /// On (added) or off (taken back).
    pub on: bool,
    /// Who reacted.
    pub by: String,
}

/// One emoji's total on a message, as one reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionCount {
    /// The emoji.
    pub emoji: String,
    /// How many users have it on.
    pub count: u64,
    /// The reader is one of them.
    pub me: bool,
}

/// Where one user's reaction with one emoji stands, and which entry put it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReactionState {
    /// On or off.
    pub on: bool,
    /// Seq of the `reaction` entry that set this state.
    pub entry_seq: u64,
}

/// What a reaction request decides on, read in one query: the caller's state for the emoji and
/// the emoji that anyone has on for the message (for the cap on distinct emoji).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReactionStanding {
    /// The caller's state for the emoji; `None` when never set.
    pub mine: Option<ReactionState>,
    /// The emoji at least one user has on.
    pub emoji_on: Vec<String>,
}

/// A state change the stores apply to their table of reactions, in the transaction that
/// writes its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionChange {
    /// Conversation.
    pub conv: ConvId,
    /// The message reacted to.
    pub target: u64,
    /// The emoji.
    pub emoji: String,
    /// Who reacted.
    pub user: UserId,
    /// The new state.
    pub on: bool,
    /// The entry's own seq.
    pub entry_seq: u64,
    /// The entry's time (ms).
    pub ts: i64,
}

impl ReactionChange {
    /// The change a log entry makes, if it is a well-formed `reaction` entry.
    pub fn of(message: &Message) -> Option<Self> {
        Self::parse(&message.conv, message.seq, &message.kind, &message.body, message.ts)
    }

    /// [`Self::of`] from the parts of an entry (the SQLite writer keeps rows, not messages).
    pub fn parse(conv: &ConvId, entry_seq: u64, kind: &str, body: &str, ts: i64) -> Option<Self> {
        if kind != REACTION_KIND {
            return None;
        }
        let body: ReactionBody = serde_json::from_str(body).ok()?;
        Some(Self {
            conv: conv.clone(),
            target: body.seq,
            emoji: body.emoji,
            user: UserId::parse(&body.by)?,
            on: body.on,
            entry_seq,
            ts,
        })
    }
}

/// Checks an emoji: 1 to [`MAX_EMOJI_BYTES`] bytes, no whitespace, no control characters.
/// Anything else printable is accepted (custom sticker names such as `:party:` too).
pub fn check_emoji(emoji: &str) -> Result<(), String> {
    if emoji.is_empty() || emoji.len() > MAX_EMOJI_BYTES {
        return Err(format!("emoji: 1 to {MAX_EMOJI_BYTES} bytes of UTF-8"));
    }
    if emoji.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("emoji: no whitespace or control characters".into());
    }
    Ok(())
}

/// The `client_msg_id` of the entry that moves `user`'s `emoji` on message `seq` away from the
/// state set by entry `from_entry` (0: never set). Two requests that race from one state ask
/// for the same move and so carry the same key: the commit pipeline's dedupe (and, across
/// instances, the log's unique `(sender, client_msg_id)`) writes one entry and answers the
/// other with its ack, `duplicate: true`.
pub fn change_key(conv: &ConvId, seq: u64, emoji: &str, from_entry: u64) -> String {
    // FNV-1a: stable across builds and instances, unlike the standard library's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in conv.to_string().bytes().chain([0]).chain(seq.to_le_bytes()).chain(emoji.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("react_{hash:016x}_{from_entry}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_rules() {
        for ok in ["👍", "❤️", "👨‍👩‍👧‍👦", "🇫🇷", ":party:", &"x".repeat(64)] {
            assert_eq!(check_emoji(ok), Ok(()), "{ok}");
        }
        for bad in ["", " ", "👍 ", "a\tb", "\u{7}", "\u{a0}", &"x".repeat(65), &"👍".repeat(17)] {
            assert!(check_emoji(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn change_keys_differ_by_target_emoji_and_state() {
        let conv = ConvId::parse("g:g_1").unwrap();
        let other = ConvId::parse("g:g_2").unwrap();
        let key = change_key(&conv, 3, "👍", 0);
        assert_eq!(key, change_key(&conv, 3, "👍", 0));
        assert!(key.len() <= 64);
        for different in [
            change_key(&other, 3, "👍", 0),
            change_key(&conv, 4, "👍", 0),
            change_key(&conv, 3, "❤️", 0),
            change_key(&conv, 3, "👍", 9),
        ] {
            assert_ne!(key, different);
        }
        assert!(change_key(&conv, u64::MAX, "x", u64::MAX).len() <= 64);
    }

    #[test]
    fn a_reaction_entry_is_a_change() {
        let conv = ConvId::parse("g:g_1").unwrap();
        let body = r#"{"seq":3,"emoji":"👍","on":true,"by":"u_1"}"#;
        let change = ReactionChange::parse(&conv, 9, REACTION_KIND, body, 5).unwrap();
        assert_eq!((change.target, change.emoji.as_str(), change.on, change.entry_seq), (3, "👍", true, 9));
        assert!(ReactionChange::parse(&conv, 9, "text", body, 5).is_none());
        assert!(ReactionChange::parse(&conv, 9, REACTION_KIND, "{}", 5).is_none());
    }
}
