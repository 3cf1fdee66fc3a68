//! The error codes as the OpenAPI document describes them: the catalogue in its introduction,
//! and the description of an error response by its codes.

use tidings_protocol::ErrorCode;

/// Every code, in the order of the error table of `docs/protocol.md` (for the catalogue in the
/// document's description; the OpenAPI test checks that table against the document).
pub(crate) const ALL_CODES: &[ErrorCode] = {
    use ErrorCode as C;
    &[
        C::BadJson,
        C::BadFrame,
        C::UnknownType,
        C::InvalidField,
        C::UnsupportedKind,
        C::BodyTooLarge,
        C::PayloadTooLarge,
        C::UnknownConversation,
        C::NotMember,
        C::SeqOutOfRange,
        C::Unauthorized,
        C::TokenExpired,
        C::InvalidCredentials,
        C::RefreshReused,
        C::UsernameTaken,
        C::NotFound,
        C::MethodNotAllowed,
        C::RateLimited,
        C::Busy,
        C::Internal,
        C::Forbidden,
        C::Conflict,
        C::Blocked,
        C::NotFriends,
        C::GroupFull,
        C::Muted,
        C::GroupDissolved,
        C::AccountDisabled,
        C::IpDenied,
        C::TooManyConnections,
        C::MediaNotFound,
        C::MediaTooLarge,
        C::MediaTypeMismatch,
        C::RangeNotSatisfiable,
        C::Draining,
        C::ContentRejected,
        C::ContentCheckUnavailable,
    ]
};

/// What a code means to a client, in one short clause.
pub(crate) fn meaning(code: ErrorCode) -> &'static str {
    use ErrorCode as C;
    match code {
        C::BadJson => "the body is not valid JSON, or not sent as `application/json` (415)",
        C::BadFrame => "(WebSocket only) the frame is not a JSON object with a string `type`",
        C::UnknownType => "(WebSocket only) the frame `type` is not one the server knows",
        C::InvalidField => "a field or query parameter is missing, has the wrong type, or breaks a rule",
        C::UnsupportedKind => "the message `kind` may not be sent by clients",
        C::BodyTooLarge => "the message body is over its limit",
        C::PayloadTooLarge => "the request body is over `limits.max_http_body_bytes`",
        C::UnknownConversation => "the conversation id is malformed or names a user who does not exist",
        C::NotMember => "the caller is not part of the conversation",
        C::SeqOutOfRange => "the seq is 0 or past the conversation's last message",
        C::Unauthorized => "no token, or a malformed, tampered or revoked one",
        C::TokenExpired => "the access token has expired: refresh it",
        C::InvalidCredentials => "wrong username or password",
        C::RefreshReused => "a spent refresh token was presented again: the device session is revoked",
        C::UsernameTaken => "the username is taken",
        C::NotFound => "the thing asked for does not exist",
        C::MethodNotAllowed => "the path exists, but not with this method; `Allow` lists the methods it has",
        C::RateLimited => "the caller's budget is spent; `retry_after_ms` and `Retry-After` say when to retry",
        C::Busy => "the server is overloaded: retry with backoff",
        C::Internal => "a server fault; details are only in the server log",
        C::Forbidden => "the caller's role, API-key scope or a policy does not allow this",
        C::Conflict => "the current state does not allow it (already friends, already a member, ...)",
        C::Blocked => "the other user has blocked the caller",
        C::NotFriends => "the other user accepts direct messages from friends only",
        C::GroupFull => "the group is at its member cap",
        C::Muted => "the caller is muted in the group",
        C::GroupDissolved => "the group was dissolved: it can be read, not changed or posted to",
        C::AccountDisabled => "an administrator disabled the account",
        C::IpDenied => "the client's address is refused by the server's allow/deny lists",
        C::TooManyConnections => "the instance, or this user on it, has as many WebSocket connections as allowed",
        C::MediaNotFound => "no upload with this id that the caller may use (unknown and not shared look alike)",
        C::MediaTooLarge => {
            "the upload is over its kind's `media.max_*_bytes`, or an image over `limits.max_media_side`"
        }
        C::MediaTypeMismatch => "the upload's bytes do not match its kind or its declared `Content-Type`",
        C::RangeNotSatisfiable => "the `Range` header is malformed, multi-range, or outside the blob",
        C::Draining => "the instance is shutting down: connect to another one and resend there",
        C::ContentRejected => "the content check refused the text (a blocked word or the business system's hook)",
        C::ContentCheckUnavailable => "the content check could not run and the server fails closed: retry later",
    }
}

/// The description of an error response: one Markdown line per code, "`code`: meaning".
pub(crate) fn codes(codes: &[ErrorCode]) -> String {
    codes.iter().map(|&c| format!("- `{c}`: {}", meaning(c))).collect::<Vec<_>>().join("\n")
}
