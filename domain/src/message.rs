//! Messages and the acknowledgement a sender gets for one, and the typed parts of a send: its
//! [`ClientMsgId`] and [`MessageKind`].

use std::fmt;

use crate::ids::{ConvId, UserId};

/// A persisted message: one entry of a conversation's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Conversation.
    pub conv: ConvId,
    /// Position in the conversation's log.
    pub seq: u64,
    /// Globally unique id (ULID).
    pub msg_id: String,
    /// Author.
    pub sender: UserId,
    /// The author's id for the message, unique per author (dedupe key).
    pub client_msg_id: String,
    /// Kind, e.g. `text`.
    pub kind: String,
    /// Kind-specific body as compact JSON text.
    pub body: String,
    /// Persist time, ms since epoch.
    pub ts: i64,
    /// When the body was last replaced by an edit (ms), `None` if never edited.
    pub edited_at: Option<i64>,
}

impl Message {
    /// The message of the same log this entry points at ([`refers_to`]).
    pub fn refers_to(&self) -> Option<u64> {
        refers_to(&self.kind, &self.body)
    }

    /// The acknowledgement the sender gets for this message.
    pub fn ack(&self, duplicate: bool) -> Ack {
        Ack {
            conv: self.conv.clone(),
            seq: self.seq,
            msg_id: self.msg_id.clone(),
            client_msg_id: self.client_msg_id.clone(),
            ts: self.ts,
            duplicate,
        }
    }
}

/// What a sender learns once its message is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Conversation.
    pub conv: ConvId,
    /// Assigned seq.
    pub seq: u64,
    /// Assigned id.
    pub msg_id: String,
    /// The sender's id for it.
    pub client_msg_id: String,
    /// Persist time (ms).
    pub ts: i64,
    /// True when the message had already been stored by an earlier send.
    pub duplicate: bool,
}

/// Message kinds a client may send (the wire names of [`MessageKind`]).
pub const USER_KINDS: &[&str] = &["text", "image", "file", "voice", "video", "custom"];

/// A kind of message a client may send. Other kinds in a log (recall notices, recalled
/// messages, group notices) are written by the server only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// `text`: text with optional mentions.
    Text,
    /// `image`: an uploaded image.
    Image,
    /// `file`: an uploaded file.
    File,
    /// `voice`: an uploaded voice clip.
    Voice,
    /// `video`: an uploaded video.
    Video,
    /// `custom`: any JSON object the clients agree on; only its size is checked.
    Custom,
}

impl MessageKind {
    /// Every kind, in the order of [`USER_KINDS`].
    pub const ALL: [Self; 6] = [Self::Text, Self::Image, Self::File, Self::Voice, Self::Video, Self::Custom];

    /// The kind named `raw` (exact, lowercase); `None` for any kind a client may not send.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::File => "file",
            Self::Voice => "voice",
            Self::Video => "video",
            Self::Custom => "custom",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sender's own id for a message (1-64 printable ASCII characters), unique per sender: a
/// retry with the same id is answered with the first send's ack.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientMsgId(String);

/// A `client_msg_id` broke its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("client_msg_id must be 1-64 printable ASCII characters")]
pub struct InvalidClientMsgId;

impl ClientMsgId {
    /// Checks `raw` and wraps it, taking an owned string without copying it.
    pub fn parse<S: AsRef<str> + Into<String>>(raw: S) -> Result<Self, InvalidClientMsgId> {
        let s = raw.as_ref();
        let ok = !s.is_empty() && s.len() <= 64 && s.bytes().all(|c| c.is_ascii_graphic());
        if ok { Ok(Self(raw.into())) } else { Err(InvalidClientMsgId) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's text, for a message or an ack.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ClientMsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Kind of a recall notice: a system message recording that a message was recalled.
pub const RECALL_KIND: &str = "recall";

/// Kind a recalled message takes in the log; its body is then `{}`.
pub const RECALLED_KIND: &str = "recalled";

/// Recalled body: the original is erased.
pub const RECALLED_BODY: &str = "{}";

/// Kind of a pin entry: a message was pinned or unpinned (`{seq, on, by, at}`).
pub const PIN_KIND: &str = "pin";

/// Kind of an edit entry: the sender replaced the body of their text message `seq` (body
/// `{"seq", "body", "edited_at"}`, see [`crate::edit`]).
pub const EDIT_KIND: &str = "edit";

/// Kind of a reaction entry: one user turned one emoji on or off on a message
/// ([`crate::reaction`]).
pub const REACTION_KIND: &str = "reaction";

/// Kinds that never count as unread: a recall notice, the recalled message itself, and the
/// entries of actions on other messages.
pub const NOT_UNREAD_KINDS: &[&str] = &[RECALL_KIND, RECALLED_KIND, PIN_KIND, EDIT_KIND, REACTION_KIND];

/// Kinds of server-written entries that point at another message of their log, by the `seq` of
/// their body (a recall notice at what it recalled, a pin entry at what it pins, an edit at what
/// it changed, a reaction at what it reacts to).
pub const TARGETING_KINDS: &[&str] = &[RECALL_KIND, PIN_KIND, EDIT_KIND, REACTION_KIND];

/// The message of the same log that an entry points at: the message a reply quotes
/// (`reply_to.seq` of a user message's body), or the target of a notice
/// ([`TARGETING_KINDS`]). Derived from kind and body alone, so every reader of the log finds the
/// same references; the stores index them so that a recall can find every copy of what it erases.
pub fn refers_to(kind: &str, body: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Target {
        seq: u64,
    }
    #[derive(serde::Deserialize)]
    struct Reply {
        reply_to: Option<Target>,
    }
    if TARGETING_KINDS.contains(&kind) {
        return serde_json::from_str::<Target>(body).ok().map(|t| t.seq);
    }
    // Most messages quote nothing: a substring test spares them the parse.
    if is_user_kind(kind) && body.contains("\"reply_to\"") {
        return serde_json::from_str::<Reply>(body).ok().and_then(|r| r.reply_to).map(|t| t.seq);
    }
    None
}

/// The body of a reply whose quoted message was recalled: its quote says only `recalled`, the
/// copied excerpt is gone. `None` when the body holds no quote to erase.
pub fn with_quote_recalled(body: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(body).ok()?;
    let reply = value.get_mut("reply_to")?.as_object_mut()?;
    reply.insert("quote".into(), serde_json::json!({"recalled": true}));
    Some(value.to_string())
}

/// Kind of a merged forward: one message carrying copies of several others
/// (`{"items": [{"sender", "ts", "kind", "body"}]}`), written by the server for a forward request.
pub const FORWARD_KIND: &str = "forward";

/// Kinds of messages people wrote (what clients send, and merged forwards): these may be
/// recalled, pinned and forwarded, and count as unread; other kinds in a log are the server's.
pub const CONTENT_KINDS: &[&str] = &["text", "image", "file", "voice", "video", "custom", FORWARD_KIND];

/// Whether `kind` is one of [`CONTENT_KINDS`].
pub fn is_content_kind(kind: &str) -> bool {
    CONTENT_KINDS.contains(&kind)
}

/// Whether clients may send this kind, and so whether a message of it may be recalled (system
/// messages and already recalled ones may not).
pub fn is_user_kind(kind: &str) -> bool {
    MessageKind::parse(kind).is_some()
}

/// A fresh message id (`m_` + ULID, so ids sort by creation time).
pub fn generate_msg_id() -> String {
    format!("m_{}", ulid::Ulid::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_match_their_names() {
        let names: Vec<&str> = MessageKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, USER_KINDS);
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
        }
        for raw in ["", "Text", "text ", "recall", "recalled", "notice"] {
            assert_eq!(MessageKind::parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn client_msg_ids_are_printable_ascii() {
        assert_eq!(ClientMsgId::parse("c-1").map(ClientMsgId::into_string), Ok("c-1".to_owned()));
        assert!(ClientMsgId::parse("x".repeat(64)).is_ok());
        for raw in [String::new(), "x".repeat(65), "a b".into(), "é".into(), "a\n".into()] {
            assert_eq!(ClientMsgId::parse(raw.as_str()), Err(InvalidClientMsgId), "{raw:?}");
        }
    }

    #[test]
    fn content_kinds_are_the_user_kinds_and_forwards() {
        assert!(USER_KINDS.iter().all(|k| is_content_kind(k)));
        assert!(is_content_kind(FORWARD_KIND) && !is_user_kind(FORWARD_KIND));
        for system in [RECALL_KIND, RECALLED_KIND, PIN_KIND, "group_notice"] {
            assert!(!is_content_kind(system), "{system}");
        }
    }

    #[test]
    fn references_come_from_replies_and_notices_only() {
        assert_eq!(refers_to("text", r#"{"text":"hi","reply_to":{"seq":7}}"#), Some(7));
        assert_eq!(refers_to("custom", r#"{"reply_to":{"seq":2},"x":1}"#), Some(2));
        assert_eq!(refers_to(RECALL_KIND, r#"{"seq":3,"by":"u_1"}"#), Some(3));
        assert_eq!(refers_to("text", r#"{"text":"\"reply_to\" in words"}"#), None);
        assert_eq!(refers_to("text", r#"{"text":"hi"}"#), None);
        assert_eq!(refers_to(RECALLED_KIND, RECALLED_BODY), None);
        assert_eq!(refers_to("group_notice", r#"{"seq":3}"#), None);
    }

    #[test]
    fn a_recalled_quote_keeps_its_seq_and_loses_its_excerpt() {
        let body = r#"{"text":"yes","reply_to":{"seq":4,"quote":{"sender":"u_1","kind":"text","excerpt":"secret"}}}"#;
        let erased = with_quote_recalled(body).unwrap();
        assert!(!erased.contains("secret"), "{erased}");
        let v: serde_json::Value = serde_json::from_str(&erased).unwrap();
        assert_eq!(v["reply_to"], serde_json::json!({"seq": 4, "quote": {"recalled": true}}));
        assert_eq!(v["text"], "yes");
        assert_eq!(with_quote_recalled(r#"{"text":"no quote"}"#), None);
    }
}
