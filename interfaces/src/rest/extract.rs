//! Request extractors: the authenticated caller, and JSON/query error mapping to stable codes.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use tidings_domain::ports::AccessClaims;
use tidings_protocol::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// The caller, authenticated by a bearer access token whose session is still live.
pub struct Authed(pub AccessClaims);

/// The token from `Authorization: Bearer …`.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::new(ErrorCode::Internal, StatusCode::INTERNAL_SERVER_ERROR, "no state"))?;
            let token = token.ok_or_else(|| {
                ApiError::new(ErrorCode::Unauthorized, StatusCode::UNAUTHORIZED, "missing bearer token")
            })?;
            Ok(Self(state.accounts.authenticate(&token).await?))
        })
    }
}

/// JSON bodies: size-limited, and every failure an error with a stable code.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _| {
        let api = match &err {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::new(ErrorCode::PayloadTooLarge, StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
            }
            JsonPayloadError::ContentType => ApiError::new(
                ErrorCode::BadJson,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/json",
            ),
            JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::invalid(e.to_string()),
            other => ApiError::new(ErrorCode::BadJson, StatusCode::BAD_REQUEST, other.to_string()),
        };
        api.into()
    })
}

/// Query strings: a malformed one is `invalid_field`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _| ApiError::invalid(err.to_string()).into())
}

/// Path segments: one that does not parse (`/messages/-1/reads`) is `invalid_field` in the
/// usual JSON error, not actix's plain-text 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err: PathError, _| ApiError::invalid(format!("path parameter: {err}")).into())
}
