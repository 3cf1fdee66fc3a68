//! Per-kind validation of message bodies. A body is checked before anything is stored, and its
//! compact JSON text is what gets persisted.

use serde_json::Value;
use tidings_domain::message::USER_KINDS;

use crate::error::AppError;

/// Size rules for message bodies.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Max characters of a `text` message.
    pub max_text_chars: usize,
    /// Max bytes of any body's JSON text.
    pub max_body_bytes: usize,
}

/// Checks `kind` and `body`, returning the body's compact JSON text for storage.
pub fn validate(kind: &str, body: &Value, limits: BodyLimits) -> Result<String, AppError> {
    if !USER_KINDS.contains(&kind) {
        return Err(AppError::UnsupportedKind(kind.chars().take(32).collect()));
    }
    let Value::Object(fields) = body else {
        return Err(AppError::InvalidField("body must be a JSON object".into()));
    };
    if kind == "text" {
        let text = match fields.get("text") {
            Some(Value::String(t)) => t,
            _ => return Err(AppError::InvalidField("text body needs a string `text`".into())),
        };
        if let Some(extra) = fields.keys().find(|k| k.as_str() != "text") {
            return Err(AppError::InvalidField(format!("unknown text body field `{}`", trim(extra))));
        }
        if text.trim().is_empty() {
            return Err(AppError::InvalidField("text must not be blank".into()));
        }
        let chars = text.chars().count();
        if chars > limits.max_text_chars {
            return Err(AppError::BodyTooLarge(format!(
                "text has {chars} characters; the limit is {}",
                limits.max_text_chars
            )));
        }
    }
    let encoded = body.to_string();
    if encoded.len() > limits.max_body_bytes {
        return Err(AppError::BodyTooLarge(format!(
            "body has {} bytes; the limit is {}",
            encoded.len(),
            limits.max_body_bytes
        )));
    }
    Ok(encoded)
}

fn trim(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIMITS: BodyLimits = BodyLimits { max_text_chars: 5, max_body_bytes: 64 };

    #[test]
    fn text_rules() {
        assert_eq!(validate("text", &json!({"text": "héllo"}), LIMITS).ok(), Some(r#"{"text":"héllo"}"#.to_owned()));
        assert!(matches!(validate("text", &json!({"text": "toolong"}), LIMITS), Err(AppError::BodyTooLarge(_))));
        assert!(matches!(validate("text", &json!({"text": "  "}), LIMITS), Err(AppError::InvalidField(_))));
        assert!(matches!(validate("text", &json!({"text": 5}), LIMITS), Err(AppError::InvalidField(_))));
        assert!(matches!(validate("text", &json!("hi"), LIMITS), Err(AppError::InvalidField(_))));
        assert!(matches!(validate("text", &json!({"text": "a", "x": 1}), LIMITS), Err(AppError::InvalidField(_))));
    }

    #[test]
    fn kinds_and_sizes() {
        assert!(matches!(validate("recall", &json!({}), LIMITS), Err(AppError::UnsupportedKind(_))));
        assert!(validate("custom", &json!({"a": 1}), LIMITS).is_ok());
        let big = json!({"a": "x".repeat(100)});
        assert!(matches!(validate("custom", &big, LIMITS), Err(AppError::BodyTooLarge(_))));
    }
}
