//! Request extractors: the authenticated caller, and JSON/query error mapping to stable codes.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
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
            let state = state.ok_or_else(|| ApiError::new(ErrorCode::Internal, "no state"))?;
            let token = token.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "missing bearer token"))?;
            Ok(Self(state.accounts.authenticate(&token).await?))
        })
    }
}

/// JSON bodies: size-limited, and every failure an error with a stable code.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _| {
        let api = match &err {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::new(ErrorCode::PayloadTooLarge, "request body too large")
            }
            JsonPayloadError::ContentType => ApiError::not_json("expected Content-Type: application/json"),
            JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::invalid(e.to_string()),
            other => ApiError::new(ErrorCode::BadJson, other.to_string()),
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

/// A JSON request body, as `web::Json` but stricter about what it takes: `application/json`,
/// in UTF-8 (no `charset`, or `charset=utf-8`). actix's own extractor also takes `text/json`,
/// every `…/*+json` type and any charset, then parses the bytes as UTF-8 anyway, so a body
/// declared `charset=utf-16` was read as something it is not. Everything else is 415 `bad_json`.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The parsed body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Whether a request declares a body this API reads as JSON.
fn declares_utf8_json(req: &HttpRequest) -> bool {
    use actix_web::{HttpMessage as _, mime};
    let Ok(Some(mime)) = req.mime_type() else { return false };
    let utf8 = mime.get_param(mime::CHARSET).is_none_or(|c| c.as_str().eq_ignore_ascii_case("utf-8"));
    mime.type_() == mime::APPLICATION && mime.subtype() == mime::JSON && mime.suffix().is_none() && utf8
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if !declares_utf8_json(req) {
            let refused = ApiError::not_json("expected Content-Type: application/json (UTF-8)");
            return Box::pin(std::future::ready(Err(refused.into())));
        }
        let body = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let mut value = body.await?.into_inner();
            // Every request body is an object; serde would also fill a struct from an array of
            // its fields in order (`[null, null]` for a body whose fields are all optional).
            if !value.is_object() {
                return Err(ApiError::invalid("the body is a JSON object").into());
            }
            integral_floats_to_integers(&mut value);
            serde_json::from_value(value).map(Json).map_err(|e| ApiError::invalid(e.to_string()).into())
        })
    }
}

/// Turns numbers written with a fraction of zero (`42.0`, `1e3`) into integers, everywhere in
/// `value`. JSON has one number type, and JSON Schema's `integer` takes `42.0`: a client (or a
/// language without integers) that writes one should not be told its whole number is not one.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let whole = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15);
            // Below 2^53 every whole f64 is exact, so the cast neither rounds nor saturates.
            #[allow(clippy::cast_possible_truncation)]
            if let Some(f) = whole {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}
