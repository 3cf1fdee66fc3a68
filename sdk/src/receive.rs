//! What the SDK does with what the server sends: store each message once (duplicates by
//! `(conv, seq)` are dropped), move the conversation's cursor, pull a gap with `sync` when a
//! seq skips ahead, apply acks, reads and recalls, and tell the app.

use std::sync::Arc;

use reqwest::Method;
use tidings_protocol::rest::ConversationList;
use tidings_protocol::{ClientFrame, ServerFrame, WireMessage};

use crate::SdkError;
use crate::client::Inner;
use crate::events::ClientEvent;
use crate::store::{ConvFacts, Stored};
use crate::types::MessageStatus;

/// Handles one frame from the server (`kicked` is handled by the connection itself).
pub(crate) async fn on_frame(inner: &Arc<Inner>, frame: ServerFrame) {
    let result = match frame {
        ServerFrame::Ack { ref id, .. } | ServerFrame::SyncResult { ref id, .. } => {
            let id = id.clone();
            match inner.link.resolve(&id, frame) {
                // An ack nobody waits for any more (its wait timed out): it still counts.
                Some(ServerFrame::Ack { conv, client_msg_id, seq, msg_id, ts, .. }) => {
                    apply_ack(inner, &conv, &client_msg_id, seq, &msg_id, ts).await
                }
                _ => Ok(()),
            }
        }
        ServerFrame::Error { id: Some(ref id), .. } => {
            let id = id.clone();
            if let Some(ServerFrame::Error { code, message, .. }) = inner.link.resolve(&id, frame) {
                tracing::debug!(%code, %message, "late error answer");
            }
            Ok(())
        }
        ServerFrame::Error { id: None, code, message, .. } => {
            tracing::warn!(%code, %message, "server reported an error");
            Ok(())
        }
        ServerFrame::Msg { message } => on_push(inner, &message).await,
        ServerFrame::Read { conv, user_id, seq } => on_read(inner, &conv, &user_id, seq).await,
        ServerFrame::ThreadRead { conv, threads, .. } => on_thread_read(inner, &conv, threads).await,
        ServerFrame::Pong { .. }
        | ServerFrame::Presence { .. }
        | ServerFrame::Typing { .. }
        | ServerFrame::Kicked { .. }
        | ServerFrame::Reconnect { .. } => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not apply a server frame");
    }
}

/// Stores one message from the server and tells the app if it was new. Returns true if new.
pub(crate) async fn absorb(inner: &Inner, m: &WireMessage, announce: bool) -> Result<bool, SdkError> {
    let me = inner.me()?;
    inner.store.ensure_conversation(&ConvFacts::from_id(&m.conv, &me)).await?;
    match inner.store.store_wire(m, &me).await? {
        Stored::Duplicate => {
            tracing::trace!(conv = %m.conv, seq = m.seq, "duplicate dropped");
            Ok(false)
        }
        Stored::OwnConfirmed(message) => {
            inner.events.emit(ClientEvent::MessageStatusChanged {
                conv: message.conv,
                client_msg_id: message.client_msg_id,
                status: MessageStatus::Sent,
                seq: message.seq,
                reason: None,
            });
            Ok(true)
        }
        Stored::New(message) => {
            if announce {
                if m.kind == "recall"
                    && let Some(seq) = m.body.get("seq").and_then(serde_json::Value::as_u64)
                {
                    let by = m.body.get("by").and_then(|b| b.as_str()).unwrap_or(&m.sender).to_owned();
                    inner.events.emit(ClientEvent::Recalled { conv: m.conv.clone(), seq, by });
                }
                if m.kind == "pin"
                    && let Some(seq) = m.body.get("seq").and_then(serde_json::Value::as_u64)
                {
                    let by = m.body.get("by").and_then(|b| b.as_str()).unwrap_or(&m.sender).to_owned();
                    let on = m.body.get("on").and_then(serde_json::Value::as_bool).unwrap_or(false);
                    inner.events.emit(ClientEvent::Pinned { conv: m.conv.clone(), seq, by, on });
                }
                if let Some(event) = edited_event(m) {
                    inner.events.emit(event);
                }
                if let Some(r) = crate::store::ReactionChange::of(m) {
                    let (seq, emoji, by, on) = (r.seq, r.emoji, r.by, r.on);
                    inner.events.emit(ClientEvent::Reacted { conv: m.conv.clone(), seq, emoji, by, on });
                }
                if mentions_me(m, &inner.me()?) {
                    let (conv, seq, by) = (m.conv.clone(), m.seq, m.sender.clone());
                    inner.events.emit(ClientEvent::Mentioned { conv, seq, by });
                }
                if let Some(root) = crate::store::thread_root_of(&m.kind, &m.body) {
                    inner.events.emit(ClientEvent::ThreadUpdated { conv: m.conv.clone(), root, seq: m.seq });
                }
                inner.events.emit(ClientEvent::NewMessage { message });
            }
            Ok(true)
        }
    }
}

/// Whether `m`, from someone else, mentions `me` (the server's rule for `mention_count`).
fn mentions_me(m: &WireMessage, me: &str) -> bool {
    m.sender != me && tidings_protocol::bodies::mentions(&m.body, me)
}

/// The `Edited` event of an `edit` entry that carries a new body.
fn edited_event(m: &WireMessage) -> Option<ClientEvent> {
    if m.kind != "edit" {
        return None;
    }
    let body = m.body.get("body").filter(|b| b.is_object())?;
    Some(ClientEvent::Edited {
        conv: m.conv.clone(),
        seq: m.body.get("seq")?.as_u64()?,
        body: body.to_string(),
        edited_at: m.body.get("edited_at").and_then(serde_json::Value::as_i64).unwrap_or(m.ts),
    })
}

/// A pushed message: store it, then pull the gap if its seq skipped ahead of the cursor.
async fn on_push(inner: &Arc<Inner>, m: &WireMessage) -> Result<(), SdkError> {
    // A conversation never seen before: learn its title (and kind) from the server's list.
    if inner.store.ensure_conversation(&ConvFacts::from_id(&m.conv, &inner.me()?)).await? {
        let inner = inner.clone();
        tokio::spawn(async move { refresh_conversations(&inner).await });
    }
    absorb(inner, m, true).await?;
    after_seq_seen(inner, &m.conv, m.seq).await
}

/// A seq the server assigned is known (push or ack): move the cursor, sync any gap below it,
/// and report the conversation.
async fn after_seq_seen(inner: &Inner, conv: &str, seq: u64) -> Result<(), SdkError> {
    inner.store.note_seq(conv, seq).await?;
    let cursor = inner.store.advance_cursor(conv, 0).await?;
    if cursor < seq {
        tracing::debug!(%conv, cursor, seq, "gap: syncing");
        inner.sync_queue.request(conv);
    }
    inner.conversation_changed(conv).await
}

/// The server stored an own message.
pub(crate) async fn apply_ack(
    inner: &Inner,
    conv: &str,
    client_msg_id: &str,
    seq: u64,
    msg_id: &str,
    ts: i64,
) -> Result<(), SdkError> {
    let me = inner.me()?;
    let before = inner.store.own_message(&me, client_msg_id).await?;
    let after = inner.store.mark_sent(&me, client_msg_id, seq, msg_id, ts).await?;
    if before.is_some_and(|m| m.status != MessageStatus::Sent) {
        inner.events.emit(ClientEvent::MessageStatusChanged {
            conv: conv.to_owned(),
            client_msg_id: client_msg_id.to_owned(),
            status: MessageStatus::Sent,
            seq: after.and_then(|m| m.seq),
            reason: None,
        });
    }
    after_seq_seen(inner, conv, seq).await
}

async fn on_read(inner: &Inner, conv: &str, user_id: &str, seq: u64) -> Result<(), SdkError> {
    if user_id == inner.me()? {
        inner.store.set_server_read(conv, seq).await?;
        if inner.store.set_read(conv, seq).await? {
            inner.conversation_changed(conv).await?;
        }
    } else {
        inner.store.set_peer_read(conv, seq).await?;
        inner.events.emit(ClientEvent::ReadReceipt { conv: conv.to_owned(), user_id: user_id.to_owned(), seq });
    }
    Ok(())
}

/// This user's position in a thread moved (here or on another device): the conversation's
/// `threads` count is the server's.
async fn on_thread_read(inner: &Inner, conv: &str, threads: u64) -> Result<(), SdkError> {
    inner.store.set_threads(conv, threads).await?;
    inner.conversation_changed(conv).await
}

/// After each (re)connect: learn new conversations and read positions from the server's list,
/// push reads made offline, sync every conversation from its cursor, and flush the outbox.
pub(crate) async fn on_connected(inner: Arc<Inner>) {
    inner.outbox_kick.notify_one();
    refresh_conversations(&inner).await;
    match inner.store.conversation_ids().await {
        Ok(ids) => ids.iter().for_each(|c| inner.sync_queue.request(c)),
        Err(e) => tracing::warn!(error = %e, "could not read conversations"),
    }
}

/// The key under which the last conversation list's `version` is kept.
const LIST_VERSION_KEY: &str = "list_version";

/// The server's change counter moved (a `pong`): a push may have been missed. Fetches the
/// conversation rows changed since the last list and syncs those whose newest message is past
/// what this device holds; a device that missed nothing makes one small REST call.
pub(crate) async fn catch_up(inner: Arc<Inner>) {
    let since = inner.store.get_kv(LIST_VERSION_KEY).await.ok().flatten();
    let list = match list_pages(&inner, since.as_deref()).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(error = %e, "could not list changed conversations; syncing the known ones");
            on_connected(inner).await;
            return;
        }
    };
    for s in &list.conversations {
        match inner.store.merge_summary(s).await {
            Ok(merged) if merged.mute_changed => {
                let _ = inner.conversation_changed(&s.conv).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not store a conversation row"),
        }
        match inner.store.cursor(&s.conv).await {
            Ok(cursor) if cursor >= s.max_seq => {}
            _ => inner.sync_queue.request(&s.conv),
        }
    }
    let _ = inner.store.set_kv(LIST_VERSION_KEY, Some(&list.version.to_string())).await;
}

/// Most pages of the conversation list one refresh follows.
const MAX_LIST_PAGES: usize = 100;

/// The whole conversation list (or the rows changed since `since`), following the server's
/// `next_before` page after page (a page holds at most `limits.max_conversations` rows); the
/// answer's `version` is the first page's, the oldest, so the next increment misses nothing.
async fn list_pages(inner: &Inner, since: Option<&str>) -> Result<ConversationList, SdkError> {
    let mut all: Option<ConversationList> = None;
    let mut before: Option<String> = None;
    for _ in 0..MAX_LIST_PAGES {
        let mut path = "/api/v1/conversations?limit=500".to_owned();
        if let Some(version) = since {
            path.push_str(&format!("&since_version={version}"));
        }
        if let Some(cursor) = &before {
            path.push_str(&format!("&before={cursor}"));
        }
        let page = inner.rest.call::<ConversationList>(Method::GET, &path, None).await?;
        before = page.next_before.clone();
        match &mut all {
            None => all = Some(page),
            Some(list) => list.conversations.extend(page.conversations),
        }
        if before.is_none() {
            break;
        }
    }
    Ok(all.unwrap_or(ConversationList { conversations: Vec::new(), version: 0, next_before: None }))
}

/// Merges the server's conversation list into the store (titles, kinds, read positions, new
/// conversations) and pushes reads made offline.
async fn refresh_conversations(inner: &Inner) {
    match list_pages(inner, None).await {
        Ok(list) => {
            let _ = inner.store.set_kv(LIST_VERSION_KEY, Some(&list.version.to_string())).await;
            for s in &list.conversations {
                match inner.store.merge_summary(s).await {
                    Ok(merged) => {
                        if merged.read_seq > s.read_seq {
                            let _ = inner.link.post(&ClientFrame::Read { conv: s.conv.clone(), seq: merged.read_seq });
                        }
                        if merged.mute_changed {
                            let _ = inner.conversation_changed(&s.conv).await;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not store a conversation row"),
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list conversations; syncing the known ones"),
    }
}
