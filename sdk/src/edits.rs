//! Editing an own text message. The server answers with the ack of the `edit` entry it wrote;
//! the entry itself is fetched right after (one small history page) and stored like any entry,
//! so the store holds exactly the body the server kept (the original's `reply_to`, with its
//! quote, is kept by the server whatever the edit says) and the server's `edited_at`.

use reqwest::Method;
use serde_json::{Value, json};
use tidings_protocol::edits::EditRequest;
use tidings_protocol::rest::{MessagePage, SendMessageResponse};

use crate::SdkError;
use crate::client::Client;

impl Client {
    /// Replaces the text of own text message `seq` (within the server's edit window). Errors
    /// like [`Client::recall`]: `forbidden` (not own, not a text, window passed), `conflict`
    /// (recalled), `seq_out_of_range`, and the body checks of a send.
    pub async fn edit(&self, conv: String, seq: u64, text: String) -> Result<(), SdkError> {
        self.edit_message(conv, seq, json!({ "text": text }).to_string()).await
    }

    /// [`Client::edit`] with a whole text body as JSON (mentions, `mention_all`).
    pub async fn edit_message(&self, conv: String, seq: u64, body_json: String) -> Result<(), SdkError> {
        let body: Value = serde_json::from_str(&body_json)
            .map_err(|e| SdkError::InvalidInput { message: format!("body is not JSON: {e}") })?;
        if !body.is_object() {
            return Err(SdkError::InvalidInput { message: "body must be a JSON object".into() });
        }
        let inner = self.inner();
        let path = format!("/api/v1/conversations/{conv}/messages/{seq}/edit");
        let request = serde_json::to_value(EditRequest { body })?;
        let ack: SendMessageResponse = inner.rest.call(Method::POST, &path, Some(request)).await?;
        // The entry as stored; if this fetch fails, its push or the next sync brings it.
        let page = format!("/api/v1/conversations/{conv}/messages?after_seq={}&limit=1", ack.seq.saturating_sub(1));
        match inner.rest.call::<MessagePage>(Method::GET, &page, None).await {
            Ok(page) => {
                for m in &page.messages {
                    crate::receive::absorb(inner, m, true).await?;
                }
            }
            Err(e) => tracing::debug!(error = %e, "the edit entry will come by push or sync"),
        }
        inner.store.note_seq(&conv, ack.seq).await?;
        inner.store.advance_cursor(&conv, 0).await?;
        inner.conversation_changed(&conv).await
    }
}
