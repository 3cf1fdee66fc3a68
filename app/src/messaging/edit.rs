//! Edit: the sender replaces the body of their own `text` message within a window. The edit is
//! an entry of the log (kind `edit`, body `{"seq", "body", "edited_at"}`) written through the
//! commit pipeline like a recall notice, so every device learns it by push or sync, in order.
//!
//! The target's row is changed by the store in the edit entry's own commit, not here: an update
//! made beside the pipeline could interleave with a second edit of the same message (two
//! devices, possibly on two instances of a cluster, whose commits land in either order) and
//! leave the row with the older one. In the commit, each edit keeps its body as a version keyed
//! by its seq and replaces the row only if no later edit is kept, so the row always ends as the
//! edit with the highest seq (`infrastructure/src/db/edits.rs`), with no lock here.

use serde_json::Value;
use tidings_domain::edit::{EditEntry, Version};
use tidings_domain::message::{Ack, EDIT_KIND, Message, MessageKind, RECALLED_KIND, generate_msg_id};
use tidings_domain::{ConvId, UserId};

use super::pipeline::Draft;
use super::{Audience, MessagingService, body};
use crate::content::MessageContext;
use crate::error::AppError;
use tidings_domain::content::ContentSubject;

impl MessagingService {
    /// Replaces the body of message `seq` of `conv` with `body` (a text body); returns the ack of
    /// the `edit` entry once durable. The original's `reply_to` (with its quote) is kept whatever
    /// `body` says; the same body as the current one makes a new version all the same.
    pub async fn edit(&self, user: &UserId, conv: ConvId, seq: u64, body: &Value) -> Result<Ack, AppError> {
        let message = self.current_member_message(user, &conv, seq).await?;
        // The same gate as a send: membership, dissolution, mutes, blocks.
        let audience = self.ensure_started(user, &conv).await?;
        self.check_editable(user, &message)?;
        let body = self.checked_new_body(user, &conv, &audience, &message, body).await?;
        let entry = EditEntry { target: seq, body, edited_at: self.clock.now_ms() };
        let pending = self.pipeline.enqueue(Draft {
            conv,
            sender: user.clone(),
            // Every device of the editor gets the entry, the one that asked included.
            device: None,
            client_msg_id: format!("edit_{}", generate_msg_id()),
            kind: EDIT_KIND.to_owned(),
            body: entry.to_body(),
            recipients: audience.recipients,
            // An edit follows a stored message: its conversation exists.
            opens_direct: false,
        })?;
        pending.wait().await
    }

    /// The bodies message `seq` has had, oldest first, the current one last: for its sender and,
    /// in groups, owners and admins. A recalled message has none left.
    pub async fn edit_versions(&self, user: &UserId, conv: &ConvId, seq: u64) -> Result<Vec<Version>, AppError> {
        let message = self.current_member_message(user, conv, seq).await?;
        if &message.sender != user && !self.manages(user, conv).await? {
            return Err(AppError::Forbidden(
                "only the sender or a group owner or admin may see earlier versions".into(),
            ));
        }
        if message.kind == RECALLED_KIND {
            return Ok(Vec::new());
        }
        let kept = self.messages.edit_versions(conv, seq).await?;
        if kept.is_empty() {
            return Ok(vec![Version { version: 1, body: message.body, at: message.ts, original: true }]);
        }
        Ok(kept)
    }

    /// Whether `user` is an owner or admin of the group `conv` (never in a direct chat).
    async fn manages(&self, user: &UserId, conv: &ConvId) -> Result<bool, AppError> {
        let ConvId::Group(id) = conv else { return Ok(false) };
        let gate = self.group_gate.gate(id, user).await?;
        Ok(gate.and_then(|(_, member)| member).is_some_and(|m| m.role.manages()))
    }

    /// The caller's own text message, not recalled, inside the edit window.
    fn check_editable(&self, user: &UserId, message: &Message) -> Result<(), AppError> {
        if message.kind == RECALLED_KIND {
            return Err(AppError::Conflict("this message was recalled".into()));
        }
        if message.kind != MessageKind::Text.as_str() {
            return Err(AppError::Forbidden(format!(
                "only text messages can be edited; this one is of kind {}",
                message.kind
            )));
        }
        if &message.sender != user {
            return Err(AppError::Forbidden("only the sender may edit this message".into()));
        }
        let window = self.limits.edit_window_ms;
        if self.clock.now_ms().saturating_sub(message.ts) > window {
            let span = if window % 1000 == 0 { format!("{} s", window / 1000) } else { format!("{window} ms") };
            return Err(AppError::Forbidden(format!(
                "the edit window has passed: a message can be edited within {span} of sending"
            )));
        }
        Ok(())
    }

    /// `body` checked like a sent text (without its `reply_to` and `thread_root`), with the
    /// original's put back: an edit changes what a message says, not what it answers or which
    /// thread it is in. Compact JSON text.
    async fn checked_new_body(
        &self,
        user: &UserId,
        conv: &ConvId,
        audience: &Audience,
        original: &Message,
        body: &Value,
    ) -> Result<String, AppError> {
        let mut body = body.clone();
        if let Some(fields) = body.as_object_mut() {
            for field in KEPT_FIELDS {
                fields.remove(field);
            }
        }
        let mut checked = body::validate(MessageKind::Text, &body, self.limits.body)?;
        // The hook and the word lists see an edit as they see a send: otherwise an edit would
        // be the way around them.
        let edit_id = format!("edit_{}", original.seq);
        let ctx = MessageContext {
            subject: ContentSubject::Edit,
            conv,
            sender: user,
            client_msg_id: &edit_id,
            seq: Some(original.seq),
        };
        let text = MessageKind::Text;
        if let Some(new) = self.content.screen_message(ctx, text, &body, |b| self.valid(text, b)).await? {
            body = new;
            if let Some(fields) = body.as_object_mut() {
                for field in KEPT_FIELDS {
                    fields.remove(field);
                }
            }
            checked = body::validate(text, &body, self.limits.body)?;
        }
        self.check_references(user, conv, audience, &checked.refs).await?;
        let Ok(Value::Object(mut kept)) = serde_json::from_str::<Value>(&original.body) else {
            return Ok(checked.json);
        };
        kept.retain(|field, _| KEPT_FIELDS.contains(&field.as_str()));
        match body.as_object_mut() {
            Some(fields) if !kept.is_empty() => {
                fields.extend(kept);
                Ok(body.to_string())
            }
            _ => Ok(checked.json),
        }
    }
}

/// Fields of the original body an edit keeps whatever it sends.
const KEPT_FIELDS: [&str; 2] = ["reply_to", "thread_root"];
