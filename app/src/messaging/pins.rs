//! Pinned messages: a member pins a message of a conversation for everyone (in a group, owners
//! and admins, or every member where the group's `pin` rule says so; in a direct chat, either
//! side). Each change is a `pin` entry of the log
//! (`{seq, on, by, at}`), so every device learns it by push or sync, and the conversation's pin
//! table holds the state those entries leave, for the listing.

use serde_json::json;
use tidings_domain::group_policy::Rule;
use tidings_domain::message::{Ack, Message, PIN_KIND, RECALLED_KIND, generate_msg_id, is_content_kind};
use tidings_domain::ports::Pin;
use tidings_domain::{ConvId, UserId};

use super::pipeline::Draft;
use super::{MessagingService, visible_range};
use crate::error::AppError;

/// Most pinned messages one conversation holds.
pub const MAX_PINS: usize = 50;

impl MessagingService {
    /// Pins (`on`) or unpins message `seq` of `conv`; returns the ack of the `pin` entry once
    /// durable. Pinning what is pinned, or unpinning what is not, is `conflict` and writes
    /// nothing.
    pub async fn set_pinned(&self, user: &UserId, conv: ConvId, seq: u64, on: bool) -> Result<Ack, AppError> {
        let message = self.current_member_message(user, &conv, seq).await?;
        if on {
            check_pinnable(&message)?;
        }
        let recipients = self.pin_audience(user, &conv).await?;
        // The table change and the entry's place in the log happen in one order: drafts of a
        // conversation take their seqs in the order they are queued, so queueing under this
        // lock makes the last entry of a message the state its row is in.
        let order = self.pin_order.lock().await;
        let at = self.clock.now_ms();
        let changed = if on {
            if self.pins.pins(&conv).await?.len() >= MAX_PINS {
                return Err(AppError::Conflict(format!("a conversation holds at most {MAX_PINS} pinned messages")));
            }
            self.pins.pin(&conv, &Pin { seq, by: user.clone(), at }).await?
        } else {
            self.pins.unpin(&conv, seq).await?
        };
        if !changed {
            let what = if on { "this message is pinned already" } else { "this message is not pinned" };
            return Err(AppError::Conflict(what.into()));
        }
        let queued = self.pipeline.enqueue(Draft {
            conv: conv.clone(),
            sender: user.clone(),
            // Every device of the caller learns it, the one that asked included.
            device: None,
            client_msg_id: format!("pin_{}", generate_msg_id()),
            kind: PIN_KIND.to_owned(),
            body: json!({"seq": seq, "on": on, "by": user.as_str(), "at": at}).to_string(),
            recipients,
            opens_direct: false,
        });
        let pending = match queued {
            Ok(pending) => pending,
            Err(e) => {
                // No entry, no change: put the row back as it was.
                let undone = if on {
                    self.pins.unpin(&conv, seq).await
                } else {
                    self.pins.pin(&conv, &Pin { seq, by: user.clone(), at }).await
                };
                if let Err(undo) = undone {
                    tracing::warn!(error = %undo, "could not undo a pin change whose entry was refused");
                }
                return Err(e);
            }
        };
        drop(order);
        pending.wait().await
    }

    /// The pinned messages of `conv` the caller can see, the most recently pinned first.
    pub async fn pins(&self, user: &UserId, conv: &ConvId) -> Result<Vec<(Pin, Message)>, AppError> {
        let view = self.access(user, conv).await?;
        let (from, max) = visible_range(view.as_ref());
        let pins: Vec<Pin> = self.pins.pins(conv).await?.into_iter().filter(|p| p.seq > from && p.seq <= max).collect();
        let keys: Vec<(ConvId, u64)> = pins.iter().map(|p| (conv.clone(), p.seq)).collect();
        let mut messages = self.messages.get_many(&keys).await?;
        Ok(pins
            .into_iter()
            .filter_map(|pin| {
                let at = messages.iter().position(|m| m.seq == pin.seq)?;
                Some((pin, messages.swap_remove(at)))
            })
            .collect())
    }

    /// Who may pin in `conv` is checked here; returns who gets the entry.
    async fn pin_audience(&self, user: &UserId, conv: &ConvId) -> Result<Vec<UserId>, AppError> {
        match conv {
            ConvId::Direct { lo, hi } => Ok(vec![lo.clone(), hi.clone()]),
            ConvId::Group(id) => {
                let (members, manager, policies) = self.group_action_audience(user, id).await?;
                if !policies.allows(Rule::Pin, manager) {
                    return Err(AppError::Forbidden(
                        "in this group only owners and admins may pin or unpin messages (its \"pin\" rule)".into(),
                    ));
                }
                Ok(members)
            }
        }
    }
}

/// A message that may be pinned: a user message not recalled.
fn check_pinnable(message: &Message) -> Result<(), AppError> {
    if message.kind == RECALLED_KIND {
        return Err(AppError::Conflict("a recalled message cannot be pinned".into()));
    }
    if !is_content_kind(&message.kind) {
        return Err(AppError::Forbidden("system messages cannot be pinned".into()));
    }
    Ok(())
}
