//! Forward: a member copies messages they can see into other conversations they may post in,
//! either one copy per message, or merged into one message of kind `forward` carrying the
//! originals (sender, time, kind, body) as a snapshot. Each target is checked and written on its
//! own, as a send there would be; media the copies carry become readable by the new audience.

use serde_json::{Value, json};
use tidings_domain::message::{Ack, FORWARD_KIND, Message, RECALLED_KIND, is_content_kind};
use tidings_domain::{ClientMsgId, ConvId, DeviceId, MessageKind, UserId};

use super::pipeline::{Draft, PendingAck};
use super::{MessagingService, visible_range};
use crate::error::AppError;

/// Most messages one forward takes.
pub const MAX_FORWARD_MESSAGES: usize = 50;

/// Most conversations one forward goes to.
pub const MAX_FORWARD_TARGETS: usize = 10;

/// Longest `client_msg_id` of a forward: each copy's own id adds `.{target}.{item}`.
const MAX_FORWARD_ID: usize = 48;

/// What to forward, from where, to where.
#[derive(Debug, Clone)]
pub struct ForwardRequest {
    /// The conversation the messages are in.
    pub from: ConvId,
    /// Their seqs, in the order they are to appear.
    pub seqs: Vec<u64>,
    /// Where they go.
    pub to: Vec<ConvId>,
    /// One `forward` message per target instead of one copy per message.
    pub merged: bool,
    /// The caller's id for the forward; each copy's dedupe key is made from it, so a retry
    /// stores nothing twice.
    pub client_msg_id: ClientMsgId,
}

impl MessagingService {
    /// Forwards; the source is checked first (any fault refuses the whole request), then each
    /// target on its own: its acks, or why it was refused.
    pub async fn forward(
        &self,
        user: &UserId,
        device: &DeviceId,
        req: ForwardRequest,
    ) -> Result<Vec<(ConvId, Result<Vec<Ack>, AppError>)>, AppError> {
        check_shape(&req)?;
        let originals = self.forwardable(user, &req.from, &req.seqs).await?;
        let mut out = Vec::with_capacity(req.to.len());
        for (t, target) in req.to.iter().enumerate() {
            let base = format!("{}.{t}", req.client_msg_id);
            let queued = if req.merged {
                self.forward_merged(user, device, target, &originals, &base).await.map(|p| vec![p])
            } else {
                self.forward_copies(user, device, target, &originals, &base).await
            };
            let acked = match queued {
                Ok(pending) => wait_all(pending).await,
                Err(e) => Err(e),
            };
            out.push((target.clone(), acked));
        }
        Ok(out)
    }

    /// The messages at `seqs` of `from`, in that order, if the caller can see every one and each
    /// is a message people wrote (not recalled, not a notice).
    async fn forwardable(&self, user: &UserId, from: &ConvId, seqs: &[u64]) -> Result<Vec<Message>, AppError> {
        let view = self.access(user, from).await?;
        let (low, max) = visible_range(view.as_ref());
        let keys: Vec<(ConvId, u64)> = seqs.iter().map(|s| (from.clone(), *s)).collect();
        let found = self.messages.get_many(&keys).await?;
        seqs.iter()
            .map(|seq| {
                let m = found
                    .iter()
                    .find(|m| m.seq == *seq && *seq > low && *seq <= max)
                    .ok_or(AppError::SeqOutOfRange { seq: *seq, max })?;
                if m.kind == RECALLED_KIND {
                    return Err(AppError::Conflict(format!("message {seq} was recalled")));
                }
                if !is_content_kind(&m.kind) {
                    return Err(AppError::Forbidden(format!("message {seq} is a system message")));
                }
                Ok(m.clone())
            })
            .collect()
    }

    /// One copy per original, each sent to `target` as its sender would send it (a reply's
    /// quote and mentions belong to the old conversation and are left out).
    async fn forward_copies(
        &self,
        user: &UserId,
        device: &DeviceId,
        target: &ConvId,
        originals: &[Message],
        base: &str,
    ) -> Result<Vec<PendingAck>, AppError> {
        let mut pending = Vec::with_capacity(originals.len());
        for (i, m) in originals.iter().enumerate() {
            let id = ClientMsgId::parse(format!("{base}.{i}"))?;
            let body = copied_body(&m.body);
            match MessageKind::parse(&m.kind) {
                Some(kind) => pending.push(self.send(user, device, target.clone(), id, kind, &body).await?),
                // A merged forward is forwarded as it is.
                None => pending.push(self.enqueue_forward(user, device, target, id, body.to_string(), &[m]).await?),
            }
        }
        Ok(pending)
    }

    /// One `forward` message carrying every original.
    async fn forward_merged(
        &self,
        user: &UserId,
        device: &DeviceId,
        target: &ConvId,
        originals: &[Message],
        base: &str,
    ) -> Result<PendingAck, AppError> {
        let items: Vec<Value> = originals
            .iter()
            .map(|m| {
                let body: Value = serde_json::from_str(&m.body).unwrap_or_default();
                json!({"sender": m.sender.as_str(), "ts": m.ts, "kind": m.kind, "body": body})
            })
            .collect();
        let body = json!({ "items": items }).to_string();
        let max = self.limits.body.max_body_bytes * 4;
        if body.len() > max {
            return Err(AppError::BodyTooLarge(format!(
                "the merged forward has {} bytes; the limit is {max}: forward fewer messages",
                body.len()
            )));
        }
        let originals: Vec<&Message> = originals.iter().collect();
        self.enqueue_forward(user, device, target, ClientMsgId::parse(base.to_owned())?, body, &originals).await
    }

    /// Queues a `forward` message to `target`, after the checks a send there would pass; only
    /// then does the media of `originals` become readable there.
    async fn enqueue_forward(
        &self,
        user: &UserId,
        device: &DeviceId,
        target: &ConvId,
        id: ClientMsgId,
        body: String,
        originals: &[&Message],
    ) -> Result<PendingAck, AppError> {
        let audience = self.ensure_started(user, target).await?;
        for m in originals {
            self.allow_media(user, target, m).await?;
        }
        self.pipeline.enqueue(Draft {
            conv: target.clone(),
            sender: user.clone(),
            device: Some(device.clone()),
            client_msg_id: id.into_string(),
            kind: FORWARD_KIND.to_owned(),
            body,
            recipients: audience.recipients,
            opens_direct: audience.opens_direct,
        })
    }

    /// Lets `target`'s members read the media an original carries (a merged forward's own
    /// items included).
    async fn allow_media(&self, user: &UserId, target: &ConvId, m: &Message) -> Result<(), AppError> {
        let body: Value = serde_json::from_str(&m.body).unwrap_or_default();
        if let (Some(kind), Some(media_id)) =
            (MessageKind::parse(&m.kind), body.get("media_id").and_then(Value::as_str))
        {
            return self.check_media_use(user, target, kind, media_id).await;
        }
        for item in body.get("items").and_then(Value::as_array).into_iter().flatten() {
            let kind = item.get("kind").and_then(Value::as_str).and_then(MessageKind::parse);
            let media_id = item.pointer("/body/media_id").and_then(Value::as_str);
            if let (Some(kind), Some(media_id)) = (kind, media_id) {
                self.check_media_use(user, target, kind, media_id).await?;
            }
        }
        Ok(())
    }
}

/// The request's own bounds.
fn check_shape(req: &ForwardRequest) -> Result<(), AppError> {
    if req.seqs.is_empty() || req.seqs.len() > MAX_FORWARD_MESSAGES {
        return Err(AppError::InvalidField(format!("seqs: 1 to {MAX_FORWARD_MESSAGES} messages")));
    }
    if req.to.is_empty() || req.to.len() > MAX_FORWARD_TARGETS {
        return Err(AppError::InvalidField(format!("to: 1 to {MAX_FORWARD_TARGETS} conversations")));
    }
    let mut seqs = req.seqs.clone();
    seqs.sort_unstable();
    seqs.dedup();
    if seqs.len() != req.seqs.len() {
        return Err(AppError::InvalidField("seqs: each message once".into()));
    }
    let mut to: Vec<String> = req.to.iter().map(ToString::to_string).collect();
    to.sort_unstable();
    to.dedup();
    if to.len() != req.to.len() {
        return Err(AppError::InvalidField("to: each conversation once".into()));
    }
    if req.client_msg_id.as_str().len() > MAX_FORWARD_ID {
        return Err(AppError::InvalidField(format!(
            "client_msg_id: at most {MAX_FORWARD_ID} characters for a forward"
        )));
    }
    Ok(())
}

/// An original's body as a copy carries it: without the reply's quote, the mentions and the
/// thread, which belong to the conversation it came from.
fn copied_body(raw: &str) -> Value {
    let mut body: Value = serde_json::from_str(raw).unwrap_or_default();
    if let Some(fields) = body.as_object_mut() {
        for field in ["reply_to", "mentions", "mention_all", "thread_root"] {
            fields.remove(field);
        }
    }
    body
}

/// Every ack, or the first failure.
async fn wait_all(pending: Vec<PendingAck>) -> Result<Vec<Ack>, AppError> {
    let mut acks = Vec::with_capacity(pending.len());
    for p in pending {
        acks.push(p.wait().await?);
    }
    Ok(acks)
}
