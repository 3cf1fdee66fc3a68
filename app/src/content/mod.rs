//! Content rules before anything is stored: the business system's before-send hook and the
//! administrators' word lists. Sends and edits pass [`ContentGate::screen_message`]; display
//! names, group names and announcements pass [`ContentGate::screen_text`]. With no hook and no
//! word, both cost a branch.

mod filters;
mod hook;

use std::sync::Arc;

use serde_json::Value;
use tidings_domain::content::{ContentSubject, HookCall};
use tidings_domain::{ConvId, MessageKind, UserId};

pub use filters::{FlagSource, ListInput, MAX_LISTS, POLL, Screened, WordFilters};
pub use hook::{HookFailMode, HookGate, HookMeter, HookOutcome};

use crate::error::AppError;
use hook::AfterHook;

/// The hook (if configured) and the word lists.
pub struct ContentGate {
    filters: Option<Arc<WordFilters>>,
    hook: Option<HookGate>,
}

/// The message a body belongs to, as the hook and the review list name it.
#[derive(Debug, Clone, Copy)]
pub struct MessageContext<'a> {
    /// A send or an edit.
    pub subject: ContentSubject,
    /// The conversation.
    pub conv: &'a ConvId,
    /// The sender.
    pub sender: &'a UserId,
    /// The send's `client_msg_id`, or the edit's id.
    pub client_msg_id: &'a str,
    /// The edited message (edits only).
    pub seq: Option<u64>,
}

impl ContentGate {
    /// A gate with what is configured.
    pub fn new(filters: Option<Arc<WordFilters>>, hook: Option<HookGate>) -> Self {
        Self { filters, hook }
    }

    /// No hook, no lists: everything passes.
    pub fn open() -> Self {
        Self { filters: None, hook: None }
    }

    /// The word lists, for their administration.
    pub fn filters(&self) -> Option<&Arc<WordFilters>> {
        self.filters.as_ref()
    }

    /// Screens a message body that passed its kind's rules: the hook first (which may reject or
    /// rewrite; a rewrite must pass `valid`), then the word lists over its text. Answers the
    /// body to store when it changed.
    pub async fn screen_message(
        &self,
        ctx: MessageContext<'_>,
        kind: MessageKind,
        body: &Value,
        valid: impl Fn(&Value) -> Result<(), AppError>,
    ) -> Result<Option<Value>, AppError> {
        let mut changed: Option<Value> = None;
        if let Some(hook) = &self.hook {
            let call = HookCall {
                subject: ctx.subject,
                conv: ctx.conv.to_string(),
                sender: ctx.sender.to_string(),
                client_msg_id: ctx.client_msg_id.to_owned(),
                seq: ctx.seq,
                kind: kind.as_str().to_owned(),
                body: body.clone(),
            };
            if let AfterHook::Rewritten(new, took) = hook.ask(&call).await?
                && hook.rewrite_checked(&call, took, valid(&new).as_ref().map(|_| ()))?
            {
                changed = Some(new);
            }
        }
        let Some(filters) = self.filters.as_ref().filter(|f| !f.is_empty()) else {
            return Ok(changed);
        };
        let current = changed.as_ref().unwrap_or(body);
        let Some(field) = screened_field(kind) else {
            return Ok(changed);
        };
        let Some(text) = current.get(field).and_then(Value::as_str) else {
            return Ok(changed);
        };
        let Some(found) = filters.screen(text) else {
            return Ok(changed);
        };
        if let Some(list) = found.rejected_by {
            return Err(rejected(&list));
        }
        if !found.flagged.is_empty() {
            let source = FlagSource {
                subject: ctx.subject,
                author: ctx.sender.clone(),
                conv: Some(ctx.conv.clone()),
                reference: Some(ctx.seq.map_or_else(|| ctx.client_msg_id.to_owned(), |s| s.to_string())),
            };
            filters.record_flag(source, text, &found);
        }
        match found.masked {
            Some(masked) => {
                let mut new = current.clone();
                new[field] = Value::String(masked);
                Ok(Some(new))
            }
            None => Ok(changed),
        }
    }

    /// Screens a display name, group name or announcement by `author`: refused if a Reject
    /// list matches, answered masked if a Mask list does (`None`: unchanged), flagged for review
    /// if a Flag list does.
    pub fn screen_text(
        &self,
        subject: ContentSubject,
        author: &UserId,
        text: &str,
    ) -> Result<Option<String>, AppError> {
        let Some(filters) = self.filters.as_ref() else { return Ok(None) };
        let Some(found) = filters.screen(text) else { return Ok(None) };
        if let Some(list) = found.rejected_by {
            return Err(rejected(&list));
        }
        if !found.flagged.is_empty() {
            let source = FlagSource { subject, author: author.clone(), conv: None, reference: None };
            filters.record_flag(source, text, &found);
        }
        Ok(found.masked)
    }
}

/// The body field the word lists read, per kind: a text's text, a file's name. Media without a
/// name and `custom` bodies (business data the server does not interpret) are not screened.
fn screened_field(kind: MessageKind) -> Option<&'static str> {
    match kind {
        MessageKind::Text => Some("text"),
        MessageKind::File => Some("name"),
        _ => None,
    }
}

/// The refusal a sender sees: which list matched stays with the administrators (the log says).
fn rejected(list: &str) -> AppError {
    tracing::debug!(list, "refused by a word list");
    AppError::ContentRejected("the text contains a blocked word".into())
}
