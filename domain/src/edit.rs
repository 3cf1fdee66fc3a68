//! Edits: the sender replaces the body of their own text message. An edit is an entry of the
//! log (kind [`EDIT_KIND`](crate::message::EDIT_KIND)) whose body names its target and carries
//! the new body; the stores apply it to the target's row in the entry's own commit and keep
//! every replaced body as a [`Version`], so that a recall can erase them all.

use serde_json::{Value, json};

/// The parts of an edit entry's body `{"seq": N, "body": {...}, "edited_at": ms}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditEntry {
    /// The edited message.
    pub target: u64,
    /// The new body, compact JSON text.
    pub body: String,
    /// When the edit was made (ms); the target's `edited_at` from then on.
    pub edited_at: i64,
}

impl EditEntry {
    /// The entry's body as stored in the log.
    pub fn to_body(&self) -> String {
        let body: Value = serde_json::from_str(&self.body).unwrap_or(Value::Null);
        json!({"seq": self.target, "body": body, "edited_at": self.edited_at}).to_string()
    }

    /// Reads an edit entry's body; `None` when it carries no new body (an edit erased by the
    /// recall of its target keeps only `{"seq": N}`).
    pub fn parse(body: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(body).ok()?;
        let inner = value.get("body").filter(|b| b.is_object())?;
        Some(Self {
            target: value.get("seq")?.as_u64()?,
            body: inner.to_string(),
            edited_at: value.get("edited_at").and_then(Value::as_i64).unwrap_or_default(),
        })
    }
}

/// What is left of an edit entry once its target is recalled: only the target's seq.
pub fn erased_edit_body(target: u64) -> String {
    json!({ "seq": target }).to_string()
}

/// One body a message has had, for the versions route: the original (numbered 1, timed by the
/// message's `ts`), then each edit's (timed by its `edited_at`); the last is the current body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// 1 for the original, then 2, 3, ... in edit order.
    pub version: u32,
    /// The body, compact JSON text.
    pub body: String,
    /// When this body was written (ms).
    pub at: i64,
    /// Whether this is the original (its time is the message's `ts`, not an `edited_at`).
    pub original: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_round_trips_and_an_erased_one_has_no_body() {
        let entry = EditEntry { target: 4, body: r#"{"text":"new"}"#.into(), edited_at: 77 };
        let body = entry.to_body();
        assert_eq!(EditEntry::parse(&body), Some(entry));
        assert_eq!(EditEntry::parse(&erased_edit_body(4)), None);
        assert_eq!(erased_edit_body(4), r#"{"seq":4}"#);
        assert_eq!(crate::message::refers_to(crate::message::EDIT_KIND, &body), Some(4));
    }
}
