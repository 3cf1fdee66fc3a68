//! Events pushed to connected devices. The log is the source of truth; a push is only a hint
//! that saves the device a sync, so losing one loses nothing.

use std::sync::Arc;

use crate::ids::{ConvId, DeviceId, SessionId, UserId};
use crate::message::Message;

/// Something connected devices should learn now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message was committed.
    Message(Message),
    /// A member's read position advanced.
    Read {
        /// Conversation.
        conv: ConvId,
        /// Whose position.
        user_id: UserId,
        /// New read seq.
        seq: u64,
    },
    /// A member's read position in a thread moved; goes to the member's own devices, with the
    /// conversation's count of unread followed threads after the move.
    ThreadRead {
        /// Conversation.
        conv: ConvId,
        /// Whose position.
        user_id: UserId,
        /// The thread's root.
        root: u64,
        /// The position now.
        seq: u64,
        /// The list's `threads` count of the conversation for this member now.
        threads: u64,
    },
    /// A device session was revoked: its sockets must close.
    SessionRevoked {
        /// Owner.
        user_id: UserId,
        /// Revoked session.
        session_id: SessionId,
    },
    /// A device session was ended by the server (device policy, remote logout): its sockets get
    /// a `kicked` frame with the reason, then close.
    Kicked {
        /// Owner.
        user_id: UserId,
        /// Ended session.
        session_id: SessionId,
        /// Why, e.g. `device_limit` or `remote_logout`.
        reason: String,
    },
    /// A user's first device connected or last device disconnected. Goes to every connection
    /// subscribed to that user, on every instance (the delivery's recipients are ignored).
    Presence {
        /// Whose presence changed.
        user_id: UserId,
        /// Now online.
        online: bool,
        /// Last activity (ms).
        last_active_at: Option<i64>,
    },
    /// A device connected again elsewhere: its connections here registered before `since_us`
    /// are stale (a paused instance, a half-open socket) and close. Sent to one instance.
    Superseded {
        /// Owner.
        user_id: UserId,
        /// The device.
        device_id: DeviceId,
        /// When the newer connection was registered (µs since the Unix epoch).
        since_us: u64,
    },
    /// These users' routes changed (a device of theirs connected somewhere): every instance
    /// drops what it cached of them. Sent to every instance; never reaches a device.
    RoutesMoved {
        /// Whose routes changed.
        users: Vec<UserId>,
    },
    /// A member is typing in a conversation (never stored).
    Typing {
        /// Conversation.
        conv: ConvId,
        /// Who types.
        user_id: UserId,
    },
}

impl Event {
    /// Whether the event goes to subscribers on every instance rather than to recipients.
    pub fn is_broadcast(&self) -> bool {
        matches!(self, Event::Presence { .. } | Event::RoutesMoved { .. })
    }
}

/// One event for a set of users, minus (optionally) the device that caused it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Users whose online devices get the event.
    pub recipients: Vec<UserId>,
    /// A device that already knows (the sender's own), skipped.
    pub skip_device: Option<(UserId, DeviceId)>,
    /// The event, shared so it is encoded once for all recipients.
    pub event: Arc<Event>,
}

/// How many messages each user got in `deliveries`: what their change counters move by (see
/// [`crate::ports::ChangeCounter`]). Users in no message delivery are left out.
pub fn message_counts(deliveries: &[Delivery]) -> Vec<(&UserId, u64)> {
    let mut messages = deliveries.iter().filter(|d| matches!(d.event.as_ref(), Event::Message(_)));
    // The common batch, one message: no map needed.
    if let (Some(only), None) = (messages.next(), messages.clone().next()) {
        return only.recipients.iter().map(|u| (u, 1)).collect();
    }
    let mut counts: std::collections::HashMap<&UserId, u64> = std::collections::HashMap::new();
    for d in deliveries.iter().filter(|d| matches!(d.event.as_ref(), Event::Message(_))) {
        for user in &d.recipients {
            *counts.entry(user).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(seq: u64, to: &[&UserId]) -> Delivery {
        let (a, b) = (UserId::parse("u_a").unwrap(), UserId::parse("u_b").unwrap());
        Delivery {
            recipients: to.iter().map(|u| (*u).clone()).collect(),
            skip_device: None,
            event: Arc::new(Event::Message(Message {
                conv: ConvId::direct(&a, &b).unwrap(),
                seq,
                msg_id: format!("m{seq}"),
                sender: a,
                client_msg_id: format!("c{seq}"),
                kind: "text".into(),
                body: "{}".into(),
                ts: 0,
                edited_at: None,
            })),
        }
    }

    #[test]
    fn message_counts_count_each_users_messages_and_nothing_else() {
        let (a, b, c) = (UserId::parse("u_a").unwrap(), UserId::parse("u_b").unwrap(), UserId::parse("u_c").unwrap());
        let typing = Delivery {
            recipients: vec![c.clone()],
            skip_device: None,
            event: Arc::new(Event::Typing { conv: ConvId::parse("g:x").unwrap(), user_id: a.clone() }),
        };
        let sorted = |mut v: Vec<(&UserId, u64)>| {
            v.sort();
            v.into_iter().map(|(u, n)| (u.clone(), n)).collect::<Vec<_>>()
        };
        assert_eq!(sorted(message_counts(&[message(1, &[&a, &b])])), vec![(a.clone(), 1), (b.clone(), 1)]);
        let batch = [message(1, &[&a, &b]), typing.clone(), message(2, &[&a, &b]), message(3, &[&b])];
        assert_eq!(sorted(message_counts(&batch)), vec![(a.clone(), 2), (b.clone(), 3)]);
        assert!(message_counts(&[typing]).is_empty(), "only messages move the counters");
    }
}
