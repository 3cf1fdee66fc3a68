//! Recall: the sender takes a message back within a window; group owners and admins take back
//! any message at any time. The original body is erased from storage (the row stays, of kind
//! `recalled`), then a `recall` notice is written through the commit pipeline so every device
//! learns it by push or sync.

use serde_json::json;
use tidings_domain::group_policy::GroupPolicies;
use tidings_domain::message::{Ack, Message, RECALL_KIND, RECALLED_KIND, generate_msg_id, is_content_kind};
use tidings_domain::{ConvId, GroupId, UserId};

use super::pipeline::Draft;
use super::{MessagingService, visible_range};
use crate::error::AppError;

impl MessagingService {
    /// Recalls message `seq` of `conv`; returns the ack of the `recall` notice once durable.
    ///
    /// If the process dies between the erasure and the notice, the message stays recalled
    /// (sync shows it as `recalled`) without a notice: the body is never kept by mistake.
    pub async fn recall(&self, user: &UserId, conv: ConvId, seq: u64) -> Result<Ack, AppError> {
        // No reaction commits to it meanwhile (`react.rs`).
        let _turn = self.reaction_turns.take((conv.clone(), seq)).await;
        let message = self.current_member_message(user, &conv, seq).await?;
        if message.kind == RECALLED_KIND {
            return Err(AppError::Conflict("this message was already recalled".into()));
        }
        if !is_content_kind(&message.kind) {
            return Err(AppError::Forbidden("system messages cannot be recalled".into()));
        }
        let recipients = self.recall_audience(user, &conv, &message).await?;
        if !self.messages.mark_recalled(&conv, seq).await? {
            return Err(AppError::Conflict("this message was already recalled".into()));
        }
        let pending = self.pipeline.enqueue(Draft {
            conv,
            sender: user.clone(),
            // Every device of the recaller gets the notice too, the one that asked included.
            device: None,
            client_msg_id: format!("recall_{}", generate_msg_id()),
            kind: RECALL_KIND.to_owned(),
            body: json!({"seq": seq, "by": user.as_str()}).to_string(),
            recipients,
            // A recall follows a stored message: its conversation exists.
            opens_direct: false,
        })?;
        pending.wait().await
    }

    /// Checks the user may recall `message`; returns who gets the notice.
    /// Message `seq` of `conv` for a current member who can see it: `not_member` for someone
    /// who left, `seq_out_of_range` outside what they may see. Recalls and read lists start here.
    pub(super) async fn current_member_message(
        &self,
        user: &UserId,
        conv: &ConvId,
        seq: u64,
    ) -> Result<Message, AppError> {
        // One read for the usual case, a member acting on a message; the full access check only
        // for someone with no member row (its errors say why).
        let (view, message) = match self.convs.member_message(conv, user, seq).await? {
            (Some(view), message) => (Some(view), message),
            (None, _) => (self.access(user, conv).await?, None),
        };
        if view.as_ref().is_some_and(|v| v.visible_until.is_some()) {
            return Err(AppError::NotMember);
        }
        let (from, max) = visible_range(view.as_ref());
        if seq <= from || seq > max {
            return Err(AppError::SeqOutOfRange { seq, max });
        }
        message.ok_or(AppError::SeqOutOfRange { seq, max })
    }

    async fn recall_audience(&self, user: &UserId, conv: &ConvId, message: &Message) -> Result<Vec<UserId>, AppError> {
        match conv {
            ConvId::Direct { lo, hi } => {
                self.check_own_recent(user, message, false)?;
                Ok(vec![lo.clone(), hi.clone()])
            }
            ConvId::Group(id) => {
                let (members, manager, _) = self.group_action_audience(user, id).await?;
                if !manager {
                    self.check_own_recent(user, message, true)?;
                }
                Ok(members)
            }
        }
    }

    /// A member acting on a message of group `id` (recall, pin): the members, who get the
    /// action's entry, whether the caller is an owner or admin, and the group's rules. Unknown
    /// groups, outsiders and dissolved groups are refused here.
    pub(super) async fn group_action_audience(
        &self,
        user: &UserId,
        id: &GroupId,
    ) -> Result<(Vec<UserId>, bool, GroupPolicies), AppError> {
        let Some((group, member)) = self.group_gate.gate(id, user).await? else {
            return Err(AppError::UnknownConversation);
        };
        let Some(member) = member else {
            return Err(AppError::NotMember);
        };
        if group.dissolved_at.is_some() {
            return Err(AppError::GroupDissolved);
        }
        let members = self.members_at(id, group.version).await?.as_ref().clone();
        Ok((members, member.role.manages(), group.policies))
    }

    /// The sender's own message, inside the recall window.
    fn check_own_recent(&self, user: &UserId, message: &Message, group: bool) -> Result<(), AppError> {
        let who = if group { "the sender or a group owner or admin" } else { "the sender" };
        if &message.sender != user {
            return Err(AppError::Forbidden(format!("only {who} may recall this message")));
        }
        let window = self.limits.recall_window_ms;
        if self.clock.now_ms().saturating_sub(message.ts) > window {
            let span = if window % 1000 == 0 { format!("{} s", window / 1000) } else { format!("{window} ms") };
            let tail = if group { "; a group owner or admin still can" } else { "" };
            return Err(AppError::Forbidden(format!(
                "the recall window has passed: a message can be recalled within {span} of sending{tail}"
            )));
        }
        Ok(())
    }
}
