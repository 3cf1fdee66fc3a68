//! A before-send hook on loopback for the content tests: a real HTTP/1.1 server (kept-alive
//! connections, as the server's client uses them) that answers each POST with what a test's
//! decider says for its JSON body, after an optional delay, and hands every request to the test.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::receiver::Received;

/// What the hook answers: status, body text, and how long it waits first.
#[derive(Debug, Clone)]
pub struct HookAnswer {
    /// HTTP status.
    pub status: u16,
    /// Response body.
    pub body: String,
    /// Wait before answering.
    pub delay: Duration,
}

impl HookAnswer {
    /// 200 with this JSON.
    pub fn json(v: Value) -> Self {
        Self { status: 200, body: v.to_string(), delay: Duration::ZERO }
    }
}

type Decider = Arc<dyn Fn(&Value) -> HookAnswer + Send + Sync>;

/// A running hook.
pub struct HookReceiver {
    /// `http://127.0.0.1:{port}/before-send`.
    pub url: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl HookReceiver {
    /// Starts a hook answering each request with `decide(body)`.
    pub async fn start(decide: impl Fn(&Value) -> HookAnswer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind hook: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("hook addr: {e}"));
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
        Self { url: format!("http://127.0.0.1:{port}/before-send"), rx }
    }

    /// Every request received so far.
    pub fn drain(&mut self) -> Vec<Received> {
        let mut out = Vec::new();
        while let Ok(r) = self.rx.try_recv() {
            out.push(r);
        }
        out
    }
}

/// Serves requests on one connection until the client closes it.
async fn serve(mut stream: TcpStream, tx: mpsc::UnboundedSender<Received>, decide: Decider) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers: std::collections::HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        while buf.len() < head_end + 4 + len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + len]).into_owned();
        buf.drain(..head_end + 4 + len);
        let answer = decide(&serde_json::from_str(&body).unwrap_or(Value::Null));
        if !answer.delay.is_zero() {
            tokio::time::sleep(answer.delay).await;
        }
        let reply = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            answer.status,
            answer.body.len(),
            answer.body
        );
        stream.write_all(reply.as_bytes()).await?;
        let _ = tx.send(Received { request_line, headers, body, answered: answer.status });
    }
}
