//! Threads: replying in a thread (a message whose body names the root in `thread_root`), a
//! thread's page from the server (stored like any history), and the read position in a thread.

use reqwest::Method;
use serde_json::json;
use tidings_protocol::threads::{ThreadPageResponse, ThreadReadResponse};

use crate::SdkError;
use crate::client::{Client, MAX_PAGE};
use crate::pins::conv_path;
use crate::types::{Message, ThreadPage};

impl Client {
    /// Sends `text` as a reply in the thread of message `root` of `conv` (through the outbox,
    /// like [`Client::send_text`]).
    pub async fn send_thread_reply(&self, conv: String, root: u64, text: String) -> Result<Message, SdkError> {
        let body = json!({ "text": text, "thread_root": root });
        self.send_message(conv, "text".into(), body.to_string()).await
    }

    /// The root of thread `root` and up to `limit` (1–200) of its replies below `before_seq`
    /// (the newest when `None`), ascending. Fetched from the server and stored; offline, the
    /// store's copy of the root and the replies it holds.
    pub async fn thread(
        &self,
        conv: String,
        root: u64,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<ThreadPage, SdkError> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(SdkError::InvalidInput { message: format!("limit must be 1..={MAX_PAGE}") });
        }
        let inner = self.inner();
        let me = inner.me()?;
        let mut path = format!("/api/v1/conversations/{}/threads/{root}?limit={limit}", conv_path(&conv)?);
        if let Some(before) = before_seq {
            path.push_str(&format!("&before_seq={before}"));
        }
        match inner.rest.call::<ThreadPageResponse>(Method::GET, &path, None).await {
            // Stored first, then read back like the offline page: the store's copies carry what
            // entries stored earlier did to them.
            Ok(page) => {
                crate::receive::absorb(inner, &page.root, false).await?;
                for m in &page.messages {
                    crate::receive::absorb(inner, m, false).await?;
                }
                let root = self
                    .stored(&conv, root)
                    .await?
                    .ok_or_else(|| SdkError::Store { message: "thread root not stored".into() })?;
                let replies = inner.store.thread_replies(&conv, page.root.seq, before_seq, limit).await?;
                Ok(ThreadPage { root, replies: inner.store.annotate(&me, replies).await?, has_more: page.has_more })
            }
            Err(SdkError::Network { .. } | SdkError::Timeout) => {
                let root = self.stored(&conv, root).await?.ok_or(SdkError::Network {
                    message: "offline, and the thread's root is not in the store".into(),
                })?;
                let replies = inner.store.thread_replies(&conv, root.seq.unwrap_or(0), before_seq, limit).await?;
                Ok(ThreadPage { root, replies: inner.store.annotate(&me, replies).await?, has_more: false })
            }
            Err(e) => Err(e),
        }
    }

    /// Marks the thread of `root` read up to `seq` on the server; returns the position (0 when
    /// this user does not follow the thread). The conversation's `threads` count is updated.
    pub async fn read_thread(&self, conv: String, root: u64, seq: u64) -> Result<u64, SdkError> {
        let inner = self.inner();
        let path = format!("/api/v1/conversations/{}/threads/{root}/read", conv_path(&conv)?);
        let done: ThreadReadResponse = inner.rest.call(Method::POST, &path, Some(json!({ "seq": seq }))).await?;
        inner.store.set_threads(&conv, done.threads).await?;
        Ok(done.read_seq)
    }

    /// A stored message with its reactions and thread summary.
    async fn stored(&self, conv: &str, seq: u64) -> Result<Option<Message>, SdkError> {
        let inner = self.inner();
        let Some(m) = inner.store.message_at(conv, seq).await? else { return Ok(None) };
        Ok(inner.store.annotate(&inner.me()?, vec![m]).await?.pop())
    }
}
