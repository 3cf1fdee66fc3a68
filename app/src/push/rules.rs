//! Who gets a notice for which message, and what it carries: offline (one presence lookup per
//! batch), not muted and not in quiet hours unless named (one mute query, one preferences
//! query), then the badge and the names (one query each), whatever the batch's size.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use tidings_domain::device_push::{PushPrefs, PushPrivacy};
use tidings_domain::event::Event;
use tidings_domain::message::Message;
use tidings_domain::push::{Mention, PushNotice, pushes_through};
use tidings_domain::{ConvId, GroupId, StoreError, UserId};

use super::{Committed, Inner, PREVIEW_CHARS};
use crate::clock::now_ms;

/// One recipient's notice before the badge and names are known.
struct Pending<'a> {
    message: &'a Message,
    user: &'a UserId,
    mention: Mention,
    privacy: PushPrivacy,
    /// The start of the text, when the operator and this user let it show.
    preview: Option<String>,
}

/// The notices of a batch of committed messages.
pub(super) async fn notices_for(inner: &Inner, batch: &[Committed]) -> Result<Vec<PushNotice>, StoreError> {
    let now = now_ms();
    let messages: Vec<(&Message, &[UserId])> = batch
        .iter()
        .filter_map(|c| match c.event.as_ref() {
            Event::Message(m) => Some((m, c.recipients.as_slice())),
            _ => None,
        })
        .collect();
    let mut users: Vec<UserId> = messages
        .iter()
        .flat_map(|(m, rs)| rs.iter().filter(move |r| **r != m.sender))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    users.sort();
    let presence = inner.presence.presence(&users, now).await?;
    let offline: Vec<UserId> = users.iter().zip(&presence).filter(|(_, p)| !p.online).map(|(u, _)| u.clone()).collect();
    if offline.is_empty() {
        return Ok(Vec::new());
    }
    let prefs: HashMap<&UserId, PushPrefs> = offline.iter().zip(inner.store.prefs_of(&offline).await?).collect();
    let pairs: Vec<(ConvId, UserId)> = messages
        .iter()
        .flat_map(|(m, rs)| {
            rs.iter().filter(|r| **r != m.sender && prefs.contains_key(r)).map(|r| (m.conv.clone(), r.clone()))
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let muted: HashSet<(ConvId, UserId)> = inner.convs.muted_among(&pairs, now).await?.into_iter().collect();
    let mut pending = Vec::new();
    let mut seen: HashMap<(&ConvId, u64), HashSet<&UserId>> = HashMap::new();
    for (m, recipients) in &messages {
        let body = serde_json::from_str::<Value>(&m.body).unwrap_or(Value::Null);
        let text = if inner.config.preview { preview(m, &body) } else { None };
        let done = seen.entry((&m.conv, m.seq)).or_default();
        for user in recipients.iter().filter(|r| **r != m.sender) {
            let Some(p) = prefs.get(user) else { continue };
            let mention = mention_of(&body, user);
            let quiet = p.quiet_hours.as_ref().is_some_and(|q| q.contains(now));
            let is_muted = quiet || muted.contains(&(m.conv.clone(), user.clone()));
            if !pushes_through(is_muted, mention) || !done.insert(user) {
                continue;
            }
            let preview = text.clone().filter(|_| p.privacy == PushPrivacy::Full);
            pending.push(Pending { message: m, user, mention, privacy: p.privacy, preview });
        }
    }
    finish(inner, pending).await
}

/// Adds each notice's badge and the sender's and group's names.
async fn finish(inner: &Inner, pending: Vec<Pending<'_>>) -> Result<Vec<PushNotice>, StoreError> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let notified: Vec<UserId> = pending.iter().map(|p| p.user.clone()).collect::<HashSet<_>>().into_iter().collect();
    let badges: HashMap<&UserId, u64> = notified.iter().zip(inner.store.badges(&notified).await?).collect();
    let senders: Vec<UserId> =
        pending.iter().map(|p| p.message.sender.clone()).collect::<HashSet<_>>().into_iter().collect();
    let names: HashMap<UserId, String> =
        inner.users.by_ids(&senders).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
    let group_ids: Vec<GroupId> = pending
        .iter()
        .filter_map(|p| match &p.message.conv {
            ConvId::Group(g) => Some(g.clone()),
            ConvId::Direct { .. } => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let groups: HashMap<GroupId, String> =
        inner.groups.get_many(&group_ids).await?.into_iter().map(|g| (g.id, g.name)).collect();
    Ok(pending
        .into_iter()
        .map(|p| {
            let m = p.message;
            PushNotice {
                user_id: p.user.clone(),
                conv: m.conv.clone(),
                seq: m.seq,
                msg_id: m.msg_id.clone(),
                sender: m.sender.clone(),
                kind: m.kind.clone(),
                preview: p.preview,
                mentioned: p.mention.any(),
                badge: badges.get(p.user).copied().unwrap_or(0),
                privacy: p.privacy,
                sender_name: names.get(&m.sender).cloned().unwrap_or_else(|| m.sender.to_string()),
                group_name: match &m.conv {
                    ConvId::Group(g) => groups.get(g).cloned(),
                    ConvId::Direct { .. } => None,
                },
            }
        })
        .collect())
}

/// How a message body mentions `user`.
pub(super) fn mention_of(body: &Value, user: &UserId) -> Mention {
    let all = body.get("mention_all").and_then(Value::as_bool) == Some(true);
    let personal = body
        .get("mentions")
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(user.as_str())));
    Mention { personal, all }
}

/// The first [`PREVIEW_CHARS`] characters of a text message (`body` is its parsed body).
fn preview(m: &Message, body: &Value) -> Option<String> {
    if m.kind != "text" {
        return None;
    }
    body.get("text").and_then(Value::as_str).map(|t| t.chars().take(PREVIEW_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mentions_are_read_from_the_body() {
        let me = UserId::generate();
        let other = UserId::generate();
        let named = json!({"text": "hi", "mentions": [me.as_str()]});
        assert_eq!(mention_of(&named, &me), Mention { personal: true, all: false });
        assert_eq!(mention_of(&named, &other), Mention::default());
        let all = json!({"text": "hi", "mention_all": true});
        assert_eq!(mention_of(&all, &other), Mention { personal: false, all: true });
    }
}
