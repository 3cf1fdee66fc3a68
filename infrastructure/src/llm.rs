//! The [`ChatModel`] over HTTP: an OpenAI-compatible `POST {base_url}/chat/completions`, either
//! answered whole (`choices[0].message.content`) or streamed as server-sent events
//! (`data: {"choices":[{"delta":{"content":…}}]}` lines, ended by `data: [DONE]`), bounded by
//! a total timeout and a size cap. The key goes only into the `Authorization` header.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tidings_domain::bots::{ChatAnswer, ChatRequest, ModelError};
use tidings_domain::ports::ChatModel;

/// Largest answer read (the whole body, streamed or not); a longer one is garbage.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Calls the chat completions API each bot names.
pub struct HttpChatModel {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpChatModel {
    /// A client giving up on a request (connecting, waiting and reading) after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tidings-bots/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, timeout })
    }

    async fn call(&self, req: &ChatRequest) -> Result<ChatAnswer, ModelError> {
        let e = &req.endpoint;
        let url = format!("{}/chat/completions", e.base_url.trim_end_matches('/'));
        let messages: Vec<Value> =
            req.lines.iter().map(|l| json!({"role": l.role.as_str(), "content": l.content})).collect();
        let body = json!({
            "model": e.model,
            "messages": messages,
            "temperature": e.temperature,
            "stream": e.stream,
        });
        let mut http = self.client.post(url).json(&body);
        if !e.api_key.is_empty() {
            http = http.bearer_auth(e.api_key.expose());
        }
        let mut resp = http.send().await.map_err(failure)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(ModelError::Status(status.as_u16()));
        }
        let mut raw: Vec<u8> = Vec::new();
        let mut sse = SseAnswer::default();
        while let Some(chunk) = resp.chunk().await.map_err(failure)? {
            if raw.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ModelError::Garbage(format!("answer over {MAX_ANSWER_BYTES} bytes")));
            }
            raw.extend_from_slice(&chunk);
            if e.stream {
                sse.feed(&mut raw)?;
                if sse.done {
                    break;
                }
            }
        }
        let answer = if e.stream { sse.finish(&raw)? } else { whole(&raw)? };
        if answer.text.trim().is_empty() {
            return Err(ModelError::Garbage("an empty answer".into()));
        }
        Ok(answer)
    }
}

#[async_trait]
impl ChatModel for HttpChatModel {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatAnswer, ModelError> {
        // The client's timeout covers the body too; this one also covers a trickling stream.
        tokio::time::timeout(self.timeout, self.call(request)).await.unwrap_or(Err(ModelError::Timeout))
    }
}

fn failure(e: reqwest::Error) -> ModelError {
    if e.is_timeout() {
        ModelError::Timeout
    } else if e.is_connect() {
        ModelError::Unreachable(e.to_string())
    } else {
        ModelError::Garbage(e.to_string())
    }
}

/// The reported `usage`, if the object has one.
fn usage(v: &Value) -> Option<(u64, u64)> {
    let u = v.get("usage")?;
    Some((u.get("prompt_tokens")?.as_u64()?, u.get("completion_tokens")?.as_u64()?))
}

/// A whole (not streamed) answer.
fn whole(raw: &[u8]) -> Result<ChatAnswer, ModelError> {
    let v: Value = serde_json::from_slice(raw).map_err(|e| ModelError::Garbage(format!("not JSON: {e}")))?;
    let text = v
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| ModelError::Garbage("no choices[0].message.content".into()))?;
    Ok(ChatAnswer { text: text.to_owned(), usage: usage(&v) })
}

/// A streamed answer as its events arrive.
#[derive(Default)]
struct SseAnswer {
    text: String,
    usage: Option<(u64, u64)>,
    /// Events read that carried a chunk (or `[DONE]`).
    events: usize,
    done: bool,
}

impl SseAnswer {
    /// Consumes the complete lines at the front of `raw`.
    fn feed(&mut self, raw: &mut Vec<u8>) -> Result<(), ModelError> {
        while let Some(end) = raw.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = raw.drain(..=end).collect();
            self.line(&line)?;
            if self.done {
                break;
            }
        }
        Ok(())
    }

    /// One line: `data: …` events count, comments and other fields pass.
    fn line(&mut self, line: &[u8]) -> Result<(), ModelError> {
        let line = std::str::from_utf8(line).map_err(|_| ModelError::Garbage("not UTF-8".into()))?;
        let Some(data) = line.trim_end_matches(['\r', '\n']).strip_prefix("data:") else {
            return Ok(());
        };
        let data = data.trim_start();
        self.events += 1;
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let v: Value = serde_json::from_str(data).map_err(|e| ModelError::Garbage(format!("an event: {e}")))?;
        if let Some(part) = v.pointer("/choices/0/delta/content").and_then(Value::as_str) {
            self.text.push_str(part);
        }
        if let Some(u) = usage(&v) {
            self.usage = Some(u);
        }
        Ok(())
    }

    /// The answer once the body ended (a last line without its newline counts).
    fn finish(mut self, rest: &[u8]) -> Result<ChatAnswer, ModelError> {
        if !self.done && !rest.is_empty() {
            self.line(rest)?;
        }
        if self.events == 0 {
            return Err(ModelError::Garbage("no events in a streamed answer".into()));
        }
        Ok(ChatAnswer { text: self.text, usage: self.usage })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_are_joined_across_chunks() {
        let mut sse = SseAnswer::default();
        let mut raw = b"data: {\"choices\":[{\"delta\":{\"content\":\"Hel".to_vec();
        sse.feed(&mut raw).unwrap();
        raw.extend_from_slice(b"lo\"}}]}\n\n: keep-alive\ndata: {\"choices\":[{\"delta\":{\"content\":\" you\"}}]}\n");
        sse.feed(&mut raw).unwrap();
        raw.extend_from_slice(b"data: [DONE]\n\n");
        sse.feed(&mut raw).unwrap();
        assert!(sse.done);
        assert_eq!(sse.finish(&raw).unwrap().text, "Hello you");
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(whole(b"<html>"), Err(ModelError::Garbage(_))));
        assert!(matches!(SseAnswer::default().finish(b"<html>"), Err(ModelError::Garbage(_))));
        let mut raw = b"data: nope\n".to_vec();
        assert!(SseAnswer::default().feed(&mut raw).is_err());
    }
}
