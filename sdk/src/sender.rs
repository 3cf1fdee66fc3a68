//! The outbox worker: sends queued messages in order, each with its own client_msg_id, waits
//! for the ack, and retries (same client_msg_id, so the server stores it once) after a timeout,
//! a lost connection or a retryable refusal (after a pause that doubles with each refusal in a
//! row), until the attempts run out.

use std::sync::Arc;
use std::time::Duration;

use tidings_protocol::{ClientFrame, ServerFrame};
use tokio::sync::watch;

use crate::SdkError;
use crate::client::Inner;
use crate::conn::backoff::Backoff;
use crate::events::ClientEvent;
use crate::receive::apply_ack;
use crate::store::OutboxItem;
use crate::types::MessageStatus;

/// Refusals that may pass on a later try (`content_check_unavailable`: the server's content
/// hook is down and it fails closed); anything else (`content_rejected` included) fails the
/// message at once.
const RETRYABLE: &[&str] = &["busy", "rate_limited", "internal", "content_check_unavailable"];
/// Even without a kick, look at the outbox this often (a retry after a refusal waits for it).
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// Runs until `stop`, sending whenever it is kicked (new message, new connection).
pub(crate) async fn run(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = inner.outbox_kick.notified() => {}
            _ = tokio::time::sleep(IDLE_CHECK) => {}
            _ = stop.changed() => return,
        }
        // Stopping drops a drain mid-way: safe, every store write is its own transaction.
        tokio::select! {
            r = drain(&inner) => if let Err(e) = r {
                tracing::warn!(error = %e, "outbox paused");
            },
            _ = stop.changed() => return,
        }
    }
}

/// Sends queued messages while the connection is up.
async fn drain(inner: &Inner) -> Result<(), SdkError> {
    let timeout = Duration::from_millis(inner.config.ack_timeout_ms);
    // Refusals in a row (`busy`, `rate_limited`) back off exponentially with jitter, so a crowd
    // of clients refused by an overloaded server does not come back at once; an ack resets it.
    let mut refused = Backoff::new(inner.config.backoff_initial_ms, inner.config.backoff_max_ms);
    while inner.link.is_up() {
        let Some(item) = inner.store.outbox_next().await? else { return Ok(()) };
        if item.attempts >= inner.config.max_send_attempts {
            fail(inner, &item, "retries_exhausted").await?;
            continue;
        }
        let body: serde_json::Value = serde_json::from_str(&item.body)?;
        let id = inner.link.next_id();
        let frame = ClientFrame::Send {
            id: id.clone(),
            conv: item.conv.clone(),
            client_msg_id: item.client_msg_id.clone(),
            kind: item.kind.clone(),
            body,
        };
        inner.store.outbox_attempted(&item.client_msg_id).await?;
        tracing::debug!(client_msg_id = %item.client_msg_id, attempt = item.attempts + 1, "sending");
        match inner.link.request(&id, &frame, timeout).await {
            Ok(ServerFrame::Ack { conv, client_msg_id, seq, msg_id, ts, .. }) => {
                refused.reset();
                apply_ack(inner, &conv, &client_msg_id, seq, &msg_id, ts).await?;
            }
            Ok(ServerFrame::Error { code, retry_after_ms, .. }) if RETRYABLE.contains(&code.as_str()) => {
                // The server's hint when it gives one (rate limits do), never less than the backoff.
                let hint = Duration::from_millis(retry_after_ms.unwrap_or(0).min(30_000));
                let wait = refused.next_delay().max(hint);
                tracing::debug!(client_msg_id = %item.client_msg_id, %code, wait_ms = wait.as_millis() as u64, "send refused; retrying");
                tokio::time::sleep(wait).await;
            }
            // The server is draining: the next connection (elsewhere) kicks the outbox again and
            // this message goes out there, same client_msg_id.
            Ok(ServerFrame::Error { code, .. }) if code == "draining" => return Ok(()),
            Ok(ServerFrame::Error { code, .. }) => fail(inner, &item, &code).await?,
            Ok(other) => tracing::warn!(?other, "unexpected answer to send"),
            // No answer in time: the next round sends it again with the same client_msg_id.
            Err(SdkError::Timeout) => {}
            // The connection went away: the next connection kicks the outbox again.
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

async fn fail(inner: &Inner, item: &OutboxItem, reason: &str) -> Result<(), SdkError> {
    let me = inner.me()?;
    tracing::info!(client_msg_id = %item.client_msg_id, %reason, "message failed");
    inner.store.mark_failed(&me, &item.client_msg_id).await?;
    inner.events.emit(ClientEvent::MessageStatusChanged {
        conv: item.conv.clone(),
        client_msg_id: item.client_msg_id.clone(),
        status: MessageStatus::Failed,
        seq: None,
        reason: Some(reason.to_owned()),
    });
    inner.conversation_changed(&item.conv).await
}
