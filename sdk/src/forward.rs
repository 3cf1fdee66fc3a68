//! Forwarding messages to other conversations, through the server; the copies come into the
//! store by sync of each target, like any message this device did not write.

use reqwest::Method;
use tidings_protocol::forward::{ForwardRequest, ForwardResponse};

use crate::SdkError;
use crate::client::Client;
use crate::store::ConvFacts;
use crate::types::ForwardOutcome;

impl Client {
    /// Forwards messages `seqs` of `from` to each conversation of `to`: one copy per message,
    /// or with `merged` one message of kind `forward` carrying them all. `client_msg_id` names
    /// the forward (a retry with the same id stores nothing twice). One outcome per target.
    pub async fn forward(
        &self,
        from: String,
        seqs: Vec<u64>,
        to: Vec<String>,
        merged: bool,
        client_msg_id: String,
    ) -> Result<Vec<ForwardOutcome>, SdkError> {
        let inner = self.inner();
        let path = format!("/api/v1/conversations/{}/forward", crate::pins::conv_path(&from)?);
        let body = serde_json::to_value(ForwardRequest { seqs, to, merged, client_msg_id })?;
        let done: ForwardResponse = inner.rest.call(Method::POST, &path, Some(body)).await?;
        let me = inner.me()?;
        let mut out = Vec::with_capacity(done.results.len());
        for r in done.results {
            let seqs: Vec<u64> = r.acks.iter().map(|a| a.seq).collect();
            if let Some(top) = seqs.iter().max() {
                inner.store.ensure_conversation(&ConvFacts::from_id(&r.conv, &me)).await?;
                inner.store.note_seq(&r.conv, *top).await?;
                inner.sync_queue.request(&r.conv);
            }
            out.push(ForwardOutcome { conv: r.conv, seqs, error_code: r.error.map(|e| e.code) });
        }
        Ok(out)
    }
}
