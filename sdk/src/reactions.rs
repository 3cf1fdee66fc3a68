//! Reacting to a message: a REST call whose answer, the `reaction` entry's ack, is applied to
//! the store at once (its push to this device is then a duplicate).

use reqwest::Method;
use serde_json::json;
use tidings_protocol::WireMessage;
use tidings_protocol::reactions::ReactRequest;
use tidings_protocol::rest::SendMessageResponse;

use crate::SdkError;
use crate::client::Client;

impl Client {
    /// Turns `emoji` on (`on`) or off on message `seq` of `conv`. Doing what is already done
    /// changes nothing (the server writes nothing and answers `duplicate`).
    pub async fn react(&self, conv: String, seq: u64, emoji: String, on: bool) -> Result<(), SdkError> {
        if emoji.is_empty() || emoji.len() > 64 {
            return Err(SdkError::InvalidInput { message: "emoji: 1 to 64 bytes".into() });
        }
        let inner = self.inner();
        let path = format!("/api/v1/conversations/{conv}/messages/{seq}/reactions");
        let body = serde_json::to_value(ReactRequest { emoji: emoji.clone(), on })?;
        let ack: SendMessageResponse = inner.rest.call(Method::POST, &path, Some(body)).await?;
        if ack.duplicate || ack.seq == 0 {
            return Ok(());
        }
        let me = inner.me()?;
        let entry = WireMessage {
            conv: conv.clone(),
            seq: ack.seq,
            msg_id: ack.msg_id,
            sender: me.clone(),
            client_msg_id: ack.client_msg_id,
            kind: "reaction".into(),
            body: json!({ "seq": seq, "emoji": emoji, "on": on, "by": me }),
            ts: ack.ts,
            edited_at: None,
            reactions: Vec::new(),
            thread: None,
        };
        crate::receive::absorb(inner, &entry, true).await?;
        inner.store.note_seq(&conv, ack.seq).await?;
        inner.store.advance_cursor(&conv, 0).await?;
        inner.conversation_changed(&conv).await
    }
}
