//! Reactions on the read paths: the totals of a page (one query per page), and the
//! conversation list's preview, which a reaction does not replace.

use std::collections::HashMap;

use tidings_domain::message::{Message, REACTION_KIND, is_content_kind};
use tidings_domain::reaction::ReactionCount;
use tidings_domain::{ConvId, UserId};

use super::MessagingService;
use crate::error::AppError;

/// Totals per emoji of the messages of one page, by seq.
pub type PageReactions = HashMap<u64, Vec<ReactionCount>>;

/// How many entries back the list looks for a preview that is not a reaction, per round.
const PREVIEW_WINDOW: u64 = 16;

/// Rounds of [`PREVIEW_WINDOW`] before the list shows the reaction entry itself.
const PREVIEW_ROUNDS: usize = 4;

impl MessagingService {
    /// The totals of `messages` (one conversation's page) as `reader` sees them. Only user
    /// messages carry reactions: a recalled one shows none.
    pub(super) async fn page_reactions(
        &self,
        reader: &UserId,
        messages: &[Message],
    ) -> Result<PageReactions, AppError> {
        let targets: Vec<(ConvId, u64)> =
            messages.iter().filter(|m| is_content_kind(&m.kind)).map(|m| (m.conv.clone(), m.seq)).collect();
        if targets.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self.reactions.counts(reader, &targets).await?.into_iter().map(|((_, seq), c)| (seq, c)).collect())
    }

    /// The totals of the list's previews, by conversation.
    pub(super) async fn preview_reactions(
        &self,
        reader: &UserId,
        previews: &HashMap<ConvId, Message>,
    ) -> Result<HashMap<ConvId, Vec<ReactionCount>>, AppError> {
        let targets: Vec<(ConvId, u64)> =
            previews.values().filter(|m| is_content_kind(&m.kind)).map(|m| (m.conv.clone(), m.seq)).collect();
        if targets.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self.reactions.counts(reader, &targets).await?.into_iter().map(|((conv, _), c)| (conv, c)).collect())
    }

    /// Replaces each preview that is a `reaction` entry with the newest entry before it that is
    /// not one, so reacting does not change what the list shows as the last message. One
    /// batched read per round of [`PREVIEW_WINDOW`] entries, only for the rows that need it;
    /// a conversation whose last `PREVIEW_WINDOW * PREVIEW_ROUNDS` entries are all reactions
    /// shows the newest of them. Nothing at or below the member's `floors` entry (what they may
    /// not see) is shown.
    pub(super) async fn previews_past_reactions(
        &self,
        mut previews: HashMap<ConvId, Message>,
        floors: &HashMap<ConvId, u64>,
    ) -> Result<HashMap<ConvId, Message>, AppError> {
        let floor = |conv: &ConvId| floors.get(conv).copied().unwrap_or(0);
        let mut pending: HashMap<ConvId, u64> = previews
            .values()
            .filter(|m| m.kind == REACTION_KIND && m.seq > floor(&m.conv) + 1)
            .map(|m| (m.conv.clone(), m.seq))
            .collect();
        for _ in 0..PREVIEW_ROUNDS {
            if pending.is_empty() {
                break;
            }
            let keys: Vec<(ConvId, u64)> = pending
                .iter()
                .flat_map(|(conv, below)| {
                    let from = below.saturating_sub(PREVIEW_WINDOW).max(floor(conv) + 1);
                    (from..*below).map(move |seq| (conv.clone(), seq))
                })
                .collect();
            let mut best: HashMap<ConvId, Message> = HashMap::new();
            for m in self.messages.get_many(&keys).await? {
                if m.kind != REACTION_KIND && best.get(&m.conv).is_none_or(|b| b.seq < m.seq) {
                    best.insert(m.conv.clone(), m);
                }
            }
            pending.retain(|conv, below| {
                if let Some(found) = best.remove(conv) {
                    previews.insert(conv.clone(), found);
                    return false;
                }
                *below = below.saturating_sub(PREVIEW_WINDOW);
                *below > floor(conv) + 1
            });
        }
        Ok(previews)
    }
}
