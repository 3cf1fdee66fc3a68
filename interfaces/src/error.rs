//! The one mapping from use-case errors to the wire: an HTTP status plus a stable code for REST,
//! the same code in `error` frames. Internal details go to the log, never to the client.

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
    /// An error with an explicit code, status and message.
    pub fn new(code: ErrorCode, status: StatusCode, message: impl Into<String>) -> Self {
        Self { code, status, message: message.into(), retry_after_ms: None, headers: Vec::new() }
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
            ..Self::new(
                ErrorCode::RateLimited,
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many requests; retry in {ms} ms"),
            )
        }
    }

    /// 400 `invalid_field`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidField, StatusCode::BAD_REQUEST, message)
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
        let (code, status) = match &e {
            AppError::InvalidField(_) => (C::InvalidField, StatusCode::BAD_REQUEST),
            AppError::UnsupportedKind(_) => (C::UnsupportedKind, StatusCode::BAD_REQUEST),
            AppError::BodyTooLarge(_) => (C::BodyTooLarge, StatusCode::PAYLOAD_TOO_LARGE),
            AppError::UnknownConversation => (C::UnknownConversation, StatusCode::NOT_FOUND),
            AppError::NotMember => (C::NotMember, StatusCode::FORBIDDEN),
            AppError::SeqOutOfRange { .. } => (C::SeqOutOfRange, StatusCode::BAD_REQUEST),
            AppError::Unauthorized => (C::Unauthorized, StatusCode::UNAUTHORIZED),
            AppError::TokenExpired => (C::TokenExpired, StatusCode::UNAUTHORIZED),
            AppError::InvalidCredentials => (C::InvalidCredentials, StatusCode::UNAUTHORIZED),
            AppError::RefreshReused => (C::RefreshReused, StatusCode::UNAUTHORIZED),
            AppError::UsernameTaken => (C::UsernameTaken, StatusCode::CONFLICT),
            AppError::NotFound(_) => (C::NotFound, StatusCode::NOT_FOUND),
            AppError::Forbidden(_) => (C::Forbidden, StatusCode::FORBIDDEN),
            AppError::Conflict(_) => (C::Conflict, StatusCode::CONFLICT),
            AppError::Blocked => (C::Blocked, StatusCode::FORBIDDEN),
            AppError::NotFriends => (C::NotFriends, StatusCode::FORBIDDEN),
            AppError::GroupFull(_) => (C::GroupFull, StatusCode::CONFLICT),
            AppError::Muted => (C::Muted, StatusCode::FORBIDDEN),
            AppError::GroupDissolved => (C::GroupDissolved, StatusCode::GONE),
            AppError::AccountDisabled => (C::AccountDisabled, StatusCode::FORBIDDEN),
            AppError::MediaNotFound => (C::MediaNotFound, StatusCode::NOT_FOUND),
            AppError::MediaTooLarge(_) => (C::MediaTooLarge, StatusCode::PAYLOAD_TOO_LARGE),
            AppError::MediaTypeMismatch(_) => (C::MediaTypeMismatch, StatusCode::UNSUPPORTED_MEDIA_TYPE),
            AppError::Busy => (C::Busy, StatusCode::SERVICE_UNAVAILABLE),
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                return Self::new(C::Internal, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            }
        };
        Self::new(code, status, e.to_string())
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
