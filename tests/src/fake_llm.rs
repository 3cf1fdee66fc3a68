//! A fake OpenAI-compatible chat completions API on loopback for the bot tests: a real HTTP/1.1
//! server answering `POST /v1/chat/completions` with what a test's decider says for the request
//! (a text, streamed as server-sent events when the request asks for `"stream": true`, else a
//! whole JSON answer with `usage`; an error status; garbage; a slow answer), and handing every
//! request to the test.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::receiver::{Received, read_request};

/// What the fake model answers.
#[derive(Debug, Clone)]
pub enum LlmReply {
    /// This text (streamed in a few events, or whole, as the request asks).
    Text(String),
    /// This HTTP status with a JSON error body.
    Status(u16),
    /// HTTP 200 with a body that is not the API's.
    Garbage,
    /// This text after a wait.
    Slow(Duration, String),
}

type Decider = Arc<dyn Fn(&Value) -> LlmReply + Send + Sync>;

/// A running fake model API.
pub struct FakeLlm {
    /// `http://127.0.0.1:{port}/v1`: the base URL a bot is given.
    pub base_url: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl FakeLlm {
    /// Starts the API answering each request with `decide(request body)`.
    pub async fn start(decide: impl Fn(&Value) -> LlmReply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind fake llm: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("fake llm addr: {e}"));
        let (tx, rx) = mpsc::unbounded_channel();
        let decide: Decider = Arc::new(decide);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (tx, decide) = (tx.clone(), decide.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, tx, decide).await;
                });
            }
        });
        Self { base_url: format!("http://127.0.0.1:{port}/v1"), rx }
    }

    /// Every request received so far.
    pub fn drain(&mut self) -> Vec<Received> {
        let mut out = Vec::new();
        while let Ok(r) = self.rx.try_recv() {
            out.push(r);
        }
        out
    }

    /// Waits up to `wait` for the next request.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        tokio::time::timeout(wait, self.rx.recv()).await.ok().flatten()
    }
}

/// The text of the last `user` message of a request.
pub fn last_user_text(req: &Value) -> String {
    req["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|l| l["role"] == "user"))
        .and_then(|l| l["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Reads one request, answers it, and closes the connection (every answer is delimited by
/// the close, as a streamed one must be without chunked encoding).
async fn serve(mut stream: TcpStream, tx: mpsc::UnboundedSender<Received>, decide: Decider) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream, &mut Vec::new()).await? else { return Ok(()) };
    let req: Value = serde_json::from_str(&request.body).unwrap_or(Value::Null);
    let reply = decide(&req);
    let status = match &reply {
        LlmReply::Status(s) => *s,
        _ => 200,
    };
    let _ = tx.send(request.answered(status));
    let text = match reply {
        LlmReply::Status(s) => {
            let body = json!({"error": {"message": "fake failure", "type": "server_error"}}).to_string();
            return write_whole(&mut stream, s, "application/json", &body).await;
        }
        LlmReply::Garbage => return write_whole(&mut stream, 200, "text/html", "<html>oops</html>").await,
        LlmReply::Text(t) => t,
        LlmReply::Slow(wait, t) => {
            tokio::time::sleep(wait).await;
            t
        }
    };
    if req["stream"] == true {
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n").await?;
        // A few events, split mid-word, with a pause between them.
        let chars: Vec<char> = text.chars().collect();
        for part in chars.chunks(4) {
            let part: String = part.iter().collect();
            let event = json!({"choices": [{"index": 0, "delta": {"content": part}}]});
            stream.write_all(format!("data: {event}\n\n").as_bytes()).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        stream.write_all(b"data: [DONE]\n\n").await?;
        stream.shutdown().await
    } else {
        let body = json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        });
        write_whole(&mut stream, 200, "application/json", &body.to_string()).await
    }
}

async fn write_whole(stream: &mut TcpStream, status: u16, content_type: &str, body: &str) -> std::io::Result<()> {
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}
