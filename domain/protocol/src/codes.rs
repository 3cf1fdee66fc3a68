//! Stable, machine-readable error codes. Clients match on these strings, so a variant is
//! never renamed; new ones are only added.

use serde::{Deserialize, Serialize};

/// Every error the server reports, over HTTP (`{"error": {"code": ...}}`) or in an `error` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame or body is not valid JSON.
    BadJson,
    /// The JSON is valid but is not a frame (not an object, or no string `type`).
    BadFrame,
    /// The frame's `type` is not one the server knows.
    UnknownType,
    /// A field is missing, has the wrong type, or breaks a rule (length, range, format).
    InvalidField,
    /// The message kind is not accepted.
    UnsupportedKind,
    /// The message body is over the configured size for its kind.
    BodyTooLarge,
    /// The conversation id is malformed or names nobody who exists.
    UnknownConversation,
    /// The caller is not part of the conversation.
    NotMember,
    /// The caller may not do this.
    Forbidden,
    /// The seq is below 1 or past the conversation's last message.
    SeqOutOfRange,
    /// No valid credentials were presented (missing, malformed, tampered or revoked token).
    Unauthorized,
    /// The access token has expired; refresh it.
    TokenExpired,
    /// Username or password is wrong.
    InvalidCredentials,
    /// The refresh token was already used; the device session has been revoked.
    RefreshReused,
    /// The username is taken.
    UsernameTaken,
    /// The thing asked for does not exist.
    NotFound,
    /// The path exists, but not with this method (the `Allow` header lists those it has).
    MethodNotAllowed,
    /// Too many requests; retry later.
    RateLimited,
    /// The server is overloaded; retry later.
    Busy,
    /// The request body is over the size limit.
    PayloadTooLarge,
    /// Something broke on the server; details are in its log, not in the response.
    Internal,
    /// The other user has blocked the caller (messages and friend requests are refused).
    Blocked,
    /// The other user accepts direct messages from friends only.
    NotFriends,
    /// The group has reached its member cap.
    GroupFull,
    /// The caller is muted in this group (alone, or the whole group is muted).
    Muted,
    /// The group has been dissolved: it can be read, not changed or posted to.
    GroupDissolved,
    /// The request conflicts with the current state (already friends, already a member, ...).
    Conflict,
    /// The account is disabled by an administrator.
    AccountDisabled,
    /// The client's address is refused by the gateway's allow/deny lists.
    IpDenied,
    /// The instance, or the user on it, holds as many WebSocket connections as allowed.
    TooManyConnections,
    /// The media id names no upload the caller may use (unknown or not shared with them).
    MediaNotFound,
    /// An upload is over its kind's size limit, or an image over the side limit.
    MediaTooLarge,
    /// An upload's bytes do not match its kind or its declared `Content-Type`.
    MediaTypeMismatch,
    /// The `Range` header is malformed or outside the blob.
    RangeNotSatisfiable,
    /// The instance is shutting down: connect to another one (and resend there, same
    /// client_msg_id).
    Draining,
    /// The content check refused the text (a blocked word, or the business system's hook);
    /// the message says why. Sending it again as it is will be refused again.
    ContentRejected,
    /// The content check could not run (the hook failed and fails closed); retry later.
    ContentCheckUnavailable,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadJson => "bad_json",
            Self::BadFrame => "bad_frame",
            Self::UnknownType => "unknown_type",
            Self::InvalidField => "invalid_field",
            Self::UnsupportedKind => "unsupported_kind",
            Self::BodyTooLarge => "body_too_large",
            Self::UnknownConversation => "unknown_conversation",
            Self::NotMember => "not_member",
            Self::Forbidden => "forbidden",
            Self::SeqOutOfRange => "seq_out_of_range",
            Self::Unauthorized => "unauthorized",
            Self::TokenExpired => "token_expired",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RefreshReused => "refresh_reused",
            Self::UsernameTaken => "username_taken",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RateLimited => "rate_limited",
            Self::Busy => "busy",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Internal => "internal",
            Self::Blocked => "blocked",
            Self::NotFriends => "not_friends",
            Self::GroupFull => "group_full",
            Self::Muted => "muted",
            Self::GroupDissolved => "group_dissolved",
            Self::Conflict => "conflict",
            Self::AccountDisabled => "account_disabled",
            Self::IpDenied => "ip_denied",
            Self::TooManyConnections => "too_many_connections",
            Self::MediaNotFound => "media_not_found",
            Self::MediaTooLarge => "media_too_large",
            Self::MediaTypeMismatch => "media_type_mismatch",
            Self::RangeNotSatisfiable => "range_not_satisfiable",
            Self::Draining => "draining",
            Self::ContentRejected => "content_rejected",
            Self::ContentCheckUnavailable => "content_check_unavailable",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn serde_name_matches_as_str() {
        for code in [
            ErrorCode::BadJson,
            ErrorCode::SeqOutOfRange,
            ErrorCode::RefreshReused,
            ErrorCode::NotFriends,
            ErrorCode::GroupDissolved,
            ErrorCode::MediaTypeMismatch,
            ErrorCode::ContentRejected,
            ErrorCode::ContentCheckUnavailable,
        ] {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
