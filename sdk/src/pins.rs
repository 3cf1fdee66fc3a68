//! Pinned messages: pin and unpin through the server (the `pin` entry then reaches every
//! device, this one included, and the store applies it), and the list, from the server when it
//! answers (the store keeps it) or from the store offline.

use reqwest::Method;
use serde_json::json;
use tidings_protocol::pins::PinList;
use tidings_protocol::rest::SendMessageResponse;

use crate::SdkError;
use crate::client::Client;
use crate::types::PinnedMessage;

impl Client {
    /// Pins message `seq` of `conv` for everyone (group owners and admins; either side of a
    /// direct chat). Returns the seq of the `pin` entry.
    pub async fn pin(&self, conv: String, seq: u64) -> Result<u64, SdkError> {
        let path = format!("/api/v1/conversations/{}/pins", conv_path(&conv)?);
        let ack: SendMessageResponse = self.inner().rest.call(Method::POST, &path, Some(json!({ "seq": seq }))).await?;
        Ok(ack.seq)
    }

    /// Unpins message `seq` of `conv`. Returns the seq of the `pin` entry.
    pub async fn unpin(&self, conv: String, seq: u64) -> Result<u64, SdkError> {
        let path = format!("/api/v1/conversations/{}/pins/{seq}", conv_path(&conv)?);
        let ack: SendMessageResponse = self.inner().rest.call(Method::DELETE, &path, None).await?;
        Ok(ack.seq)
    }

    /// The pinned messages of `conv`, the most recently pinned first: the server's list when it
    /// answers (kept in the store, with the messages), else the store's.
    pub async fn pins(&self, conv: String) -> Result<Vec<PinnedMessage>, SdkError> {
        let inner = self.inner();
        let path = format!("/api/v1/conversations/{}/pins", conv_path(&conv)?);
        match inner.rest.call::<PinList>(Method::GET, &path, None).await {
            Ok(list) => {
                let mut rows = Vec::with_capacity(list.pins.len());
                for p in &list.pins {
                    crate::receive::absorb(inner, &p.message, false).await?;
                    rows.push((p.message.seq, p.pinned_by.clone(), p.pinned_at));
                }
                inner.store.replace_pins(&conv, &rows).await?;
            }
            Err(SdkError::Network { .. } | SdkError::Timeout) => {}
            Err(e) => return Err(e),
        }
        let mut out = Vec::new();
        for (seq, pinned_by, pinned_at) in inner.store.pins(&conv).await? {
            if let Some(message) = inner.store.message_at(&conv, seq).await? {
                out.push(PinnedMessage { message, pinned_by, pinned_at });
            }
        }
        Ok(out)
    }
}

/// A conversation id goes into a URL path: `d:` and `g:` ids only.
pub(crate) fn conv_path(conv: &str) -> Result<&str, SdkError> {
    let ok = (conv.starts_with("d:") || conv.starts_with("g:"))
        && conv.len() <= 96
        && conv.chars().all(|c| c.is_ascii_alphanumeric() || "_-:".contains(c));
    if ok { Ok(conv) } else { Err(SdkError::InvalidInput { message: format!("bad conversation id {conv:?}") }) }
}
