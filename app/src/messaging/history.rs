//! Reading a conversation's log: sync after a seq, and history pages in either direction, each
//! page with its reactions and its roots' thread summaries.

use tidings_domain::{ConvId, UserId};

use super::{MessageSlice, MessagingService, visible_range};
use crate::error::AppError;

impl MessagingService {
    /// Messages after `after_seq`, ascending, whether more follow, and the retention floor.
    /// Asking below the floor gets what is kept from the floor on.
    pub async fn sync(
        &self,
        user: &UserId,
        conv: &ConvId,
        after_seq: u64,
        limit: Option<u32>,
    ) -> Result<MessageSlice, AppError> {
        let limit = self.page(limit)?;
        let view = self.access(user, conv).await?;
        let (from, max) = visible_range(view.as_ref());
        if after_seq > max {
            return Err(AppError::SeqOutOfRange { seq: after_seq, max });
        }
        let mut page = self.messages.after(conv, after_seq.max(from), limit + 1).await?;
        page.retain(|m| m.seq <= max);
        let has_more = page.len() as u64 > limit;
        page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let reactions = self.page_reactions(user, &page).await?;
        let threads = self.page_threads(&page).await?;
        let min_seq = view.and_then(|v| v.trimmed_below());
        Ok(MessageSlice { messages: page, has_more, min_seq, reactions, threads })
    }

    /// History for REST: after a seq (ascending from it) or before one (the newest page below it).
    pub async fn history(
        &self,
        user: &UserId,
        conv: &ConvId,
        after_seq: Option<u64>,
        before_seq: Option<u64>,
        limit: Option<u32>,
    ) -> Result<MessageSlice, AppError> {
        match (after_seq, before_seq) {
            // A window: the first `limit` messages between the two (both excluded).
            (Some(after), Some(before)) => {
                let mut slice = self.sync(user, conv, after, limit).await?;
                let len = slice.messages.len();
                slice.messages.retain(|m| m.seq < before);
                // More follow inside the window only if nothing was cut and a seq still fits.
                let cut = slice.messages.len() < len;
                slice.has_more = slice.has_more && !cut && slice.messages.last().is_some_and(|m| m.seq + 1 < before);
                Ok(slice)
            }
            (after, None) => self.sync(user, conv, after.unwrap_or(0), limit).await,
            (None, Some(before)) => {
                let limit = self.page(limit)?;
                let view = self.access(user, conv).await?;
                let (from, max) = visible_range(view.as_ref());
                let mut page = self.messages.before(conv, before.min(max.saturating_add(1)), limit + 1).await?;
                page.retain(|m| m.seq > from);
                let has_more = page.len() as u64 > limit;
                if has_more {
                    page.remove(0);
                }
                let reactions = self.page_reactions(user, &page).await?;
                let threads = self.page_threads(&page).await?;
                let min_seq = view.and_then(|v| v.trimmed_below());
                Ok(MessageSlice { messages: page, has_more, min_seq, reactions, threads })
            }
        }
    }
}
