//! Threads: the check of a reply's `thread_root` at send, a thread's page, the summaries roots
//! show on every read path, read positions in a thread and the list's `threads` counts. Replies
//! are entries of the conversation's log; the store indexes them per root in their own commit.

use std::collections::HashMap;
use std::sync::Arc;

use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::{Message, RECALLED_KIND, is_content_kind};
use tidings_domain::thread::{ThreadSummary, thread_root};
use tidings_domain::{ConvId, UserId};

use super::{MessageSlice, MessagingService, visible_range};
use crate::error::AppError;

/// Thread summaries of the roots of one page, by seq.
pub type PageThreads = HashMap<u64, ThreadSummary>;

/// A page of one thread: its root and replies.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    /// The root as the caller sees it (recalled roots keep their thread).
    pub root: Message,
    /// Replies in ascending seq order, with their reactions, and the root's reactions and
    /// summary (`reactions`, `threads` are keyed by seq and include the root).
    pub replies: MessageSlice,
}

/// Where a read position in a thread stands after a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadRead {
    /// The caller's position in the thread (0 when not following it).
    pub read_seq: u64,
    /// The caller follows the thread (wrote its root or replied in it).
    pub following: bool,
    /// The conversation's unread threads for the caller after the read (the list's `threads`).
    pub threads: u64,
}

/// Whether `m` could be a root: a message people wrote (or one recalled since) that is not
/// itself a reply in a thread.
fn may_be_root(m: &Message) -> bool {
    (is_content_kind(&m.kind) || m.kind == RECALLED_KIND) && thread_root(&m.kind, &m.body).is_none()
}

impl MessagingService {
    /// Refuses a `thread_root` that is not a message the sender can see, that was recalled, or
    /// that is itself in a thread (threads do not nest: reply in the root's thread instead).
    pub(super) async fn check_thread_root(&self, sender: &UserId, conv: &ConvId, root: u64) -> Result<(), AppError> {
        let view = self.convs.member_view(conv, sender).await?;
        let (from, max) = visible_range(view.as_ref());
        let found = if root > from && root <= max { self.messages.get(conv, root).await? } else { None };
        let Some(found) = found else {
            return Err(AppError::InvalidField(format!(
                "thread_root: no message {root} in this conversation that you can see"
            )));
        };
        if found.kind == RECALLED_KIND {
            return Err(AppError::Conflict(format!("thread_root: message {root} was recalled")));
        }
        if !is_content_kind(&found.kind) {
            return Err(AppError::InvalidField(format!("thread_root: message {root} is not a message people wrote")));
        }
        if let Some(outer) = thread_root(&found.kind, &found.body) {
            return Err(AppError::InvalidField(format!(
                "thread_root: message {root} is a reply in the thread of {outer}; reply in that thread"
            )));
        }
        Ok(())
    }

    /// The summaries of the roots among `messages` (one conversation's page), one query.
    pub(super) async fn page_threads(&self, messages: &[Message]) -> Result<PageThreads, AppError> {
        let Some(conv) = messages.first().map(|m| &m.conv) else { return Ok(HashMap::new()) };
        let roots: Vec<u64> = messages.iter().filter(|m| may_be_root(m)).map(|m| m.seq).collect();
        Ok(self.threads.summaries(conv, &roots).await?)
    }

    /// The replies of thread `root` below `before` (the newest page without it), ascending,
    /// with the root. Replies the caller may not see (before they joined) are left out.
    pub async fn thread(
        &self,
        user: &UserId,
        conv: &ConvId,
        root: u64,
        before: Option<u64>,
        limit: Option<u32>,
    ) -> Result<ThreadPage, AppError> {
        let limit = self.page(limit)?;
        let view = self.access(user, conv).await?;
        let (from, max) = visible_range(view.as_ref());
        if root <= from || root > max {
            return Err(AppError::SeqOutOfRange { seq: root, max });
        }
        let root_message = match self.messages.get(conv, root).await? {
            Some(m) if may_be_root(&m) => m,
            _ => return Err(AppError::NotFound("thread")),
        };
        let below = before.unwrap_or(u64::MAX).min(max.saturating_add(1));
        let mut seqs = self.threads.reply_seqs(conv, root, below, limit + 1).await?;
        let has_more = seqs.len() as u64 > limit;
        seqs.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let keys: Vec<(ConvId, u64)> = seqs.iter().rev().map(|s| (conv.clone(), *s)).collect();
        let mut replies = self.messages.get_many(&keys).await?;
        replies.sort_unstable_by_key(|m| m.seq);
        let mut all = replies.clone();
        all.push(root_message.clone());
        let reactions = self.page_reactions(user, &all).await?;
        let threads = self.page_threads(std::slice::from_ref(&root_message)).await?;
        let min_seq = view.and_then(|v| v.trimmed_below());
        Ok(ThreadPage {
            root: root_message,
            replies: MessageSlice { messages: replies, has_more, min_seq, reactions, threads },
        })
    }

    /// Moves the caller's read position in thread `root` up to `seq` (a reply of it, or any seq
    /// up to what the caller may see); a position never moves back.
    pub async fn thread_read(&self, user: &UserId, conv: &ConvId, root: u64, seq: u64) -> Result<ThreadRead, AppError> {
        let view = self.access(user, conv).await?;
        let (from, max) = visible_range(view.as_ref());
        if root <= from || root > max {
            return Err(AppError::SeqOutOfRange { seq: root, max });
        }
        if seq < root {
            return Err(AppError::InvalidField(format!("seq: a thread is read from its root ({root}) on")));
        }
        if seq > max {
            return Err(AppError::SeqOutOfRange { seq, max });
        }
        let position = self.threads.mark_read(conv, root, user, seq).await?;
        let threads = self.unread_threads(user, &[(conv.clone(), from, max)]).await?.remove(conv).unwrap_or(0);
        if let Some(seq) = position {
            // Every device of the reader learns the position and the count it leaves.
            let event = Event::ThreadRead { conv: conv.clone(), user_id: user.clone(), root, seq, threads };
            let delivery = Delivery { recipients: vec![user.clone()], skip_device: None, event: Arc::new(event) };
            self.notifier.notify(delivery).await;
        }
        Ok(ThreadRead { read_seq: position.unwrap_or(0), following: position.is_some(), threads })
    }

    /// How many threads the reader follows in each conversation of `ranges` hold replies by
    /// others that the reader has not read in the thread and may see (`(conv, from, upto)`).
    pub(super) async fn unread_threads(
        &self,
        user: &UserId,
        ranges: &[(ConvId, u64, u64)],
    ) -> Result<HashMap<ConvId, u64>, AppError> {
        let convs: Vec<ConvId> = ranges.iter().filter(|(_, from, upto)| upto > from).map(|r| r.0.clone()).collect();
        if convs.is_empty() {
            return Ok(HashMap::new());
        }
        let bounds: HashMap<&ConvId, (u64, u64)> = ranges.iter().map(|(c, f, u)| (c, (*f, *u))).collect();
        let mut counts: HashMap<ConvId, u64> = HashMap::new();
        for t in self.threads.unread(user, &convs).await? {
            let Some((from, upto)) = bounds.get(&t.conv).copied() else { continue };
            if t.first_unread <= upto && t.last_unread > from && t.root > from {
                *counts.entry(t.conv).or_default() += 1;
            }
        }
        Ok(counts)
    }
}
