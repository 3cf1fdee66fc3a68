//! Messaging use cases: send, sync, history, read, and the conversation list.

mod body;
mod pipeline;

use std::sync::Arc;

use dashmap::DashSet;

use serde_json::Value;
use tidings_domain::conversation::{ConversationSummary, MemberView};
use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::Message;
use tidings_domain::ports::{ConversationStore, DedupeCache, MessageStore, Notifier, SeqAllocator, UserRepository};
use tidings_domain::{ConvId, DeviceId, UserId};

pub use body::BodyLimits;
pub use pipeline::{CommitPipeline, Draft, PendingAck, PipelineConfig};

use crate::clock::now_ms;
use crate::error::AppError;

/// Bounds of messaging requests.
#[derive(Debug, Clone, Copy)]
pub struct MessagingLimits {
    /// Body rules.
    pub body: BodyLimits,
    /// Page size when the client names none.
    pub default_page: u32,
    /// Largest page a client may ask for.
    pub max_page: u32,
    /// Largest conversation list page.
    pub max_conversations: u32,
}

/// How many known conversation ids are remembered before the cache starts over.
const KNOWN_CONVS_CAP: usize = 100_000;

/// Messaging use cases.
pub struct MessagingService {
    users: Arc<dyn UserRepository>,
    convs: Arc<dyn ConversationStore>,
    messages: Arc<dyn MessageStore>,
    notifier: Arc<dyn Notifier>,
    pipeline: CommitPipeline,
    limits: MessagingLimits,
    /// Conversations known to exist, so a send costs no existence query after the first.
    known: DashSet<ConvId>,
}

impl MessagingService {
    /// Wires the service and starts its commit pipeline on the current tokio runtime.
    #[allow(clippy::too_many_arguments)] // one port each; a builder would only rename them
    pub fn start(
        users: Arc<dyn UserRepository>,
        convs: Arc<dyn ConversationStore>,
        messages: Arc<dyn MessageStore>,
        dedupe: Arc<dyn DedupeCache>,
        seqs: Arc<dyn SeqAllocator>,
        notifier: Arc<dyn Notifier>,
        limits: MessagingLimits,
        pipeline: PipelineConfig,
    ) -> Self {
        let pipeline = CommitPipeline::start(messages.clone(), dedupe, seqs, notifier.clone(), pipeline);
        Self { users, convs, messages, notifier, pipeline, limits, known: DashSet::new() }
    }

    /// Validates a send and queues it for commit. Returns once queued (so the caller's next
    /// send queues behind it); await the [`PendingAck`] for durability.
    pub async fn send(
        &self,
        sender: &UserId,
        device: &DeviceId,
        conv: &str,
        client_msg_id: &str,
        kind: &str,
        body: &Value,
    ) -> Result<PendingAck, AppError> {
        let conv = parse_conv(conv)?;
        check_client_msg_id(client_msg_id)?;
        let body = body::validate(kind, body, self.limits.body)?;
        let recipients = self.ensure_started(sender, &conv).await?;
        self.pipeline.enqueue(Draft {
            conv,
            sender: sender.clone(),
            device: device.clone(),
            client_msg_id: client_msg_id.to_owned(),
            kind: kind.to_owned(),
            body,
            recipients,
        })
    }

    /// Messages after `after_seq`, ascending, and whether more follow.
    pub async fn sync(
        &self,
        user: &UserId,
        conv: &str,
        after_seq: u64,
        limit: Option<u32>,
    ) -> Result<(Vec<Message>, bool), AppError> {
        let conv = parse_conv(conv)?;
        let limit = self.page(limit)?;
        let max = self.access(user, &conv).await?.map_or(0, |v| v.max_seq);
        if after_seq > max {
            return Err(AppError::SeqOutOfRange { seq: after_seq, max });
        }
        let mut page = self.messages.after(&conv, after_seq, limit + 1).await?;
        let has_more = page.len() as u64 > limit;
        page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((page, has_more))
    }

    /// History for REST: after a seq (ascending from it) or before one (the newest page below it).
    pub async fn history(
        &self,
        user: &UserId,
        conv: &str,
        after_seq: Option<u64>,
        before_seq: Option<u64>,
        limit: Option<u32>,
    ) -> Result<(Vec<Message>, bool), AppError> {
        match (after_seq, before_seq) {
            (Some(_), Some(_)) => Err(AppError::InvalidField("give after_seq or before_seq, not both".into())),
            (after, None) => self.sync(user, conv, after.unwrap_or(0), limit).await,
            (None, Some(before)) => {
                let conv = parse_conv(conv)?;
                let limit = self.page(limit)?;
                self.access(user, &conv).await?;
                let mut page = self.messages.before(&conv, before, limit + 1).await?;
                let has_more = page.len() as u64 > limit;
                if has_more {
                    page.remove(0);
                }
                Ok((page, has_more))
            }
        }
    }

    /// Moves the user's read position forward and tells their other devices and the peer.
    pub async fn read(&self, user: &UserId, device: &DeviceId, conv: &str, seq: u64) -> Result<u64, AppError> {
        let conv = parse_conv(conv)?;
        let view = self.access(user, &conv).await?;
        let (max, before) = view.map_or((0, 0), |v| (v.max_seq, v.read_seq));
        if seq == 0 || seq > max {
            return Err(AppError::SeqOutOfRange { seq, max });
        }
        let now = self.convs.mark_read(&conv, user, seq).await?;
        if now > before {
            let mut recipients = vec![user.clone()];
            recipients.extend(conv.peer_of(user).cloned());
            self.notifier
                .notify(Delivery {
                    recipients,
                    skip_device: Some((user.clone(), device.clone())),
                    event: Arc::new(Event::Read { conv, user_id: user.clone(), seq: now }),
                })
                .await;
        }
        Ok(now)
    }

    /// The user's conversations with unread counts and last messages, most active first.
    pub async fn conversations(&self, user: &UserId, limit: Option<u32>) -> Result<Vec<ConversationSummary>, AppError> {
        let limit = u64::from(limit.unwrap_or(self.limits.max_conversations).clamp(1, self.limits.max_conversations));
        let views = self.convs.list_for_user(user, limit).await?;
        let mut out = Vec::with_capacity(views.len());
        for view in views {
            let unread = if view.max_seq > view.read_seq {
                self.messages.count_unread(&view.conv, user, view.read_seq).await?
            } else {
                0
            };
            let last_message = if view.max_seq > 0 { self.messages.get(&view.conv, view.max_seq).await? } else { None };
            out.push(ConversationSummary { view, unread, last_message });
        }
        Ok(out)
    }

    /// The member's view of a conversation, `None` if it has no messages yet; errors when the
    /// user may not see it.
    async fn access(&self, user: &UserId, conv: &ConvId) -> Result<Option<MemberView>, AppError> {
        match conv {
            ConvId::Direct { .. } => {
                let Some(peer) = conv.peer_of(user) else {
                    return Err(AppError::NotMember);
                };
                if let Some(view) = self.convs.member_view(conv, user).await? {
                    return Ok(Some(view));
                }
                match self.users.by_id(peer).await? {
                    Some(_) => Ok(None),
                    None => Err(AppError::UnknownConversation),
                }
            }
            ConvId::Group(_) => Err(AppError::UnknownConversation),
        }
    }

    /// Makes sure the conversation exists and the sender may post; returns who gets the push.
    async fn ensure_started(&self, sender: &UserId, conv: &ConvId) -> Result<Vec<UserId>, AppError> {
        let ConvId::Direct { lo, hi } = conv else {
            return Err(AppError::UnknownConversation);
        };
        let Some(peer) = conv.peer_of(sender) else {
            return Err(AppError::NotMember);
        };
        if !self.known.contains(conv) {
            if self.users.by_id(peer).await?.is_none() {
                return Err(AppError::UnknownConversation);
            }
            self.convs.ensure_direct(conv, now_ms()).await?;
            if self.known.len() >= KNOWN_CONVS_CAP {
                self.known.clear();
            }
            self.known.insert(conv.clone());
        }
        Ok(vec![lo.clone(), hi.clone()])
    }

    fn page(&self, limit: Option<u32>) -> Result<u64, AppError> {
        match limit.unwrap_or(self.limits.default_page) {
            0 => Err(AppError::InvalidField("limit must be at least 1".into())),
            n => Ok(u64::from(n.min(self.limits.max_page))),
        }
    }
}

fn parse_conv(raw: &str) -> Result<ConvId, AppError> {
    ConvId::parse(raw).ok_or(AppError::UnknownConversation)
}

fn check_client_msg_id(id: &str) -> Result<(), AppError> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(AppError::InvalidField("client_msg_id must be 1-64 printable ASCII characters".into()))
    }
}
