//! Client frame decoding with a stable code for every way a frame can be wrong. Runs on
//! untrusted input: it never panics, and serde_json bounds nesting depth. Fields a frame type
//! does not have are ignored (the protocol's evolution rule, docs/protocol.md); an unknown
//! `type` or a known field of the wrong type is still refused.

use serde_json::Value;
use tidings_protocol::{ClientFrame, ErrorCode};

/// Why a frame was refused, with the frame's `id` when one could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameError {
    /// The frame's id, if it had a readable one.
    pub id: Option<String>,
    /// Stable code.
    pub code: ErrorCode,
    /// Explanation.
    pub message: String,
}

/// Longest request id echoed back.
const MAX_ID_LEN: usize = 64;

/// Decodes one text frame.
pub fn decode(text: &str) -> Result<ClientFrame, FrameError> {
    let fail = |id: Option<String>, code, message: String| FrameError { id, code, message };
    let value: Value = serde_json::from_str(text).map_err(|e| fail(None, ErrorCode::BadJson, e.to_string()))?;
    let Value::Object(obj) = &value else {
        return Err(fail(None, ErrorCode::BadFrame, "a frame must be a JSON object".into()));
    };
    let id = match obj.get("id") {
        Some(Value::String(s)) if s.len() <= MAX_ID_LEN => Some(s.clone()),
        Some(Value::String(_)) => {
            return Err(fail(None, ErrorCode::InvalidField, format!("id must be at most {MAX_ID_LEN} bytes")));
        }
        _ => None,
    };
    let Some(Value::String(kind)) = obj.get("type") else {
        return Err(fail(id, ErrorCode::BadFrame, "a frame needs a string `type`".into()));
    };
    if !ClientFrame::TYPES.contains(&kind.as_str()) {
        let shown: String = kind.chars().take(32).collect();
        return Err(fail(id, ErrorCode::UnknownType, format!("unknown frame type `{shown}`")));
    }
    serde_json::from_value::<ClientFrame>(value).map_err(|e| fail(id, ErrorCode::InvalidField, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        decode(text).map(|_| ErrorCode::Internal).unwrap_or_else(|e| e.code)
    }

    #[test]
    fn each_failure_has_its_code() {
        assert_eq!(code("{"), ErrorCode::BadJson);
        assert_eq!(code("[1]"), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"id":"1"}"#), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"type":"dance"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":"sync","id":"1","conv":"c"}"#), ErrorCode::InvalidField);
        assert_eq!(code(r#"{"type":"sync","id":"1","conv":"c","after_seq":-1}"#), ErrorCode::InvalidField);
        assert_eq!(code(r#"{"type":"read","conv":"c","seq":"1"}"#), ErrorCode::InvalidField);
        assert_eq!(code(r#"{"type":"presence_sub","id":"1","users":"u_1"}"#), ErrorCode::InvalidField);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(code(&deep), ErrorCode::BadJson);
    }

    #[test]
    fn id_is_kept_for_the_error() {
        let e = decode(r#"{"type":"send","id":"r1","conv":"c"}"#).unwrap_err();
        assert_eq!(e.id.as_deref(), Some("r1"));
        assert_eq!(decode(r#"{"type":"ping"}"#).unwrap(), ClientFrame::Ping {});
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert_eq!(decode(r#"{"type":"ping","id":"x","extra":{"a":[1]}}"#).unwrap(), ClientFrame::Ping {});
        let read = decode(r#"{"type":"read","conv":"c","seq":3,"since_v2":true}"#).unwrap();
        assert_eq!(read, ClientFrame::Read { conv: "c".into(), seq: 3 });
    }
}
