//! The error responses of every operation, written from the codes it answers: one response per
//! HTTP status (the code's [`crate::error::status`]), whose description lists its codes with
//! their meanings and whose body is `ErrorBody`.
//!
//! An operation names its own codes on its `#[utoipa::path]` as
//! `extensions(("x-errors" = json!([C::NotFound, ...])))` (lists of codes may be nested); what
//! its security and its body imply is added here, for every operation alike:
//! - an access token (`bearer`): 401 `unauthorized`, `token_expired`;
//! - an API key (`api_key`): 401 `unauthorized`, 403 `forbidden` (every key route needs a
//!   scope), 429 `rate_limited` (every key has a rate);
//! - a required JSON body: 400 `bad_json`, `invalid_field`; 413 `payload_too_large`; 415
//!   `bad_json` (not sent as JSON);
//! - any error at all: 500 `internal` (the operation's use case reaches storage).
//!
//! Implied codes come first under their status, unless the operation names one itself, which
//! then keeps the place it gave it. A response the operation already has for a status (a note
//! such as "the system account cannot be changed") keeps its text after the codes.

use std::collections::BTreeMap;

use tidings_protocol::ErrorCode;
use utoipa::PartialSchema as _;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{Content, Header, OpenApi, Ref, RefOr, Required, Response};

use super::{API_KEY, BEARER};
use crate::error::{NOT_JSON, status};
use crate::rest::doc;

/// The extension an operation names its error codes in (taken out of the served document).
pub(crate) const CODES: &str = "x-errors";

/// Adds the error responses of every operation, and takes the `x-errors` lists out.
pub(crate) struct ErrorResponses;

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, doc: &mut OpenApi) {
        for (path, item) in &mut doc.paths.paths {
            for op in operations_mut(item) {
                if let Err(e) = add_error_responses(op) {
                    tracing::error!(path, error = %e, "an operation's `x-errors` is not a list of error codes");
                }
            }
        }
    }
}

/// Every operation of a path item.
pub(crate) fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.head,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
        &mut item.options,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

fn add_error_responses(op: &mut Operation) -> Result<(), serde_json::Error> {
    let named = take_named_codes(op)?;
    let schemes = security_schemes(op);
    let json_body = takes_json_body(op);
    let mut implied = Vec::new();
    if schemes.iter().any(|s| s == BEARER) {
        implied.extend([ErrorCode::Unauthorized, ErrorCode::TokenExpired]);
    }
    if schemes.iter().any(|s| s == API_KEY) {
        implied.extend([ErrorCode::Unauthorized, ErrorCode::Forbidden, ErrorCode::RateLimited]);
    }
    if json_body {
        implied.extend([ErrorCode::BadJson, ErrorCode::InvalidField, ErrorCode::PayloadTooLarge]);
    }
    implied.retain(|c| !named.contains(c));
    let mut codes: Vec<ErrorCode> = Vec::new();
    for code in implied.into_iter().chain(named) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        return Ok(());
    }
    if !codes.contains(&ErrorCode::Internal) {
        codes.push(ErrorCode::Internal);
    }
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        by_status.entry(status(code).as_u16()).or_default().push(code);
    }
    if json_body {
        by_status.entry(NOT_JSON.as_u16()).or_default().insert(0, ErrorCode::BadJson);
    }
    let key_rate = schemes.iter().any(|s| s == API_KEY);
    for (status, codes) in by_status {
        let response = op.responses.responses.entry(status.to_string()).or_insert_with(|| Response::new("").into());
        if let RefOr::T(response) = response {
            fill(response, &codes, key_rate);
        }
    }
    Ok(())
}

/// Writes `codes` into the response of their status: description, `ErrorBody`, and the
/// `Retry-After` of a 429.
fn fill(response: &mut Response, codes: &[ErrorCode], key_rate: bool) {
    let note = std::mem::take(&mut response.description);
    response.description = doc::codes(codes);
    if !note.is_empty() {
        response.description = format!("{}\n{note}", response.description);
    }
    response
        .content
        .entry("application/json".to_owned())
        .or_insert_with(|| Content::new(Some(Ref::from_schema_name("ErrorBody"))));
    if codes.contains(&ErrorCode::RateLimited) {
        let mut header = Header::new(u64::schema());
        header.description = Some(
            if key_rate { "Seconds until the key may call again." } else { "Seconds until a retry would be accepted." }
                .to_owned(),
        );
        response.headers.entry("Retry-After".to_owned()).or_insert(header);
    }
}

/// The codes the operation names itself, taken out of its extensions.
fn take_named_codes(op: &mut Operation) -> Result<Vec<ErrorCode>, serde_json::Error> {
    let Some(extensions) = op.extensions.as_mut() else { return Ok(Vec::new()) };
    let named = extensions.remove(CODES);
    if extensions.is_empty() {
        op.extensions = None;
    }
    let mut codes = Vec::new();
    if let Some(value) = named {
        flatten(value, &mut codes)?;
    }
    Ok(codes)
}

/// The codes of a list of codes and lists of codes, in order.
fn flatten(value: serde_json::Value, out: &mut Vec<ErrorCode>) -> Result<(), serde_json::Error> {
    match value {
        serde_json::Value::Array(items) => items.into_iter().try_for_each(|item| flatten(item, out)),
        code => {
            out.push(serde_json::from_value(code)?);
            Ok(())
        }
    }
}

/// The names of the security schemes the operation takes.
fn security_schemes(op: &Operation) -> Vec<String> {
    let requirements = op.security.iter().flatten();
    let as_json = requirements.filter_map(|r| serde_json::to_value(r).ok());
    as_json.filter_map(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>())).flatten().collect()
}

/// Whether the operation requires a JSON body (read by the JSON extractor, which refuses other
/// content types and bodies over the limit).
fn takes_json_body(op: &Operation) -> bool {
    op.request_body
        .as_ref()
        .is_some_and(|body| body.required == Some(Required::True) && body.content.contains_key("application/json"))
}

#[cfg(test)]
mod tests {
    use tidings_protocol::ErrorCode as C;
    use utoipa::openapi::extensions::ExtensionsBuilder;
    use utoipa::openapi::path::{Operation, OperationBuilder};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::security::SecurityRequirement;
    use utoipa::openapi::{Content, RefOr, Required};

    use super::{CODES, add_error_responses, operations_mut};

    /// The description and `Retry-After` description of the response of `status`.
    fn response(op: &Operation, status: &str) -> (String, Option<String>) {
        let Some(RefOr::T(r)) = op.responses.responses.get(status) else { panic!("no {status}") };
        let retry = r.headers.get("Retry-After").and_then(|h| h.description.clone());
        (r.description.clone(), retry)
    }

    fn named(codes: &[C]) -> Option<utoipa::openapi::extensions::Extensions> {
        Some(ExtensionsBuilder::new().add(CODES, serde_json::json!(codes)).build())
    }

    #[test]
    fn every_operation_names_its_codes_readably_and_keeps_no_extension() {
        let mut doc = crate::rest::operations();
        for item in doc.paths.paths.values_mut() {
            for op in operations_mut(item) {
                assert!(add_error_responses(op).is_ok(), "{:?}", op.operation_id);
                assert!(op.extensions.is_none(), "{:?} keeps an extension", op.operation_id);
            }
        }
    }

    #[test]
    fn implied_codes_come_first_under_their_status_unless_named() {
        let body = RequestBodyBuilder::new()
            .content("application/json", Content::new(None::<RefOr<utoipa::openapi::schema::Schema>>))
            .required(Some(Required::True))
            .build();
        let mut op = OperationBuilder::new()
            .security(SecurityRequirement::new::<_, _, &str>(crate::openapi::BEARER, []))
            .request_body(Some(body))
            .build();
        op.extensions = named(&[C::InvalidCredentials, C::BodyTooLarge, C::PayloadTooLarge, C::RateLimited]);
        add_error_responses(&mut op).unwrap();
        let lines = |status| {
            let (text, _) = response(&op, status);
            text.lines().map(|l| l.split('`').nth(1).unwrap_or_default().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(lines("401"), ["unauthorized", "token_expired", "invalid_credentials"]);
        assert_eq!(lines("400"), ["bad_json", "invalid_field"]);
        assert_eq!(lines("413"), ["body_too_large", "payload_too_large"]);
        assert_eq!(lines("415"), ["bad_json"]);
        assert_eq!(lines("500"), ["internal"]);
        assert_eq!(response(&op, "429").1.as_deref(), Some("Seconds until a retry would be accepted."));
        assert!(op.extensions.is_none());
    }

    #[test]
    fn an_api_key_implies_its_scope_and_rate_and_a_note_stays_after_the_codes() {
        let mut op = OperationBuilder::new()
            .security(SecurityRequirement::new::<_, _, &str>(crate::openapi::API_KEY, []))
            .response("403", utoipa::openapi::Response::new("- a note"))
            .build();
        add_error_responses(&mut op).unwrap();
        assert_eq!(response(&op, "401").0, super::doc::codes(&[C::Unauthorized]));
        assert_eq!(response(&op, "403").0, format!("{}\n- a note", super::doc::codes(&[C::Forbidden])));
        assert_eq!(response(&op, "429").1.as_deref(), Some("Seconds until the key may call again."));
    }

    #[test]
    fn an_operation_without_errors_gets_no_error_response() {
        let mut op = OperationBuilder::new().response("200", utoipa::openapi::Response::new("ok")).build();
        add_error_responses(&mut op).unwrap();
        assert_eq!(op.responses.responses.keys().collect::<Vec<_>>(), ["200"]);
    }
}
