//! The narrowing a search may ask for beside its text: who sent it, when, what kind. Applied to
//! each hit as the log holds it now, so the index stays terms only.

use serde_json::{Value, json};
use tidings_domain::message::{Message, MessageKind};
use tidings_domain::{ConvId, UserId};

use crate::error::AppError;

/// What a result must also be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Sent by this user.
    pub from: Option<UserId>,
    /// Sent after this time (Unix milliseconds, exclusive).
    pub after: Option<i64>,
    /// Sent before this time (Unix milliseconds, exclusive).
    pub before: Option<i64>,
    /// Of this kind (a custom body is never searchable, so never asked for).
    pub kind: Option<MessageKind>,
}

impl SearchFilter {
    /// Reads the wire's filters; a kind that search never matches is refused, not ignored.
    pub fn parse(
        from: Option<&str>,
        after: Option<i64>,
        before: Option<i64>,
        kind: Option<&str>,
    ) -> Result<Self, AppError> {
        let from = from
            .map(|f| UserId::parse(f).ok_or_else(|| AppError::InvalidField("from: not a user id".into())))
            .transpose()?;
        let kind = match kind {
            None => None,
            Some(raw) => match MessageKind::parse(raw) {
                Some(MessageKind::Custom) | None => {
                    return Err(AppError::InvalidField("kind: one of text, image, file, voice, video".into()));
                }
                Some(kind) => Some(kind),
            },
        };
        Ok(Self { from, after, before, kind })
    }

    /// Whether `m` passes.
    pub fn admits(&self, m: &Message) -> bool {
        self.from.as_ref().is_none_or(|f| *f == m.sender)
            && self.after.is_none_or(|t| m.ts > t)
            && self.before.is_none_or(|t| m.ts < t)
            && self.kind.is_none_or(|k| k.as_str() == m.kind)
    }
}

/// One search as asked: the text, where, the filters and the page.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// What the user typed.
    pub text: String,
    /// Only this conversation.
    pub conv: Option<ConvId>,
    /// What results must also be.
    pub filter: SearchFilter,
    /// Results per page (default 20, at most 50).
    pub limit: Option<u32>,
    /// Where the page starts (a previous page's `next`).
    pub cursor: Option<u64>,
}

impl SearchRequest {
    /// The request as an audit entry keeps it: every part, as asked.
    pub fn audit_detail(&self) -> Value {
        json!({
            "q": self.text,
            "conv": self.conv.as_ref().map(ToString::to_string),
            "from": self.filter.from.as_ref().map(ToString::to_string),
            "after": self.filter.after,
            "before": self.filter.before,
            "kind": self.filter.kind.map(MessageKind::as_str),
            "limit": self.limit,
            "cursor": self.cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(sender: &str, kind: &str, ts: i64) -> Message {
        Message {
            conv: ConvId::parse("g:g_1").unwrap(),
            seq: 1,
            msg_id: "m".into(),
            sender: UserId::parse(sender).unwrap(),
            client_msg_id: "c".into(),
            kind: kind.into(),
            body: "{}".into(),
            ts,
            edited_at: None,
        }
    }

    #[test]
    fn each_filter_narrows_and_none_admits_all() {
        let m = message("u_a", "file", 100);
        assert!(SearchFilter::default().admits(&m));
        let by = |from: &str| SearchFilter::parse(Some(from), None, None, None).unwrap();
        assert!(by("u_a").admits(&m));
        assert!(!by("u_b").admits(&m));
        let between = |after, before| SearchFilter::parse(None, after, before, None).unwrap();
        assert!(between(Some(99), Some(101)).admits(&m));
        assert!(!between(Some(100), None).admits(&m), "after is exclusive");
        assert!(!between(None, Some(100)).admits(&m), "before is exclusive");
        assert!(SearchFilter::parse(None, None, None, Some("file")).unwrap().admits(&m));
        assert!(!SearchFilter::parse(None, None, None, Some("text")).unwrap().admits(&m));
    }

    #[test]
    fn unknown_kinds_and_users_are_refused() {
        for kind in ["custom", "edit", "nonsense"] {
            assert!(matches!(SearchFilter::parse(None, None, None, Some(kind)), Err(AppError::InvalidField(_))));
        }
        assert!(matches!(SearchFilter::parse(Some("not a user"), None, None, None), Err(AppError::InvalidField(_))));
    }
}
