//! The socket after the handshake, spoken byte by byte: the gateway takes WebSockets over from
//! the HTTP/1 dispatcher, so framing, fragments, control frames and refused upgrades are its
//! own work and are checked here without a WebSocket library in between.

use std::time::Duration;

use serde_json::Value;
use tidings_tests::{Backend, spawn_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);
const TEXT: u8 = 0x1;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// A client frame: masked, as RFC 6455 requires of clients.
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![if fin { 0x80 | opcode } else { opcode }];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

fn handshake(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// A server frame: (fin, opcode, payload).
type RawFrame = (bool, u8, Vec<u8>);

/// A raw connection: what was read and not yet parsed stays in `buf`.
struct Raw {
    io: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    async fn open(port: u16, first_bytes: &[u8]) -> Self {
        let mut io = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        io.write_all(first_bytes).await.unwrap();
        Self { io, buf: Vec::new() }
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(WAIT, self.io.read(&mut chunk)).await.expect("server went silent").unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// The response head (status line and headers).
    async fn head(&mut self) -> (u16, String) {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(self.buf.drain(..end + 4).collect()).unwrap();
                let status = head.split(' ').nth(1).unwrap().parse().unwrap();
                return (status, head);
            }
            assert!(self.fill().await, "closed before a response head");
        }
    }

    /// Everything up to the end of the stream (the body of a response sent with `close`).
    async fn rest(&mut self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut self.buf)
    }

    /// The next server frame: (fin, opcode, payload).
    async fn frame(&mut self) -> Option<RawFrame> {
        loop {
            if let Some((frame, used)) = parse(&self.buf) {
                self.buf.drain(..used);
                return Some(frame);
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The next text frame as JSON, skipping control frames.
    async fn json(&mut self) -> Value {
        loop {
            let (_, opcode, payload) = self.frame().await.expect("closed before a text frame");
            if opcode == TEXT {
                return serde_json::from_slice(&payload).unwrap();
            }
        }
    }
}

/// Parses one unmasked server frame from the front of `buf`.
fn parse(buf: &[u8]) -> Option<(RawFrame, usize)> {
    let (b0, b1) = (*buf.first()?, *buf.get(1)?);
    assert_eq!(b1 & 0x80, 0, "server frames are not masked");
    let (len, at) = match b1 & 0x7f {
        126 => (u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize, 4),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    let payload = buf.get(at..at + len)?.to_vec();
    Some(((b0 & 0x80 != 0, b0 & 0x0f, payload), at + len))
}

/// Fragments, a control frame between them, and bytes sent before the `101` arrived.
async fn fragments_and_bytes_sent_with_the_handshake_arrive_whole(backend: Backend) {
    let srv = spawn_server(backend).await;
    let alice = srv.api.user("alice", "a1").await;
    // The request and a first frame in one write: the frame was read with the handshake and must
    // not be lost when the socket changes hands.
    let mut first = handshake(&format!("/ws?token={}", alice.access_token)).into_bytes();
    first.extend(frame(true, TEXT, br#"{"type":"ping"}"#));
    let mut raw = Raw::open(srv.port(), &first).await;
    let (status, head) = raw.head().await;
    assert_eq!(status, 101, "{head}");
    assert!(head.to_ascii_lowercase().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");
    assert_eq!(raw.json().await["type"], "pong");

    // One `ping` frame in three fragments, with a WebSocket ping between the second and third.
    let text = br#"{"type":"ping"}"#;
    let mut bytes = frame(false, TEXT, &text[..5]);
    bytes.extend(frame(false, CONTINUATION, &text[5..9]));
    bytes.extend(frame(true, PING, b"are you there"));
    bytes.extend(frame(true, CONTINUATION, &text[9..]));
    raw.io.write_all(&bytes).await.unwrap();
    assert_eq!(raw.frame().await, Some((true, PONG, b"are you there".to_vec())));
    assert_eq!(raw.json().await["type"], "pong");

    // A reply larger than one small write: a sync result of 40 messages, each 2 KB.
    let bob = srv.api.user("bob", "b1").await;
    let conv = tidings_tests::client::direct(&alice.user_id, &bob.user_id);
    let mut sender = tidings_tests::client::WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let pad = "y".repeat(2000);
    for i in 0..40 {
        sender.send_text(&conv, &format!("m{i}"), &pad).await;
        sender.wait_for("ack").await;
    }
    for _ in 0..40 {
        assert_eq!(raw.json().await["type"], "msg");
    }
    let sync = format!(r#"{{"type":"sync","id":"s1","conv":"{conv}","after_seq":0,"limit":50}}"#);
    raw.io.write_all(&frame(true, TEXT, sync.as_bytes())).await.unwrap();
    let result = raw.json().await;
    assert_eq!(result["type"], "sync_result", "{result}");
    assert_eq!(result["messages"].as_array().unwrap().len(), 40);

    // A close is answered with a close, and the server ends the stream.
    raw.io.write_all(&frame(true, CLOSE, &1000u16.to_be_bytes())).await.unwrap();
    let (_, opcode, payload) = raw.frame().await.expect("a close frame");
    assert_eq!((opcode, &payload[..2]), (CLOSE, &1000u16.to_be_bytes()[..]));
    assert!(raw.frame().await.is_none(), "the stream ends after the close");
}

/// Upgrade requests the gateway does not admit get the app's HTTP answer, then the socket
/// closes; nothing is registered.
async fn refused_upgrades_get_the_http_answer(backend: Backend) {
    let srv = spawn_server(backend).await;
    let alice = srv.api.user("alice", "a1").await;
    let cases = [
        (handshake("/ws"), 401, "unauthorized"),
        (handshake("/ws?token=nonsense"), 401, "unauthorized"),
        (handshake("/no-such-place"), 404, "not_found"),
        (
            handshake(&format!("/ws?token={}", alice.access_token)).replace("Version: 13", "Version: 8"),
            400,
            "bad_frame",
        ),
    ];
    for (request, want, code) in cases {
        let mut raw = Raw::open(srv.port(), request.as_bytes()).await;
        let (status, head) = raw.head().await;
        assert_eq!(status, want, "{request}\n{head}");
        assert!(head.to_ascii_lowercase().contains("connection: close"), "{head}");
        let body: Value = serde_json::from_slice(&raw.rest().await).unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }
    // None of them left a connection behind.
    let metrics = reqwest::get(format!("http://127.0.0.1:{}/metrics", srv.port())).await.unwrap().text().await.unwrap();
    let live = metrics.lines().find(|l| l.starts_with("tidings_ws_connections ")).expect("a connections gauge");
    assert_eq!(live, "tidings_ws_connections 0", "{live}");
}

/// Broken framing closes that socket with 1002 (protocol error), text that is not UTF-8 with
/// 1007 (RFC 6455, 8.1); other clients are untouched.
async fn broken_framing_closes_with_1002(backend: Backend) {
    let srv = spawn_server(backend).await;
    let alice = srv.api.user("alice", "a1").await;
    let upgrade = handshake(&format!("/ws?token={}", alice.access_token));
    let unmasked = {
        let mut f = vec![0x81, 2];
        f.extend_from_slice(b"{}");
        f
    };
    let cases: [(&str, Vec<u8>, u16); 4] = [
        ("text that is not UTF-8", frame(true, TEXT, &[0xff, 0xfe, 0x7b]), 1007),
        (
            "fragmented text that is not UTF-8",
            [frame(false, TEXT, b"{\"a\":\""), frame(true, CONTINUATION, &[0xc3, 0x28])].concat(),
            1007,
        ),
        ("an unmasked client frame", unmasked, 1002),
        ("a continuation with no first fragment", frame(true, CONTINUATION, b"{}"), 1002),
    ];
    let other_device = srv.api.login("alice", "a2").await;
    let mut bystander = tidings_tests::client::WsClient::connect(&srv.ws_url(), &other_device.access_token).await;
    for (what, bytes, code) in cases {
        let mut raw = Raw::open(srv.port(), upgrade.as_bytes()).await;
        assert_eq!(raw.head().await.0, 101, "{what}");
        raw.io.write_all(&bytes).await.unwrap();
        let (_, opcode, payload) = raw.frame().await.unwrap_or_else(|| panic!("{what}: no close frame"));
        assert_eq!((opcode, &payload[..2]), (CLOSE, &code.to_be_bytes()[..]), "{what}");
    }
    bystander.send(serde_json::json!({"type": "ping"})).await;
    bystander.expect("pong").await;
}

tidings_tests::both_modes!(
    fragments_and_bytes_sent_with_the_handshake_arrive_whole,
    refused_upgrades_get_the_http_answer,
    broken_framing_closes_with_1002,
);
