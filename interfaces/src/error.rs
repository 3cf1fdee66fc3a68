//! The one mapping from use-case errors to the wire: a stable code, and the HTTP status each code
//! answers with over REST ([`status`]); the same code in `error` frames. Internal details go to
//! the log, never to the client.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use tidings_app::AppError;
use tidings_protocol::ErrorCode;
use tidings_protocol::rest::{ErrorBody, ErrorDetail};

/// An error as a client sees it.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Stable code.
    pub code: ErrorCode,
    /// HTTP status for REST.
    pub status: StatusCode,
    /// Safe, human-readable message.
    pub message: String,
    /// With `rate_limited`: when a retry would be accepted.
    pub retry_after_ms: Option<u64>,
    /// Extra response headers (e.g. `Content-Range` of a 416).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// An error with a code and a message, answered with the code's [`status`].
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, status: status(code), message: message.into(), retry_after_ms: None, headers: Vec::new() }
    }

    /// The same error answered with another status: for the codes that have a second one
    /// (`too_many_connections` for a user's cap: 429).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The same error with one more response header.
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// 429 `rate_limited`, retry after `wait`.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
        Self {
            retry_after_ms: Some(ms),
            ..Self::new(ErrorCode::RateLimited, format!("too many requests; retry in {ms} ms"))
        }
    }

    /// 400 `invalid_field`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidField, message)
    }

    /// 415 `bad_json`: a body that should be JSON was sent under another content type.
    pub fn not_json(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadJson, message).with_status(NOT_JSON)
    }
}

/// The status of `bad_json` for a body not sent as `application/json` (its second status).
pub const NOT_JSON: StatusCode = StatusCode::UNSUPPORTED_MEDIA_TYPE;

/// The HTTP status of each code: the one place it is written, read by [`ApiError::new`] and by
/// the OpenAPI document's error responses. Two codes have a second status, given where they are
/// answered: `bad_json` ([`NOT_JSON`]) and `too_many_connections` (429 for a user's cap).
/// WebSocket-only codes answer 400 if they ever reach HTTP (a malformed `/ws` handshake).
pub fn status(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::BadJson | C::BadFrame | C::UnknownType | C::InvalidField | C::UnsupportedKind | C::SeqOutOfRange => {
            StatusCode::BAD_REQUEST
        }
        C::Unauthorized | C::TokenExpired | C::InvalidCredentials | C::RefreshReused => StatusCode::UNAUTHORIZED,
        C::NotMember
        | C::Forbidden
        | C::Blocked
        | C::NotFriends
        | C::Muted
        | C::AccountDisabled
        | C::IpDenied
        | C::ContentRejected => StatusCode::FORBIDDEN,
        C::UnknownConversation | C::NotFound | C::MediaNotFound => StatusCode::NOT_FOUND,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::UsernameTaken | C::Conflict | C::GroupFull => StatusCode::CONFLICT,
        C::GroupDissolved => StatusCode::GONE,
        C::BodyTooLarge | C::PayloadTooLarge | C::MediaTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::MediaTypeMismatch => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        C::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
        C::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        C::Busy | C::TooManyConnections | C::Draining | C::ContentCheckUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use ErrorCode as C;
        let code = match &e {
            AppError::InvalidField(_) => C::InvalidField,
            AppError::UnsupportedKind(_) => C::UnsupportedKind,
            AppError::BodyTooLarge(_) => C::BodyTooLarge,
            AppError::UnknownConversation => C::UnknownConversation,
            AppError::NotMember => C::NotMember,
            AppError::SeqOutOfRange { .. } => C::SeqOutOfRange,
            AppError::Unauthorized => C::Unauthorized,
            AppError::TokenExpired => C::TokenExpired,
            AppError::InvalidCredentials => C::InvalidCredentials,
            AppError::RefreshReused => C::RefreshReused,
            AppError::UsernameTaken => C::UsernameTaken,
            AppError::NotFound(_) => C::NotFound,
            AppError::Forbidden(_) => C::Forbidden,
            AppError::Conflict(_) => C::Conflict,
            AppError::Blocked => C::Blocked,
            AppError::NotFriends => C::NotFriends,
            AppError::GroupFull(_) => C::GroupFull,
            AppError::Muted => C::Muted,
            AppError::GroupDissolved => C::GroupDissolved,
            AppError::AccountDisabled => C::AccountDisabled,
            AppError::MediaNotFound => C::MediaNotFound,
            AppError::MediaTooLarge(_) => C::MediaTooLarge,
            AppError::MediaTypeMismatch(_) => C::MediaTypeMismatch,
            AppError::Busy => C::Busy,
            AppError::ContentRejected(_) => C::ContentRejected,
            AppError::ContentCheckUnavailable => C::ContentCheckUnavailable,
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                return Self::new(C::Internal, "internal error");
            }
        };
        Self::new(code, e.to_string())
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        let mut parts: Vec<String> = e
            .field_errors()
            .iter()
            .map(|(field, errs)| {
                let why: Vec<String> = errs
                    .iter()
                    .map(|err| match (&err.message, err.params.get("min"), err.params.get("max")) {
                        (Some(m), _, _) => m.to_string(),
                        (None, Some(min), Some(max)) => format!("{} must be {min}..={max}", err.code),
                        (None, _, _) => err.code.to_string(),
                    })
                    .collect();
                format!("{field}: {}", why.join(", "))
            })
            .collect();
        parts.sort();
        Self::invalid(parts.join("; "))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status);
        if let Some(ms) = self.retry_after_ms {
            resp.insert_header((actix_web::http::header::RETRY_AFTER, ms.div_ceil(1000).max(1).to_string()));
        }
        for (name, value) in &self.headers {
            resp.insert_header((*name, value.as_str()));
        }
        resp.json(ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_owned(),
                message: self.message.clone(),
                retry_after_ms: self.retry_after_ms,
            },
        })
    }
}
