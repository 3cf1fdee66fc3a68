//! A tiny HTTP receiver on loopback for webhook tests: answers each request with the next
//! status of a script (then 200), and hands every request it got to the test.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::client::WAIT;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request line, e.g. `POST /hook HTTP/1.1`.
    pub request_line: String,
    /// Headers, names in lowercase.
    pub headers: HashMap<String, String>,
    /// Body as text.
    pub body: String,
    /// The status it was answered with.
    pub answered: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("webhook body is not JSON ({e}): {}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// A running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:{port}/hook`.
    pub url: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    /// Starts a receiver that answers with `script` in order, then 200 forever.
    pub async fn start(script: Vec<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind receiver: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("receiver addr: {e}"));
        let (tx, rx) = mpsc::unbounded_channel();
        let script = Arc::new(script);
        let served = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (tx, script, served) = (tx.clone(), script.clone(), served.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, tx, script, served).await;
                });
            }
        });
        Self { url: format!("http://127.0.0.1:{port}/hook"), rx }
    }

    /// The next request; panics after [`WAIT`].
    pub async fn next(&mut self) -> Received {
        self.next_within(WAIT).await.unwrap_or_else(|| panic!("no webhook request within {WAIT:?}"))
    }

    /// The next request within `wait`, if any.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        tokio::time::timeout(wait, self.rx.recv()).await.ok().flatten()
    }
}

/// One HTTP/1.1 request as the loopback servers of the tests read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Request line, e.g. `POST /hook HTTP/1.1`.
    pub request_line: String,
    /// Headers, names in lowercase.
    pub headers: HashMap<String, String>,
    /// Body as text (`content-length` bytes).
    pub body: String,
}

impl Request {
    /// What the test gets, once the request was answered with `status`.
    pub fn answered(self, status: u16) -> Received {
        Received { request_line: self.request_line, headers: self.headers, body: self.body, answered: status }
    }
}

/// Reads the next request from `stream`, starting with what `buf` already holds; bytes past it
/// stay in `buf` for the next request of a kept-alive connection. `None` when the peer closed
/// before a whole request came.
pub async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Request>> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + 4 + len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + len]).into_owned();
    buf.drain(..head_end + 4 + len);
    Ok(Some(Request { request_line, headers, body }))
}

async fn serve(
    mut stream: TcpStream,
    tx: mpsc::UnboundedSender<Received>,
    script: Arc<Vec<u16>>,
    served: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream, &mut Vec::new()).await? else { return Ok(()) };
    let i = served.fetch_add(1, Ordering::SeqCst);
    let status = script.get(i).copied().unwrap_or(200);
    let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    stream.write_all(reply.as_bytes()).await?;
    let _ = stream.shutdown().await;
    let _ = tx.send(request.answered(status));
    Ok(())
}

/// Checks `X-Tidings-Signature` (`t={ms},v1={hex hmac}`) the way a receiver should: recompute
/// HMAC-SHA256(secret, "{t}.{body}") and compare.
pub fn signature_ok(secret: &str, header: &str, body: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(format!("{t}.{body}").as_bytes());
    let Ok(given) = hex::decode(v1) else { return false };
    mac.verify_slice(&given).is_ok()
}
