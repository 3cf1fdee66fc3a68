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
