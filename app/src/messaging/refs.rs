//! Checks of what a body refers to, against the conversation it is sent to: mentions name
//! participants, `mention_all` is a group manager's, and a reply quotes a message the sender can
//! see in the same conversation, and that quote is copied into the reply.

use serde_json::Value;
use tidings_domain::message::Message;
use tidings_domain::{ConvId, UserId};
use tidings_protocol::bodies::Quote;

use super::body::References;
use super::{Audience, MessagingService, visible_range};
use crate::error::AppError;

impl MessagingService {
    /// Refuses references that point outside the conversation or past the sender's rights;
    /// returns the quoted message of a reply.
    pub(super) async fn check_references(
        &self,
        sender: &UserId,
        conv: &ConvId,
        audience: &Audience,
        refs: &References,
    ) -> Result<Option<Message>, AppError> {
        if let Some(outsider) = refs.mentions.iter().find(|u| !audience.recipients.contains(u)) {
            return Err(AppError::InvalidField(format!("mentions: {outsider} is not a member of this conversation")));
        }
        if refs.mention_all {
            if !matches!(conv, ConvId::Group(_)) {
                return Err(AppError::InvalidField("mention_all is for group conversations only".into()));
            }
            if !audience.manager {
                return Err(AppError::Forbidden("only group owners and admins may mention everyone".into()));
            }
        }
        let Some(reply) = &refs.reply_to else { return Ok(None) };
        if reply.conv.as_deref().is_some_and(|c| c != conv.to_string()) {
            return Err(AppError::InvalidField("reply_to must quote a message of the same conversation".into()));
        }
        let view = self.convs.member_view(conv, sender).await?;
        let (from, max) = visible_range(view.as_ref());
        let quoted =
            if reply.seq > from && reply.seq <= max { self.messages.get(conv, reply.seq).await? } else { None };
        match quoted {
            Some(quoted) => Ok(Some(quoted)),
            None => Err(AppError::InvalidField(format!(
                "reply_to: no message {} in this conversation that you can see",
                reply.seq
            ))),
        }
    }
}

/// `body` with the quote of `quoted` in its `reply_to` (replacing any quote the client sent),
/// as compact JSON text.
pub(super) fn with_quote(body: &Value, quoted: &Message) -> String {
    let mut body = body.clone();
    if let Some(reply) = body.get_mut("reply_to").and_then(Value::as_object_mut) {
        let original: Value = serde_json::from_str(&quoted.body).unwrap_or_default();
        let quote = Quote::of(quoted.sender.as_str(), &quoted.kind, &original);
        reply.insert("quote".into(), serde_json::to_value(quote).unwrap_or_default());
    }
    body.to_string()
}
