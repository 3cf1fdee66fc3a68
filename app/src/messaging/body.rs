//! Per-kind validation of message bodies. A body is checked before anything is stored, and its
//! compact JSON text is what gets persisted. What a body refers to (mentions, a quoted message)
//! is returned for the send to check against the conversation.

use serde::de::DeserializeOwned;
use serde_json::Value;
use tidings_domain::{MessageKind, UserId};
use tidings_protocol::bodies::{FileBody, ImageBody, ReplyTo, TextBody, VideoBody, VoiceBody};
use tidings_protocol::text::is_blank;

use super::media::check_media_id;
use crate::error::AppError;

/// Size rules for message bodies.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Max characters of a `text` message.
    pub max_text_chars: usize,
    /// Max bytes of any body's JSON text (the one size limit of `custom` bodies).
    pub max_body_bytes: usize,
    /// Max user ids in a text's `mentions`.
    pub max_mentions: usize,
    /// Max characters of a file name.
    pub max_file_name_chars: usize,
    /// Max declared size of a file (bytes).
    pub max_file_bytes: u64,
    /// Max width or height of an image or video (pixels).
    pub max_media_side: u32,
    /// Max length of a voice clip (ms).
    pub max_voice_ms: u64,
    /// Max length of a video (ms).
    pub max_video_ms: u64,
}

/// What a valid body refers to, for checks against the conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// Mentioned users.
    pub mentions: Vec<UserId>,
    /// `mention_all: true`.
    pub mention_all: bool,
    /// The quoted message.
    pub reply_to: Option<ReplyTo>,
    /// The upload a media message points at.
    pub media_id: Option<String>,
    /// The root of the thread the message replies in.
    pub thread_root: Option<u64>,
}

/// A body that passed its kind's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBody {
    /// Compact JSON text to store.
    pub json: String,
    /// What it refers to.
    pub refs: References,
}

/// Checks `body` against `kind`'s rules, returning its compact JSON text and its references.
pub fn validate(kind: MessageKind, body: &Value, limits: BodyLimits) -> Result<CheckedBody, AppError> {
    let Value::Object(fields) = body else {
        return Err(AppError::InvalidField("body must be a JSON object".into()));
    };
    let json = body.to_string();
    let max = limits.max_body_bytes;
    if json.len() > max {
        return Err(too_large(format!("body has {} bytes; the limit is {max}", json.len())));
    }
    let refs = match kind {
        MessageKind::Text => text(parse(kind, body)?, limits)?,
        MessageKind::Image => {
            let b: ImageBody = parse(kind, body)?;
            check_media_id(&b.media_id)?;
            sides(b.width, b.height, limits)?;
            media_refs(b.reply_to, b.media_id, b.thread_root)
        }
        MessageKind::File => {
            let b: FileBody = parse(kind, body)?;
            check_media_id(&b.media_id)?;
            let chars = b.name.chars().count();
            if b.name.trim().is_empty() || b.name.chars().any(char::is_control) {
                return Err(AppError::InvalidField("file name must be non-blank, without control characters".into()));
            }
            if chars > limits.max_file_name_chars {
                return Err(too_large(format!(
                    "file name has {chars} characters; the limit is {}",
                    limits.max_file_name_chars
                )));
            }
            if b.size > limits.max_file_bytes {
                return Err(too_large(format!("file size {} is over the limit of {}", b.size, limits.max_file_bytes)));
            }
            media_refs(b.reply_to, b.media_id, b.thread_root)
        }
        MessageKind::Voice => {
            let b: VoiceBody = parse(kind, body)?;
            check_media_id(&b.media_id)?;
            duration(b.duration_ms, limits.max_voice_ms)?;
            media_refs(b.reply_to, b.media_id, b.thread_root)
        }
        MessageKind::Video => {
            let b: VideoBody = parse(kind, body)?;
            check_media_id(&b.media_id)?;
            duration(b.duration_ms, limits.max_video_ms)?;
            sides(b.width, b.height, limits)?;
            media_refs(b.reply_to, b.media_id, b.thread_root)
        }
        MessageKind::Custom => custom_refs(fields)?,
    };
    Ok(CheckedBody { json, refs })
}

fn parse<T: DeserializeOwned>(kind: MessageKind, body: &Value) -> Result<T, AppError> {
    serde_json::from_value(body.clone()).map_err(|e| AppError::InvalidField(format!("{kind} body: {e}")))
}

fn text(b: TextBody, limits: BodyLimits) -> Result<References, AppError> {
    if is_blank(&b.text) {
        return Err(AppError::InvalidField("text must not be blank (only spaces or invisible characters)".into()));
    }
    let chars = b.text.chars().count();
    if chars > limits.max_text_chars {
        return Err(too_large(format!("text has {chars} characters; the limit is {}", limits.max_text_chars)));
    }
    let raw = b.mentions.unwrap_or_default();
    if raw.len() > limits.max_mentions {
        return Err(too_large(format!("{} mentions; the limit is {}", raw.len(), limits.max_mentions)));
    }
    let mut mentions: Vec<UserId> = Vec::with_capacity(raw.len());
    for id in &raw {
        let user = UserId::parse(id)
            .ok_or_else(|| AppError::InvalidField(format!("mentions: `{}` is not a user id", trim(id))))?;
        if !mentions.contains(&user) {
            mentions.push(user);
        }
    }
    Ok(References {
        mentions,
        mention_all: b.mention_all.unwrap_or(false),
        reply_to: b.reply_to,
        media_id: None,
        thread_root: b.thread_root,
    })
}

/// A custom body's `reply_to` and `thread_root`, the two fields of it the server reads.
fn custom_refs(fields: &serde_json::Map<String, Value>) -> Result<References, AppError> {
    fn field<T: DeserializeOwned>(fields: &serde_json::Map<String, Value>, name: &str) -> Result<Option<T>, AppError> {
        fields
            .get(name)
            .map(|v| serde_json::from_value(v.clone()))
            .transpose()
            .map_err(|e| AppError::InvalidField(format!("custom body {name}: {e}")))
    }
    Ok(References {
        reply_to: field(fields, "reply_to")?,
        thread_root: field(fields, "thread_root")?,
        ..References::default()
    })
}

fn media_refs(reply_to: Option<ReplyTo>, media_id: String, thread_root: Option<u64>) -> References {
    References { reply_to, media_id: Some(media_id), thread_root, ..References::default() }
}

fn sides(width: u32, height: u32, limits: BodyLimits) -> Result<(), AppError> {
    if width == 0 || height == 0 {
        return Err(AppError::InvalidField("width and height must be at least 1".into()));
    }
    if width.max(height) > limits.max_media_side {
        return Err(too_large(format!(
            "{width}x{height} is over the limit of {} pixels a side",
            limits.max_media_side
        )));
    }
    Ok(())
}

fn duration(ms: u64, max: u64) -> Result<(), AppError> {
    if ms == 0 {
        return Err(AppError::InvalidField("duration_ms must be at least 1".into()));
    }
    if ms > max {
        return Err(too_large(format!("duration {ms} ms is over the limit of {max} ms")));
    }
    Ok(())
}

fn too_large(why: String) -> AppError {
    AppError::BodyTooLarge(why)
}

/// The first 32 characters of `s`, for an error message.
pub(super) fn trim(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::parse_kind;
    use serde_json::json;

    /// The edge's kind parse, then the body's rules: what a send checks, in its order.
    fn validate(kind: &str, body: &Value, limits: BodyLimits) -> Result<CheckedBody, AppError> {
        super::validate(parse_kind(kind)?, body, limits)
    }

    const LIMITS: BodyLimits = BodyLimits {
        max_text_chars: 5,
        max_body_bytes: 128,
        max_mentions: 2,
        max_file_name_chars: 8,
        max_file_bytes: 1000,
        max_media_side: 100,
        max_voice_ms: 1000,
        max_video_ms: 2000,
    };

    fn code(r: Result<CheckedBody, AppError>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(AppError::InvalidField(_)) => "invalid_field",
            Err(AppError::BodyTooLarge(_)) => "body_too_large",
            Err(AppError::UnsupportedKind(_)) => "unsupported_kind",
            Err(_) => "other",
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            validate("text", &json!({"text": "héllo"}), LIMITS).ok().map(|c| c.json),
            Some(r#"{"text":"héllo"}"#.to_owned())
        );
        assert_eq!(code(validate("text", &json!({"text": "toolong"}), LIMITS)), "body_too_large");
        assert_eq!(code(validate("text", &json!({"text": "  "}), LIMITS)), "invalid_field");
        assert_eq!(code(validate("text", &json!({"text": "\u{200B} \u{FEFF}"}), LIMITS)), "invalid_field");
        assert_eq!(code(validate("text", &json!({"text": 5}), LIMITS)), "invalid_field");
        assert_eq!(code(validate("text", &json!("hi"), LIMITS)), "invalid_field");
        assert_eq!(code(validate("text", &json!({"text": "a", "x": 1}), LIMITS)), "invalid_field");
        assert_eq!(
            code(validate("text", &json!({"text": "a", "mentions": ["u_1", "u_2", "u_3"]}), LIMITS)),
            "body_too_large"
        );
        assert_eq!(code(validate("text", &json!({"text": "a", "mentions": ["no way"]}), LIMITS)), "invalid_field");
        let ok = validate(
            "text",
            &json!({"text": "a", "mentions": ["u_1", "u_1"], "mention_all": true, "reply_to": {"seq": 3}}),
            LIMITS,
        );
        let refs = ok.map(|c| c.refs).unwrap_or_default();
        assert_eq!((refs.mentions.len(), refs.mention_all, refs.reply_to.map(|r| r.seq)), (1, true, Some(3)));
    }

    #[test]
    fn media_rules() {
        assert_eq!(code(validate("image", &json!({"media_id": "m1", "width": 10, "height": 20}), LIMITS)), "ok");
        assert_eq!(code(validate("image", &json!({"media_id": "m1", "width": 10}), LIMITS)), "invalid_field");
        assert_eq!(
            code(validate("image", &json!({"media_id": "m1", "width": 101, "height": 1}), LIMITS)),
            "body_too_large"
        );
        assert_eq!(code(validate("file", &json!({"media_id": "m1", "name": "a.txt", "size": 3}), LIMITS)), "ok");
        assert_eq!(
            code(validate("file", &json!({"media_id": "m1", "name": "a.txt", "size": 1001}), LIMITS)),
            "body_too_large"
        );
        assert_eq!(code(validate("voice", &json!({"media_id": "m 1", "duration_ms": 3}), LIMITS)), "invalid_field");
        assert_eq!(code(validate("voice", &json!({"media_id": "m1", "duration_ms": 1001}), LIMITS)), "body_too_large");
        assert_eq!(
            code(validate("video", &json!({"media_id": "m1", "duration_ms": 5, "width": 1, "height": 1}), LIMITS)),
            "ok"
        );
        assert_eq!(
            code(validate("video", &json!({"media_id": "m1", "duration_ms": "5", "width": 1, "height": 1}), LIMITS)),
            "invalid_field"
        );
    }

    #[test]
    fn kinds_and_sizes() {
        assert_eq!(code(validate("recall", &json!({}), LIMITS)), "unsupported_kind");
        assert_eq!(code(validate("recalled", &json!({}), LIMITS)), "unsupported_kind");
        assert_eq!(code(validate("custom", &json!({"a": 1}), LIMITS)), "ok");
        assert_eq!(code(validate("custom", &json!({"a": 1, "reply_to": {"seq": "x"}}), LIMITS)), "invalid_field");
        assert_eq!(code(validate("custom", &json!({"a": 1, "thread_root": -1}), LIMITS)), "invalid_field");
        let threaded = validate("custom", &json!({"a": 1, "thread_root": 7}), LIMITS);
        assert_eq!(threaded.ok().and_then(|c| c.refs.thread_root), Some(7));
        let threaded = validate("text", &json!({"text": "a", "thread_root": 3}), LIMITS);
        assert_eq!(threaded.ok().and_then(|c| c.refs.thread_root), Some(3));
        assert_eq!(code(validate("text", &json!({"text": "a", "thread_root": "3"}), LIMITS)), "invalid_field");
        let big = json!({"a": "x".repeat(130)});
        assert_eq!(code(validate("custom", &big, LIMITS)), "body_too_large");
    }
}
