//! A before-send hook on loopback for the content tests: a real HTTP/1.1 server (kept-alive
//! connections, as the server's client uses them) that answers each POST with what a test's
//! decider says for its JSON body, after an optional delay, and hands every request to the test.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::receiver::{Received, read_request};

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
    while let Some(request) = read_request(&mut stream, &mut buf).await? {
        let answer = decide(&serde_json::from_str(&request.body).unwrap_or(Value::Null));
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
        let _ = tx.send(request.answered(answer.status));
    }
    Ok(())
}
