//! Content rules that run before anything is stored: the before-send hook a business system
//! answers, and the sensitive-word lists administrators keep. The matching itself lives in
//! `tidings-wordfilter`; this module names what is stored and asked.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ConvId, UserId};

/// What a word list does to text containing one of its words (re-exported from the matcher so
/// the stored value and the matcher agree).
pub use tidings_wordfilter::Action as FilterAction;

/// An administrator's word list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterList {
    /// `fl_…`, stable.
    pub id: String,
    /// Shown to administrators (unique).
    pub name: String,
    /// What a match does.
    pub action: FilterAction,
    /// The words as written (normalized only when matched).
    pub words: Vec<String>,
    /// Last change (ms since the epoch); instances reload a list whose stamp moved.
    pub updated_at: i64,
}

/// A list's identity and stamp, which instances poll to learn of changes cheaply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FilterStamp {
    /// The list.
    pub id: String,
    /// Its last change.
    pub updated_at: i64,
}

/// New id for a word list.
pub fn new_filter_id() -> String {
    format!("fl_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Where checked text came from, as the flag record and the hook name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentSubject {
    /// A message's text (or a file's name).
    Message,
    /// An edit of a message.
    Edit,
    /// A user's display name.
    DisplayName,
    /// A group's name.
    GroupName,
    /// A group's announcement.
    Announcement,
}

impl ContentSubject {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Edit => "edit",
            Self::DisplayName => "display_name",
            Self::GroupName => "group_name",
            Self::Announcement => "announcement",
        }
    }
}

/// Text a Flag list matched, kept for administrators to review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlaggedContent {
    /// Position in the review list (newest has the highest).
    pub id: u64,
    /// When it was written.
    pub at: i64,
    /// What kind of text.
    pub subject: ContentSubject,
    /// Who wrote it.
    pub author: UserId,
    /// The conversation, for messages and edits.
    pub conv: Option<ConvId>,
    /// The sender's `client_msg_id` of a message (with the author it finds the stored message),
    /// or the edited message's seq as text for an edit.
    pub reference: Option<String>,
    /// The lists that flagged it (names at the time).
    pub lists: Vec<String>,
    /// The words that matched.
    pub words: Vec<String>,
    /// The text as written (before any masking), cut to a bounded length.
    pub excerpt: String,
}

/// What the before-send hook is asked about one send or edit.
#[derive(Debug, Clone, Serialize)]
pub struct HookCall {
    /// `message` for a send, `edit` for an edit.
    pub subject: ContentSubject,
    /// The conversation.
    pub conv: String,
    /// The sender.
    pub sender: String,
    /// The sender's id for the send (`client_msg_id`), or the edit frame's id.
    pub client_msg_id: String,
    /// The edited message's seq (edits only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The message kind.
    pub kind: String,
    /// The body as the sender wrote it.
    pub body: Value,
}

/// The hook's answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum HookDecision {
    /// Store as sent.
    Allow,
    /// Refuse; the reason is shown to the sender.
    Reject {
        /// Short reason for the sender (bounded when shown).
        #[serde(default)]
        reason: Option<String>,
    },
    /// Store this body instead (same kind; checked like any body).
    Rewrite {
        /// The new body.
        body: Value,
    },
}

/// Why the hook gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookFailure {
    /// No answer within the timeout.
    #[error("the hook did not answer in time")]
    Timeout,
    /// The connection failed.
    #[error("the hook could not be reached: {0}")]
    Unreachable(String),
    /// An HTTP status other than 200.
    #[error("the hook answered HTTP {0}")]
    Status(u16),
    /// A 200 whose body is not a decision.
    #[error("the hook's answer is not a decision: {0}")]
    Garbage(String),
}
