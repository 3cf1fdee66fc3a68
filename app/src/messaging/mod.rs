//! Messaging use cases: send, sync, history, read, and the conversation list.

mod body;
mod edit;
mod forward;
mod history;
mod lane;
mod list;
mod media;
mod parse;
mod pins;
mod pipeline;
mod react;
mod reaction_reads;
mod reads;
mod recall;
mod receipts;
mod refs;
mod retry;
mod threads;
mod turns;
mod typing;
mod writer;

use std::sync::Arc;

use dashmap::DashMap;
use serde_json::Value;
use tidings_domain::content::ContentSubject;
use tidings_domain::conversation::{MemberView, ReadMove};
use tidings_domain::group::NOTICE_KIND;
use tidings_domain::media::MediaRepository;
use tidings_domain::message::{Ack, Message};
use tidings_domain::ports::{
    ConversationStore, DirectGates, GroupDirectory, GroupGate, MessageStore, Notifier, PinStore, ReactionStore,
    ThreadStore, UserRepository,
};
use tidings_domain::social::DmPolicy;
use tidings_domain::{ClientMsgId, Clock, ConvId, DeviceId, GroupId, MessageKind, UserId};

pub use body::{BodyLimits, CheckedBody, References};
pub use forward::{ForwardRequest, MAX_FORWARD_MESSAGES, MAX_FORWARD_TARGETS};
pub use lane::WriteLane;
pub use list::{ConversationPage, LIST_SETTLE_MS};
pub use media::check_media_id;
pub use parse::{SendParts, parse_conv, parse_kind};
pub use pins::MAX_PINS;
pub use pipeline::{
    COMMIT_BUCKETS_US, CommitPipeline, Draft, OpenedConversations, PendingAck, PipelineConfig, PipelinePorts,
    PipelineStats,
};
pub use reaction_reads::PageReactions;
use reads::ReadWriter;
pub use receipts::ReadList;
pub use threads::{PageThreads, ThreadPage, ThreadRead};

use crate::content::{ContentGate, MessageContext};
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
    /// How long after sending the sender may recall a message (ms).
    pub recall_window_ms: i64,
    /// How long after sending the sender may edit a text message (ms).
    pub edit_window_ms: i64,
    /// Largest group whose read lists are served.
    pub receipts_max_members: usize,
    /// Most distinct emoji on one message; a new one past it is refused (`conflict`).
    pub max_reaction_kinds: usize,
}

/// A page of a conversation's log.
#[derive(Debug, Clone)]
pub struct MessageSlice {
    /// Messages in ascending seq order.
    pub messages: Vec<Message>,
    /// More exist in the direction of paging.
    pub has_more: bool,
    /// The retention floor when older history was purged: messages below it are gone for good.
    pub min_seq: Option<u64>,
    /// The reactions of the page's messages, as the reader sees them (`me`).
    pub reactions: PageReactions,
    /// The thread summaries of the page's roots.
    pub threads: PageThreads,
}

/// Who a send reaches and whether its author manages the conversation.
struct Audience {
    /// Users to push to (every participant).
    recipients: Vec<UserId>,
    /// The sender is a group owner or admin (or the system account).
    manager: bool,
    /// A direct conversation not seen since start: its first message's commit creates it.
    opens_direct: bool,
}

/// How many known conversation ids (and cached group member lists) are remembered before the
/// cache starts over.
const KNOWN_CONVS_CAP: usize = 100_000;

/// How many more reads than sends the read writer queues and batches.
const READS_PER_SEND: usize = 4;

/// The ports messaging works through.
pub struct MessagingPorts {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Conversations and members' read positions.
    pub convs: Arc<dyn ConversationStore>,
    /// What the commit pipeline writes through (the message logs, dedupe, seqs, the notifier
    /// and the clock, which the service's reads and pushes use too).
    pub pipeline: PipelinePorts,
    /// The direct-send gate: blocks, friendship, policy, the peer's existence (cached).
    pub gates: Arc<dyn DirectGates>,
    /// The group send gate (cached).
    pub group_gate: Arc<dyn GroupGate>,
    /// Group names and members, for listings and fan-out.
    pub group_directory: Arc<dyn GroupDirectory>,
    /// Uploads, for the check of a media message's `media_id`.
    pub media: Arc<dyn MediaRepository>,
    /// Pinned messages.
    pub pins: Arc<dyn PinStore>,
    /// Current reactions, which the message store writes with each `reaction` entry.
    pub reactions: Arc<dyn ReactionStore>,
    /// The thread index, which the message store writes with each thread reply.
    pub threads: Arc<dyn ThreadStore>,
    /// The before-send hook and the word lists.
    pub content: Arc<ContentGate>,
}

/// Messaging use cases.
pub struct MessagingService {
    users: Arc<dyn UserRepository>,
    convs: Arc<dyn ConversationStore>,
    messages: Arc<dyn MessageStore>,
    notifier: Arc<dyn Notifier>,
    gates: Arc<dyn DirectGates>,
    group_gate: Arc<dyn GroupGate>,
    group_directory: Arc<dyn GroupDirectory>,
    media: Arc<dyn MediaRepository>,
    pins: Arc<dyn PinStore>,
    /// Held while a pin changes and its entry is queued (`pins.rs`).
    pin_order: tokio::sync::Mutex<()>,
    reactions: Arc<dyn ReactionStore>,
    /// Reactions to one message, and its recall, take turns (`react.rs` says why).
    reaction_turns: turns::Turns<(ConvId, u64)>,
    threads: Arc<dyn ThreadStore>,
    content: Arc<ContentGate>,
    clock: Arc<dyn Clock>,
    pipeline: CommitPipeline,
    reads: ReadWriter,
    limits: MessagingLimits,
    default_dm_policy: DmPolicy,
    /// Direct conversations known to exist (a message in them committed since start), so a
    /// send costs no existence query after the first; filled by the commit pipeline.
    known: Arc<OpenedConversations>,
    /// Direct conversations whose peer was found to exist (their first message may not have
    /// committed yet).
    peer_found: OpenedConversations,
    /// Each group's member list at a membership version; a send re-reads it only when the
    /// group's version (read with the permission check) has moved on.
    group_members: DashMap<GroupId, (i64, Arc<Vec<UserId>>)>,
}

impl MessagingService {
    /// Wires the service and starts its commit pipeline on the current tokio runtime.
    pub fn start(
        ports: MessagingPorts,
        limits: MessagingLimits,
        default_dm_policy: DmPolicy,
        pipeline: PipelineConfig,
    ) -> Self {
        let known = Arc::new(OpenedConversations::new(KNOWN_CONVS_CAP));
        let lane = if pipeline.one_writer_at_a_time { WriteLane::shared() } else { WriteLane::none() };
        let reads = ReadWriter::start(
            ports.convs.clone(),
            ports.pipeline.notifier.clone(),
            // Reads outnumber sends and cost a row each: a longer queue and larger batches.
            pipeline.queue_capacity.saturating_mul(READS_PER_SEND),
            pipeline.max_batch.saturating_mul(READS_PER_SEND),
            lane.clone(),
        );
        let (messages, notifier, clock) =
            (ports.pipeline.store.clone(), ports.pipeline.notifier.clone(), ports.pipeline.clock.clone());
        let pipeline = CommitPipeline::start(ports.pipeline, pipeline, lane, known.clone());
        Self {
            users: ports.users,
            convs: ports.convs,
            messages,
            notifier,
            gates: ports.gates,
            group_gate: ports.group_gate,
            group_directory: ports.group_directory,
            media: ports.media,
            pins: ports.pins,
            pin_order: tokio::sync::Mutex::new(()),
            reactions: ports.reactions,
            reaction_turns: turns::Turns::new(),
            threads: ports.threads,
            content: ports.content,
            clock,
            pipeline,
            reads,
            limits,
            default_dm_policy,
            known,
            peer_found: OpenedConversations::new(KNOWN_CONVS_CAP),
            group_members: DashMap::new(),
        }
    }

    /// Validates a send and queues it for commit. Returns once queued (so the caller's next
    /// send queues behind it); await the [`PendingAck`] for durability. The edge parses the
    /// conversation, `client_msg_id` and kind first ([`SendParts::parse`]); the body is checked
    /// here, against its kind's rules.
    pub async fn send(
        &self,
        sender: &UserId,
        device: &DeviceId,
        conv: ConvId,
        client_msg_id: ClientMsgId,
        kind: MessageKind,
        body: &Value,
    ) -> Result<PendingAck, AppError> {
        self.send_as(sender, device, conv, client_msg_id, kind, body, true).await
    }

    /// A bot's answer in a direct chat whose peer just wrote to it: like [`Self::send`], but
    /// the peer's direct-message policy is not asked (they wrote first; blocks still apply), so
    /// a user who accepts messages from friends only still hears the bot they asked.
    pub async fn send_answer(
        &self,
        sender: &UserId,
        device: &DeviceId,
        conv: ConvId,
        client_msg_id: ClientMsgId,
        body: &Value,
    ) -> Result<PendingAck, AppError> {
        self.send_as(sender, device, conv, client_msg_id, MessageKind::Text, body, false).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_as(
        &self,
        sender: &UserId,
        device: &DeviceId,
        conv: ConvId,
        client_msg_id: ClientMsgId,
        kind: MessageKind,
        body: &Value,
        ask_policy: bool,
    ) -> Result<PendingAck, AppError> {
        let mut checked = body::validate(kind, body, self.limits.body)?;
        let audience = self.ensure_started_as(sender, &conv, ask_policy).await?;
        // The hook and the word lists see only sends the sender may make.
        let ctx = MessageContext {
            subject: ContentSubject::Message,
            conv: &conv,
            sender,
            client_msg_id: client_msg_id.as_str(),
            seq: None,
        };
        let screened = self.content.screen_message(ctx, kind, body, |b| self.valid(kind, b)).await?;
        let body = match &screened {
            Some(new) => {
                checked = body::validate(kind, new, self.limits.body)?;
                new
            }
            None => body,
        };
        let quoted = self.check_references(sender, &conv, &audience, &checked.refs).await?;
        let body = match quoted {
            Some(quoted) => CheckedBody { json: refs::with_quote(body, &quoted), refs: checked.refs },
            None => checked,
        };
        if let Some(root) = body.refs.thread_root {
            self.check_thread_root(sender, &conv, root).await?;
        }
        if let Some(media_id) = &body.refs.media_id {
            // Only media messages pay for this; text sends never reach it.
            self.check_media_use(sender, &conv, kind, media_id).await?;
        }
        self.pipeline.enqueue(Draft {
            conv,
            sender: sender.clone(),
            device: Some(device.clone()),
            client_msg_id: client_msg_id.into_string(),
            kind: kind.as_str().to_owned(),
            body: body.json,
            recipients: audience.recipients,
            opens_direct: audience.opens_direct,
        })
    }

    /// Moves the user's read position forward and tells their other devices and the peer.
    /// Returns the read position.
    pub async fn read(&self, user: &UserId, device: &DeviceId, conv: &ConvId, seq: u64) -> Result<u64, AppError> {
        let mv = ReadMove { conv: conv.clone(), user: user.clone(), seq };
        // Written with whatever other reads queue meanwhile; the writer pushes the move. A
        // member already that far learns where it is from the same batch.
        if let Some(now) = self.reads.raise(mv.clone(), device.clone()).await? {
            return Ok(now);
        }
        // Not applied: a read this member may not make, or one that shared a batch with a
        // higher report that could not be applied. Find out which.
        let view = self.access(user, conv).await?;
        let (_, max) = visible_range(view.as_ref());
        if seq == 0 || seq > max {
            return Err(AppError::SeqOutOfRange { seq, max });
        }
        let before = view.map_or(0, |v| v.read_seq);
        if seq <= before {
            return Ok(before);
        }
        // Valid and ahead: it shared a batch with a higher report of the same member that
        // could not be applied. Write it on its own.
        Ok(self.reads.raise(mv, device.clone()).await?.unwrap_or(before))
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
            ConvId::Group(id) => {
                // Members, and former members within the range they could see, read the log.
                if let Some(view) = self.convs.member_view(conv, user).await? {
                    return Ok(Some(view));
                }
                match self.group_directory.get(id).await? {
                    Some(_) => Err(AppError::NotMember),
                    None => Err(AppError::UnknownConversation),
                }
            }
        }
    }

    /// Makes sure the conversation exists and the sender may post; returns who gets the push.
    async fn ensure_started(&self, sender: &UserId, conv: &ConvId) -> Result<Audience, AppError> {
        self.ensure_started_as(sender, conv, true).await
    }

    /// [`Self::ensure_started`], asking the direct peer's policy only when `ask_policy`.
    async fn ensure_started_as(&self, sender: &UserId, conv: &ConvId, ask_policy: bool) -> Result<Audience, AppError> {
        match conv {
            ConvId::Direct { lo, hi } => {
                let Some(peer) = conv.peer_of(sender) else {
                    return Err(AppError::NotMember);
                };
                let peer_exists = self.check_direct(sender, peer, ask_policy).await?;
                let opens_direct = !self.known.contains(conv);
                // The conversation itself is opened by the commit of its first message. Until
                // that commit, later sends in it skip the peer lookup once it has succeeded: a
                // thousand chats opening at once cost a thousand lookups, not one per send.
                if opens_direct && !self.peer_found.contains(conv) {
                    let exists = match peer_exists {
                        Some(known) => known,
                        None => self.users.by_id(peer).await?.is_some(),
                    };
                    if !exists {
                        return Err(AppError::UnknownConversation);
                    }
                    self.peer_found.insert_all(std::slice::from_ref(conv));
                }
                Ok(Audience { recipients: vec![lo.clone(), hi.clone()], manager: false, opens_direct })
            }
            ConvId::Group(id) => self.check_group_post(sender, id).await,
        }
    }

    /// Blocks and (when `ask_policy`) the peer's direct-message policy. The system account is exempt. Returns
    /// whether the peer exists when the check read it (not for the system account).
    async fn check_direct(&self, sender: &UserId, peer: &UserId, ask_policy: bool) -> Result<Option<bool>, AppError> {
        if sender.is_system() {
            return Ok(None);
        }
        if peer.is_system() {
            return Err(AppError::Forbidden("the system account does not take messages".into()));
        }
        let gate = self.gates.direct_gate(sender, peer).await?;
        if gate.blocked {
            return Err(AppError::Blocked);
        }
        if ask_policy && gate.policy.unwrap_or(self.default_dm_policy) == DmPolicy::Friends && !gate.friends {
            return Err(AppError::NotFriends);
        }
        Ok(Some(gate.peer_exists))
    }

    /// Membership, dissolution and mutes; returns the members to push to.
    async fn check_group_post(&self, sender: &UserId, id: &GroupId) -> Result<Audience, AppError> {
        let Some((group, member)) = self.group_gate.gate(id, sender).await? else {
            return Err(AppError::UnknownConversation);
        };
        // Membership first (outsiders learn nothing more), then dissolution, then mutes.
        let member = match member {
            Some(m) => Some(m),
            None if sender.is_system() => None,
            None => return Err(AppError::NotMember),
        };
        if group.dissolved_at.is_some() {
            return Err(AppError::GroupDissolved);
        }
        let manager = sender.is_system() || member.as_ref().is_some_and(|m| m.role.manages());
        if member.is_some_and(|m| m.is_muted(self.clock.now_ms()) || (group.mute_all && !m.role.manages())) {
            return Err(AppError::Muted);
        }
        let recipients = self.members_at(id, group.version).await?.as_ref().clone();
        Ok(Audience { recipients, manager, opens_direct: false })
    }

    /// The group's member ids at `version`, from the cache when it is that fresh.
    async fn members_at(&self, id: &GroupId, version: i64) -> Result<Arc<Vec<UserId>>, AppError> {
        if let Some(entry) = self.group_members.get(id)
            && entry.0 == version
        {
            return Ok(entry.1.clone());
        }
        let ids = Arc::new(self.group_directory.member_ids(id).await?);
        if self.group_members.len() >= KNOWN_CONVS_CAP {
            self.group_members.clear();
        }
        self.group_members.insert(id.clone(), (version, ids.clone()));
        Ok(ids)
    }

    /// Writes a group notice (a system message recording a group event) to the group's log and
    /// pushes it to the current members plus `also` (e.g. someone who was just removed).
    /// Returns once it is durable, with its seq.
    pub async fn post_notice(
        &self,
        group: &GroupId,
        actor: &UserId,
        body: &Value,
        also: &[UserId],
    ) -> Result<Ack, AppError> {
        let mut recipients = self.group_directory.member_ids(group).await?;
        for user in also {
            if !recipients.contains(user) {
                recipients.push(user.clone());
            }
        }
        let pending = self.pipeline.enqueue(Draft {
            conv: ConvId::Group(group.clone()),
            sender: actor.clone(),
            device: None,
            client_msg_id: format!("notice_{}", tidings_domain::message::generate_msg_id()),
            kind: NOTICE_KIND.to_owned(),
            body: body.to_string(),
            recipients,
            opens_direct: false,
        })?;
        pending.wait().await
    }

    /// The hook and word lists sends pass (groups screen their names with it too).
    pub fn content(&self) -> &ContentGate {
        &self.content
    }

    /// The commit pipeline's counters (batches, messages, insert time, failures).
    pub fn pipeline_stats(&self) -> &PipelineStats {
        self.pipeline.stats()
    }

    /// The highest committed seq of a conversation.
    pub async fn max_seq(&self, conv: &ConvId) -> Result<u64, AppError> {
        Ok(self.messages.max_seq(conv).await?)
    }

    /// Whether `body` passes `kind`'s rules (a rewritten body must).
    fn valid(&self, kind: MessageKind, body: &Value) -> Result<(), AppError> {
        body::validate(kind, body, self.limits.body).map(|_| ())
    }

    fn page(&self, limit: Option<u32>) -> Result<u64, AppError> {
        match limit.unwrap_or(self.limits.default_page) {
            0 => Err(AppError::InvalidField("limit must be at least 1".into())),
            n => Ok(u64::from(n.min(self.limits.max_page))),
        }
    }
}

/// The `(from, max)` seqs a member may see: above `from`, up to `max`.
fn visible_range(view: Option<&MemberView>) -> (u64, u64) {
    view.map_or((0, 0), |v| (v.visible_from, v.visible_max()))
}
