//! Message bodies per kind, as clients send them and the server stores them. Unknown fields are
//! refused, so a body means exactly what these types say. `custom` bodies are the application's
//! own JSON object and have no type here.

use serde::{Deserialize, Serialize};

/// A reference to the message being answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyTo {
    /// Conversation of the quoted message; when given it must be the message's own conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv: Option<String>,
    /// Seq of the quoted message.
    pub seq: u64,
    /// What the reply shows of the quoted message, copied by the server when the reply is sent
    /// (a client's own `quote` is replaced); after a recall of the quoted message, only
    /// `recalled: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
}

/// The longest excerpt a quote keeps, in characters.
pub const QUOTE_EXCERPT_CHARS: usize = 100;

impl Quote {
    /// The snapshot of a message (its sender, kind and JSON body) that a reply to it keeps: the
    /// start of a text, a file's name, nothing of other kinds; a recalled message's is only
    /// `recalled`. The server makes it; the SDK makes the same for its own pending replies.
    pub fn of(sender: &str, kind: &str, body: &serde_json::Value) -> Self {
        if kind == "recalled" {
            return Self::recalled();
        }
        let excerpt = match kind {
            "text" => body.get("text").and_then(serde_json::Value::as_str).unwrap_or_default(),
            "file" => body.get("name").and_then(serde_json::Value::as_str).unwrap_or_default(),
            _ => "",
        };
        Self {
            sender: Some(sender.to_owned()),
            kind: Some(kind.to_owned()),
            excerpt: Some(excerpt.chars().take(QUOTE_EXCERPT_CHARS).collect()),
            recalled: None,
        }
    }

    /// The quote of a recalled message: nothing of it is kept.
    pub fn recalled() -> Self {
        Self { sender: None, kind: None, excerpt: None, recalled: Some(true) }
    }
}

/// A reply's snapshot of the message it answers, so a client renders the quote without
/// fetching the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    /// The quoted message's sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// The quoted message's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The start of its text (at most 100 characters), or a file's name; empty for other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// The quoted message was recalled: nothing of it is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalled: Option<bool>,
}

/// `text`: a text with optional mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    /// The text.
    pub text: String,
    /// Mentioned members' user ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<String>>,
    /// Mentions every member (groups only, owners and admins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_all: Option<bool>,
    /// The message answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    /// The seq of the thread's root when this message is a reply in a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root: Option<u64>,
}

/// `image`: an uploaded picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageBody {
    /// Uploaded media id.
    pub media_id: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The message answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    /// The seq of the thread's root when this message is a reply in a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root: Option<u64>,
}

/// `file`: an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBody {
    /// Uploaded media id.
    pub media_id: String,
    /// File name shown to the recipients.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// The message answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    /// The seq of the thread's root when this message is a reply in a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root: Option<u64>,
}

/// `voice`: a voice clip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceBody {
    /// Uploaded media id.
    pub media_id: String,
    /// Length in milliseconds.
    pub duration_ms: u64,
    /// The message answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    /// The seq of the thread's root when this message is a reply in a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root: Option<u64>,
}

/// `video`: a video clip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoBody {
    /// Uploaded media id.
    pub media_id: String,
    /// Length in milliseconds.
    pub duration_ms: u64,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The message answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    /// The seq of the thread's root when this message is a reply in a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root: Option<u64>,
}

/// Body of a `recall` notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallNotice {
    /// Seq of the recalled message (now of kind `recalled`).
    pub seq: u64,
    /// Who recalled it (the sender, or a group owner or admin).
    pub by: String,
}

/// Whether a message body mentions `user`: names them in `mentions`, or says `mention_all: true`
/// (any kind whose body carries those fields). The rule of the list's `mention_count`, shared by
/// the server and the SDK.
pub fn mentions(body: &serde_json::Value, user: &str) -> bool {
    body.get("mention_all").and_then(serde_json::Value::as_bool) == Some(true)
        || body.get("mentions").and_then(serde_json::Value::as_array).is_some_and(|ids| ids.iter().any(|id| id == user))
}
