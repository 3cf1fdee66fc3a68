//! Errors of the use cases. `interfaces` maps each variant once to an HTTP status and a stable
//! wire code; nothing else decides how an error looks to a client.

use tidings_domain::StoreError;

/// A use case failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// An input broke a rule.
    #[error("{0}")]
    InvalidField(String),
    /// The message kind is not accepted.
    #[error("kind `{0}` is not supported")]
    UnsupportedKind(String),
    /// The body is over its size limit.
    #[error("{0}")]
    BodyTooLarge(String),
    /// The conversation id is malformed or names nobody who exists.
    #[error("unknown conversation")]
    UnknownConversation,
    /// The caller is not part of the conversation.
    #[error("not a member of this conversation")]
    NotMember,
    /// The seq does not name a message of the conversation.
    #[error("seq {seq} is outside 1..={max}")]
    SeqOutOfRange {
        /// What was asked.
        seq: u64,
        /// The conversation's highest seq.
        max: u64,
    },
    /// Missing, malformed or revoked credentials.
    #[error("not authenticated")]
    Unauthorized,
    /// The access token has expired.
    #[error("access token expired")]
    TokenExpired,
    /// Wrong username or password.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// A refresh token was replayed; its session is revoked.
    #[error("refresh token reused; session revoked")]
    RefreshReused,
    /// The username is taken.
    #[error("username is taken")]
    UsernameTaken,
    /// Not found.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this (role, scope or policy), with the reason.
    #[error("{0}")]
    Forbidden(String),
    /// The state does not allow it (already friends, already a member, ...), with the reason.
    #[error("{0}")]
    Conflict(String),
    /// The other user has blocked the caller.
    #[error("blocked by this user")]
    Blocked,
    /// The other user accepts direct messages from friends only.
    #[error("this user accepts messages from friends only")]
    NotFriends,
    /// The group is at its member cap.
    #[error("the group is full ({0} members at most)")]
    GroupFull(u32),
    /// The caller is muted in the group.
    #[error("muted in this group")]
    Muted,
    /// The group was dissolved.
    #[error("the group has been dissolved")]
    GroupDissolved,
    /// The content check refused the text, with the reason shown to the sender.
    #[error("{0}")]
    ContentRejected(String),
    /// The before-send hook gave no answer and it fails closed: try again later.
    #[error("the content check is unavailable; try again later")]
    ContentCheckUnavailable,
    /// The account is disabled.
    #[error("account disabled")]
    AccountDisabled,
    /// The media id names no upload the caller may use (unknown and forbidden look the same,
    /// so strangers learn nothing).
    #[error("media not found")]
    MediaNotFound,
    /// An upload is over its kind's size limit (or an image over the side limit).
    #[error("{0}")]
    MediaTooLarge(String),
    /// An upload's bytes are not what its kind or its declared type says.
    #[error("{0}")]
    MediaTypeMismatch(String),
    /// Overloaded: the caller should retry later.
    #[error("server busy, retry later")]
    Busy,
    /// A bug or a broken dependency; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Busy,
            other => Self::Internal(other.to_string()),
        }
    }
}
