//! Conversions from domain values to the shared wire types, used by REST and the gateway alike.

use serde_json::Value;
use tidings_app::messaging::MessageSlice;
use tidings_domain::conversation::{ConversationProfile, ConversationSummary};
use tidings_domain::message::{Ack, Message};
use tidings_domain::reaction::ReactionCount;
use tidings_domain::thread::ThreadSummary;
use tidings_protocol::rest::{self, UserProfile};
use tidings_protocol::{WireMessage, WireReaction, WireThread};

/// A stored message as the wire shows it. Bodies were validated JSON when stored.
pub fn message(m: &Message) -> WireMessage {
    WireMessage {
        conv: m.conv.to_string(),
        seq: m.seq,
        msg_id: m.msg_id.clone(),
        sender: m.sender.to_string(),
        client_msg_id: m.client_msg_id.clone(),
        kind: m.kind.clone(),
        body: serde_json::from_str(&m.body).unwrap_or_else(|_| Value::String(m.body.clone())),
        ts: m.ts,
        edited_at: m.edited_at,
        reactions: Vec::new(),
        thread: None,
    }
}

/// A page of history or sync, each message with its reactions and, for a root, its thread.
pub fn page(slice: &MessageSlice) -> Vec<WireMessage> {
    slice.messages.iter().map(|m| annotated(m, slice)).collect()
}

/// `m` (one of `slice`'s pages, or its thread's root) with its reactions and thread summary.
pub fn annotated(m: &Message, slice: &MessageSlice) -> WireMessage {
    let mut wire = with_reactions(message(m), slice.reactions.get(&m.seq));
    wire.thread = slice.threads.get(&m.seq).map(|t| Box::new(thread(t)));
    wire
}

/// A root's thread summary as the wire shows it.
pub fn thread(t: &ThreadSummary) -> WireThread {
    WireThread {
        replies: t.replies,
        last_ts: t.last_ts,
        last_seq: t.last_seq,
        participants: t.participants.iter().map(ToString::to_string).collect(),
    }
}

/// `wire` with the reader's view of its reactions, if it has any.
pub fn with_reactions(mut wire: WireMessage, counts: Option<&Vec<ReactionCount>>) -> WireMessage {
    wire.reactions = counts
        .map(|c| c.iter().map(|r| WireReaction { emoji: r.emoji.clone(), count: r.count, me: r.me }).collect())
        .unwrap_or_default();
    wire
}

/// The REST answer to a send.
pub fn send_response(ack: &Ack) -> rest::SendMessageResponse {
    rest::SendMessageResponse {
        conv: ack.conv.to_string(),
        seq: ack.seq,
        msg_id: ack.msg_id.clone(),
        client_msg_id: ack.client_msg_id.clone(),
        ts: ack.ts,
        duplicate: ack.duplicate,
    }
}

/// The gateway's answer to a send or a recall: the `ack` frame answering request `id`.
pub fn ack_frame(id: String, ack: Ack) -> tidings_protocol::ServerFrame {
    tidings_protocol::ServerFrame::Ack {
        id,
        client_msg_id: ack.client_msg_id,
        conv: ack.conv.to_string(),
        seq: ack.seq,
        msg_id: ack.msg_id,
        ts: ack.ts,
        duplicate: ack.duplicate,
    }
}

/// A user's public profile.
pub fn profile(u: &tidings_domain::account::User) -> UserProfile {
    UserProfile {
        user_id: u.id.to_string(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        created_at: u.created_at,
        presence: None,
        role: None,
    }
}

/// The caller's own profile (`/me`): the profile with the caller's role.
pub fn own_profile(u: &tidings_domain::account::User) -> UserProfile {
    UserProfile { role: Some(u.role.as_str().to_owned()), ..profile(u) }
}

/// One row of the conversation list, from the caller's point of view.
pub fn summary(s: &ConversationSummary, me: &tidings_domain::UserId) -> rest::ConversationSummary {
    let now = tidings_domain::Clock::now_ms(&tidings_domain::SystemClock);
    rest::ConversationSummary {
        conv: s.view.conv.to_string(),
        kind: s.view.conv.kind().to_owned(),
        peer: s.view.conv.peer_of(me).map(ToString::to_string),
        max_seq: s.view.visible_max(),
        read_seq: s.view.read_seq,
        unread: s.unread,
        last_message: s.last_message.as_ref().map(message),
        peer_profile: match &s.profile {
            Some(ConversationProfile::Peer { user_id, display_name }) => {
                Some(rest::PeerProfile { user_id: user_id.to_string(), display_name: display_name.clone() })
            }
            _ => None,
        },
        group: match &s.profile {
            Some(ConversationProfile::Group { group_id, name, avatar }) => {
                Some(rest::GroupCard { group_id: group_id.to_string(), name: name.clone(), avatar: avatar.clone() })
            }
            _ => None,
        },
        mentioned: s.mentioned,
        mention_count: s.mention_count,
        threads: s.threads,
        muted: s.view.prefs.is_muted(now),
        muted_until: s.view.prefs.muted_until.filter(|until| *until > now),
        pinned: s.view.prefs.pinned,
        draft: s.view.prefs.draft.clone(),
        version: s.view.version(),
        min_seq: s.view.trimmed_below(),
    }
}
