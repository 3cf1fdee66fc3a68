//! Reactions: a member turns an emoji on or off on a message. Each change is a `reaction` entry
//! of the log (docs/message-actions.md), written through the commit pipeline; the store applies
//! it to the table of current reactions in the same transaction, so the table is always what
//! the log says. A request that would change nothing writes nothing.
//!
//! Ordering. The table change rides in the entry's own commit transaction, and a row only moves
//! for an entry newer than the one that set it: the table cannot disagree with the log, however
//! entries interleave. What still needs care is the decision before the enqueue (is this a
//! change? is the emoji cap reached? which entry does the change follow?), which reads the
//! table: two requests for one message could both read the same state and both enqueue. So the
//! requests of one message take turns ([`Turns`], per `(conv, seq)`), each holding its turn
//! until its entry has committed, and a recall takes the same turn, so no reaction lands on a
//! message being recalled. Across instances of a cluster the turn is not shared; there the
//! change key ([`change_key`]) makes two requests racing from one state one entry (the log's
//! unique `(sender, client_msg_id)`), and only the emoji cap may be passed by the racing few.

use tidings_domain::message::{Ack, REACTION_KIND, RECALLED_KIND, is_content_kind};
use tidings_domain::reaction::{ReactionBody, change_key, check_emoji};
use tidings_domain::{ConvId, UserId};

use super::MessagingService;
use super::pipeline::Draft;
use crate::error::AppError;

impl MessagingService {
    /// Turns `emoji` on or off for `user` on message `seq` of `conv`. Returns the ack of the
    /// `reaction` entry once durable; when nothing changes (already on, or already off), the
    /// ack of the entry that set the current state with `duplicate: true`, or, for an emoji the
    /// user never had on, a `duplicate` ack with `seq` 0 and no `msg_id`.
    pub async fn react(&self, user: &UserId, conv: ConvId, seq: u64, emoji: &str, on: bool) -> Result<Ack, AppError> {
        check_emoji(emoji).map_err(AppError::InvalidField)?;
        let _turn = self.reaction_turns.take((conv.clone(), seq)).await;
        let message = self.current_member_message(user, &conv, seq).await?;
        if message.kind == RECALLED_KIND {
            return Err(AppError::Conflict("this message was recalled: it takes no reactions".into()));
        }
        if !is_content_kind(&message.kind) {
            return Err(AppError::Forbidden("system messages take no reactions".into()));
        }
        let recipients = self.reaction_audience(user, &conv).await?;
        let standing = self.reactions.standing(&conv, seq, emoji, user).await?;
        let state = standing.mine;
        if state.is_some_and(|s| s.on) == on {
            return self.unchanged(&conv, seq, emoji, state.map_or(0, |s| s.entry_seq)).await;
        }
        if on {
            let there = standing.emoji_on;
            let cap = self.limits.max_reaction_kinds;
            if there.len() >= cap && !there.iter().any(|e| e == emoji) {
                return Err(AppError::Conflict(format!(
                    "this message already has {cap} different reactions, the most allowed: add one of those"
                )));
            }
        }
        let from_entry = state.map_or(0, |s| s.entry_seq);
        let body = ReactionBody { seq, emoji: emoji.to_owned(), on, by: user.to_string() };
        let pending = self.pipeline.enqueue(Draft {
            client_msg_id: change_key(&conv, seq, emoji, from_entry),
            conv,
            sender: user.clone(),
            // Every device of the reactor gets the entry, the one that asked included.
            device: None,
            kind: REACTION_KIND.to_owned(),
            body: serde_json::to_string(&body).map_err(|e| AppError::Internal(e.to_string()))?,
            recipients,
            // The message reacted to is stored: its conversation exists.
            opens_direct: false,
        })?;
        // The turn is held until the commit, so the next request of this message reads the
        // state this entry sets.
        pending.wait().await
    }

    /// Who gets a reaction entry: both users of a direct chat (a block or a friends-only policy
    /// refuses it as it refuses a message), every member of a group that is not dissolved.
    async fn reaction_audience(&self, user: &UserId, conv: &ConvId) -> Result<Vec<UserId>, AppError> {
        match conv {
            ConvId::Direct { lo, hi } => {
                if let Some(peer) = conv.peer_of(user) {
                    self.check_direct(user, peer, true).await?;
                }
                Ok(vec![lo.clone(), hi.clone()])
            }
            ConvId::Group(id) => {
                let Some((group, member)) = self.group_gate.gate(id, user).await? else {
                    return Err(AppError::UnknownConversation);
                };
                if member.is_none() {
                    return Err(AppError::NotMember);
                }
                if group.dissolved_at.is_some() {
                    return Err(AppError::GroupDissolved);
                }
                Ok(self.members_at(id, group.version).await?.as_ref().clone())
            }
        }
    }

    /// The answer to a request that changes nothing: the ack of the entry that set the current
    /// state, marked `duplicate`.
    async fn unchanged(&self, conv: &ConvId, seq: u64, emoji: &str, entry_seq: u64) -> Result<Ack, AppError> {
        if entry_seq > 0
            && let Some(entry) = self.messages.get(conv, entry_seq).await?
        {
            return Ok(entry.ack(true));
        }
        // Never set (or the entry was purged by retention): nothing to point at.
        Ok(Ack {
            conv: conv.clone(),
            seq: entry_seq,
            msg_id: String::new(),
            client_msg_id: change_key(conv, seq, emoji, 0),
            ts: self.clock.now_ms(),
            duplicate: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use tidings_domain::reaction::ReactionChange;

    use super::*;

    #[test]
    fn the_body_written_is_the_change_the_stores_apply() {
        let conv = ConvId::parse("g:g_1").unwrap();
        let body = ReactionBody { seq: 4, emoji: "👍".into(), on: true, by: "u_a".into() };
        let json = serde_json::to_string(&body).unwrap();
        let change = ReactionChange::parse(&conv, 9, REACTION_KIND, &json, 1).unwrap();
        assert_eq!((change.target, change.emoji.as_str(), change.on, change.user.as_str()), (4, "👍", true, "u_a"));
    }
}
