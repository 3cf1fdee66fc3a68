//! The conversation list (profiles, unread counts, mentions, unread threads, previews, preferences, incremental
//! by version), per-member preferences and mark-all-read. A page costs a fixed number of
//! queries whatever its length: the rows, the unread counts, the previews, the mention
//! candidates, the peers' and the groups' profiles.

use std::collections::HashMap;

use serde_json::Value;
use tidings_domain::conversation::{
    ConversationProfile, ConversationSummary, ListCursor, MemberView, PrefsPatch, ReadMove,
};
use tidings_domain::event::Delivery;
use tidings_domain::message::Message;
use tidings_domain::ports::UnreadRange;
use tidings_domain::reaction::ReactionCount;
use tidings_domain::{ConvId, DeviceId, GroupId, UserId};

use super::MessagingService;
use super::reads::read_push;
use crate::error::AppError;

/// How far behind the clock a list's `version` stays, so a change committed while the list was
/// read (or stamped by a slightly slower clock) is answered by the next incremental list.
pub const LIST_SETTLE_MS: i64 = 1000;

/// Longest timed mute: a year (a longer one is a mute for good).
const MAX_TIMED_MUTE_MS: i64 = 366 * 24 * 3_600_000;

/// Longest draft, in characters.
const MAX_DRAFT_CHARS: usize = 4000;

/// One page of the conversation list.
#[derive(Debug, Clone)]
pub struct ConversationPage {
    /// Rows, pinned first, then most recently active first.
    pub rows: Vec<ConversationSummary>,
    /// Pass as `since_version` to get only rows changed after this list.
    pub version: i64,
    /// Where the next page starts, when this one was full.
    pub next_before: Option<ListCursor>,
    /// The reactions of each row's `last_message`, as the reader sees them.
    pub reactions: HashMap<ConvId, Vec<ReactionCount>>,
}

impl MessagingService {
    /// The user's conversations; with `since`, only the rows changed after that version; with
    /// `before`, the page after that cursor.
    pub async fn conversations(
        &self,
        user: &UserId,
        since: Option<i64>,
        before: Option<&ListCursor>,
        limit: Option<u32>,
    ) -> Result<ConversationPage, AppError> {
        let limit = crate::social::page_size(limit, self.limits.max_conversations)?;
        let version = (self.clock.now_ms() - LIST_SETTLE_MS).max(since.unwrap_or(0));
        let views = self.convs.list_for_user(user, since, before, limit).await?;
        let next_before = if views.len() as u64 == limit { views.last().map(ListCursor::after) } else { None };
        let ranges: Vec<UnreadRange> = views
            .iter()
            .map(|v| UnreadRange { conv: v.conv.clone(), after: v.read_seq.max(v.visible_from), upto: v.visible_max() })
            .collect();
        let unread = self.messages.count_unread_many(user, &ranges).await?;
        let mut mention_counts: HashMap<ConvId, u64> = HashMap::new();
        for m in self.messages.mention_candidates(user, &ranges).await? {
            if mentions(&m, user) {
                *mention_counts.entry(m.conv).or_default() += 1;
            }
        }
        let thread_ranges: Vec<(ConvId, u64, u64)> =
            views.iter().map(|v| (v.conv.clone(), v.visible_from, v.visible_max())).collect();
        let mut threads = self.unread_threads(user, &thread_ranges).await?;
        let keys: Vec<(ConvId, u64)> = views
            .iter()
            .filter(|v| v.visible_max() > v.visible_from)
            .map(|v| (v.conv.clone(), v.visible_max()))
            .collect();
        let last: HashMap<ConvId, Message> =
            self.messages.get_many(&keys).await?.into_iter().map(|m| (m.conv.clone(), m)).collect();
        let floors = views.iter().map(|v| (v.conv.clone(), v.visible_from)).collect();
        let mut last = self.previews_past_reactions(last, &floors).await?;
        let reactions = self.preview_reactions(user, &last).await?;
        let mut profiles = self.profiles(user, &views).await?;
        let rows = views
            .into_iter()
            .zip(unread)
            .map(|(view, unread)| {
                let mention_count = if unread > 0 { mention_counts.get(&view.conv).copied().unwrap_or(0) } else { 0 };
                ConversationSummary {
                    unread,
                    mentioned: mention_count > 0,
                    mention_count,
                    threads: threads.remove(&view.conv).unwrap_or(0),
                    last_message: last.remove(&view.conv),
                    profile: profiles.remove(&view.conv),
                    view,
                }
            })
            .collect();
        Ok(ConversationPage { rows, version, next_before, reactions })
    }

    /// The peer of each direct row and the group of each group row, in two queries.
    async fn profiles(
        &self,
        user: &UserId,
        views: &[MemberView],
    ) -> Result<HashMap<ConvId, ConversationProfile>, AppError> {
        let peers: Vec<UserId> = views.iter().filter_map(|v| v.conv.peer_of(user).cloned()).collect();
        let group_ids: Vec<GroupId> = views
            .iter()
            .filter_map(|v| match &v.conv {
                ConvId::Group(id) => Some(id.clone()),
                ConvId::Direct { .. } => None,
            })
            .collect();
        let users: HashMap<UserId, String> =
            self.users.by_ids(&peers).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
        let groups: HashMap<GroupId, (String, Option<String>)> =
            self.group_directory.get_many(&group_ids).await?.into_iter().map(|g| (g.id, (g.name, g.avatar))).collect();
        let mut out = HashMap::with_capacity(views.len());
        for v in views {
            let profile = match &v.conv {
                ConvId::Direct { .. } => v.conv.peer_of(user).and_then(|peer| {
                    users
                        .get(peer)
                        .map(|name| ConversationProfile::Peer { user_id: peer.clone(), display_name: name.clone() })
                }),
                ConvId::Group(id) => groups.get(id).map(|(name, avatar)| ConversationProfile::Group {
                    group_id: id.clone(),
                    name: name.clone(),
                    avatar: avatar.clone(),
                }),
            };
            if let Some(profile) = profile {
                out.insert(v.conv.clone(), profile);
            }
        }
        Ok(out)
    }

    /// Changes the caller's own settings of a conversation (mute, pin, draft). A direct chat
    /// with no message yet is created, so a draft can be kept before the first send.
    pub async fn set_prefs(&self, user: &UserId, conv: &ConvId, patch: &PrefsPatch) -> Result<MemberView, AppError> {
        if let Some(Some(until)) = patch.muted_until {
            let now = self.clock.now_ms();
            if patch.muted.is_some() {
                return Err(AppError::InvalidField("muted_until: not together with muted".into()));
            }
            if until <= now || until > now + MAX_TIMED_MUTE_MS {
                return Err(AppError::InvalidField(
                    "muted_until: a time in the future, at most a year ahead (ms)".into(),
                ));
            }
        }
        if let Some(Some(draft)) = &patch.draft
            && draft.chars().count() > MAX_DRAFT_CHARS
        {
            return Err(AppError::InvalidField(format!("draft: at most {MAX_DRAFT_CHARS} characters")));
        }
        if self.access(user, conv).await?.is_none() {
            self.convs.ensure_direct(conv, self.clock.now_ms()).await?;
        }
        self.convs.set_prefs(conv, user, patch, self.clock.now_ms()).await?;
        self.convs.member_view(conv, user).await?.ok_or(AppError::NotMember)
    }

    /// Marks every conversation read up to what the user may see, and pushes each move to the
    /// user's other devices and, in direct chats, to the peer. Returns how many moved.
    pub async fn read_all(&self, user: &UserId, device: &DeviceId) -> Result<usize, AppError> {
        let views = self.convs.list_for_user(user, None, None, u64::MAX / 2).await?;
        let moves: Vec<ReadMove> = views
            .into_iter()
            .filter(|v| v.visible_max() > v.read_seq)
            .map(|v| ReadMove { seq: v.visible_max(), conv: v.conv, user: user.clone() })
            .collect();
        // One transaction for all of them.
        let moved = self.convs.mark_read_many(&moves).await?;
        let pushes: Vec<Delivery> = moves
            .into_iter()
            .zip(moved)
            .filter(|(_, outcome)| outcome.moved())
            .map(|(mv, _)| read_push(mv.conv, mv.user, device.clone(), mv.seq))
            .collect();
        let moved = pushes.len();
        self.notifier.notify_many(pushes).await;
        Ok(moved)
    }
}

/// Whether a stored message mentions `user` (`tidings_protocol::bodies::mentions`).
fn mentions(m: &Message, user: &UserId) -> bool {
    serde_json::from_str::<Value>(&m.body).is_ok_and(|body| tidings_protocol::bodies::mentions(&body, user.as_str()))
}
