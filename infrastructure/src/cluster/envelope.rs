//! The body of a push between instances: the recipients on the target instance, the device to
//! skip, and the event. JSON, so a mixed-version cluster can read what it understands.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tidings_domain::event::{Delivery, Event};
use tidings_domain::message::Message;
use tidings_domain::{ConvId, DeviceId, SessionId, UserId};

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Envelope {
    recipients: Vec<String>,
    skip: Option<(String, String)>,
    event: WireEvent,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum WireEvent {
    Message {
        conv: String,
        seq: u64,
        msg_id: String,
        sender: String,
        client_msg_id: String,
        kind: String,
        body: String,
        ts: i64,
    },
    Read {
        conv: String,
        user_id: String,
        seq: u64,
    },
    ThreadRead {
        conv: String,
        user_id: String,
        root: u64,
        seq: u64,
        threads: u64,
    },
    SessionRevoked {
        user_id: String,
        session_id: String,
    },
    Kicked {
        user_id: String,
        session_id: String,
        reason: String,
    },
    Presence {
        user_id: String,
        online: bool,
        last_active_at: Option<i64>,
    },
    Typing {
        conv: String,
        user_id: String,
    },
    Superseded {
        user_id: String,
        device_id: String,
        since_us: u64,
    },
    RoutesMoved {
        users: Vec<String>,
    },
}

/// Encodes several deliveries (each with the recipients on the target instance) as one body.
pub(crate) fn encode_many(parts: &[(&Delivery, Vec<UserId>)]) -> Result<Vec<u8>, serde_json::Error> {
    let envelopes: Vec<Envelope> = parts.iter().map(|(d, users)| envelope(d, users)).collect();
    serde_json::to_vec(&envelopes)
}

/// Decodes a body of several envelopes, skipping unreadable ones; `None` if it is no list.
pub(crate) fn decode_many(bytes: &[u8]) -> Option<Vec<Delivery>> {
    let raw: Vec<serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    Some(raw.into_iter().filter_map(|v| serde_json::from_value(v).ok().and_then(from_envelope)).collect())
}

/// Encodes the part of `delivery` meant for `recipients`.
#[cfg(test)]
pub(crate) fn encode(delivery: &Delivery, recipients: &[UserId]) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&envelope(delivery, recipients))
}

fn envelope(delivery: &Delivery, recipients: &[UserId]) -> Envelope {
    let event = match delivery.event.as_ref() {
        Event::Message(m) => WireEvent::Message {
            conv: m.conv.to_string(),
            seq: m.seq,
            msg_id: m.msg_id.clone(),
            sender: m.sender.to_string(),
            client_msg_id: m.client_msg_id.clone(),
            kind: m.kind.clone(),
            body: m.body.clone(),
            ts: m.ts,
        },
        Event::Read { conv, user_id, seq } => {
            WireEvent::Read { conv: conv.to_string(), user_id: user_id.to_string(), seq: *seq }
        }
        Event::ThreadRead { conv, user_id, root, seq, threads } => WireEvent::ThreadRead {
            conv: conv.to_string(),
            user_id: user_id.to_string(),
            root: *root,
            seq: *seq,
            threads: *threads,
        },
        Event::SessionRevoked { user_id, session_id } => {
            WireEvent::SessionRevoked { user_id: user_id.to_string(), session_id: session_id.as_str().to_owned() }
        }
        Event::Kicked { user_id, session_id, reason } => WireEvent::Kicked {
            user_id: user_id.to_string(),
            session_id: session_id.as_str().to_owned(),
            reason: reason.clone(),
        },
        Event::Presence { user_id, online, last_active_at } => {
            WireEvent::Presence { user_id: user_id.to_string(), online: *online, last_active_at: *last_active_at }
        }
        Event::Typing { conv, user_id } => WireEvent::Typing { conv: conv.to_string(), user_id: user_id.to_string() },
        Event::Superseded { user_id, device_id, since_us } => WireEvent::Superseded {
            user_id: user_id.to_string(),
            device_id: device_id.as_str().to_owned(),
            since_us: *since_us,
        },
        Event::RoutesMoved { users } => {
            WireEvent::RoutesMoved { users: users.iter().map(ToString::to_string).collect() }
        }
    };
    Envelope {
        recipients: recipients.iter().map(ToString::to_string).collect(),
        skip: delivery.skip_device.as_ref().map(|(u, d)| (u.to_string(), d.as_str().to_owned())),
        event,
    }
}

/// Decodes one envelope; `None` for anything malformed.
#[cfg(test)]
pub(crate) fn decode(bytes: &[u8]) -> Option<Delivery> {
    from_envelope(serde_json::from_slice(bytes).ok()?)
}

/// The domain delivery an envelope describes; `None` if an id in it is malformed.
fn from_envelope(env: Envelope) -> Option<Delivery> {
    let user = |s: &str| UserId::parse(s);
    let event = match env.event {
        WireEvent::Message { conv, seq, msg_id, sender, client_msg_id, kind, body, ts } => Event::Message(Message {
            conv: ConvId::parse(&conv)?,
            seq,
            msg_id,
            sender: user(&sender)?,
            client_msg_id,
            kind,
            body,
            ts,
            // A push is of a fresh commit: never edited yet.
            edited_at: None,
        }),
        WireEvent::Read { conv, user_id, seq } => {
            Event::Read { conv: ConvId::parse(&conv)?, user_id: user(&user_id)?, seq }
        }
        WireEvent::ThreadRead { conv, user_id, root, seq, threads } => {
            Event::ThreadRead { conv: ConvId::parse(&conv)?, user_id: user(&user_id)?, root, seq, threads }
        }
        WireEvent::SessionRevoked { user_id, session_id } => {
            Event::SessionRevoked { user_id: user(&user_id)?, session_id: SessionId::new(session_id) }
        }
        WireEvent::Kicked { user_id, session_id, reason } => {
            Event::Kicked { user_id: user(&user_id)?, session_id: SessionId::new(session_id), reason }
        }
        WireEvent::Presence { user_id, online, last_active_at } => {
            Event::Presence { user_id: user(&user_id)?, online, last_active_at }
        }
        WireEvent::Typing { conv, user_id } => Event::Typing { conv: ConvId::parse(&conv)?, user_id: user(&user_id)? },
        WireEvent::Superseded { user_id, device_id, since_us } => {
            Event::Superseded { user_id: user(&user_id)?, device_id: DeviceId::new(device_id), since_us }
        }
        WireEvent::RoutesMoved { users } => {
            Event::RoutesMoved { users: users.iter().map(|u| user(u)).collect::<Option<Vec<_>>>()? }
        }
    };
    let recipients = env.recipients.iter().map(|r| user(r)).collect::<Option<Vec<_>>>()?;
    let skip_device = match env.skip {
        Some((u, d)) => Some((user(&u)?, DeviceId::new(d))),
        None => None,
    };
    Some(Delivery { recipients, skip_device, event: Arc::new(event) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = UserId::parse("u_a").unwrap();
        let b = UserId::parse("u_b").unwrap();
        let msg = Message {
            conv: ConvId::direct(&a, &b).unwrap(),
            seq: 7,
            msg_id: "m_1".into(),
            sender: a.clone(),
            client_msg_id: "c".into(),
            kind: "text".into(),
            body: r#"{"text":"hi"}"#.into(),
            ts: 5,
            edited_at: None,
        };
        let d = Delivery {
            recipients: vec![a.clone(), b.clone()],
            skip_device: Some((a.clone(), DeviceId::new("d1"))),
            event: Arc::new(Event::Message(msg)),
        };
        let back = decode(&encode(&d, std::slice::from_ref(&b)).unwrap()).unwrap();
        assert_eq!(back.recipients, vec![b.clone()]);
        assert_eq!(back.skip_device, d.skip_device);
        assert_eq!(back.event, d.event);
        assert!(decode(b"{\"nonsense\":1}").is_none());
        let many = decode_many(&encode_many(&[(&d, vec![a.clone()]), (&d, vec![b.clone()])]).unwrap()).unwrap();
        assert_eq!(many.iter().map(|d| d.recipients.clone()).collect::<Vec<_>>(), vec![vec![a], vec![b]]);
    }
}
