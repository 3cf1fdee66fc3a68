//! What the content-rule benchmarks need beside W2: a before-send hook on loopback that allows
//! everything (a real HTTP/1.1 server with kept-alive connections, as a business system would
//! run one), and a word list of realistic size posted through the admin API.

use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The answer of every hook call.
const ALLOW: &str = "{\"action\":\"allow\"}";

/// Serves `{"action":"allow"}` to every POST on `127.0.0.1:{port}` until `timeout` passes.
pub async fn serve_hook(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.with_context(|| format!("binding port {port}"))?;
    let accept = async {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = serve(stream).await;
            });
        }
    };
    let _ = tokio::time::timeout(timeout, accept).await;
    Ok(())
}

/// One kept-alive connection: reads each request (head and `content-length` body), answers.
async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let reply =
        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{ALLOW}", ALLOW.len());
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
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
        let len = content_length(&buf[..head_end]);
        while buf.len() < head_end + 4 + len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..head_end + 4 + len);
        stream.write_all(reply.as_bytes()).await?;
    }
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The Chinese characters of W2 `--text`'s vocabulary.
const W2_CHARS: &str = "部署方案会议预算发布客户报告明天请看文档进度计划";

/// `n` distinct words, deterministic: two thirds 2-4 CJK characters, one third 7-11 ASCII
/// letters ending in `qx`.
pub fn words(n: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    while seen.len() < n {
        let r = next();
        let word: String = if r % 3 == 0 {
            let len = 5 + (r >> 8) % 5;
            (0..len).map(|i| char::from(b'a' + ((r >> (12 + i * 5)) % 26) as u8)).chain(['q', 'x']).collect()
        } else {
            let len = 2 + (r >> 8) % 3;
            (0..len).filter_map(|i| char::from_u32(0x7E00 + ((r >> (12 + i * 13)) % 0x1800) as u32)).collect()
        };
        // Nothing W2 sends contains a word: W2 measures the check, not refusals.
        if !word.chars().any(|c| W2_CHARS.contains(c)) {
            seen.insert(word);
        }
    }
    let mut out: Vec<String> = seen.into_iter().collect();
    out.sort_unstable();
    out
}

/// Logs in as the administrator and posts one list of `n` words with `action`.
pub async fn seed_filter(server: &str, admin: &str, password: &str, n: usize, action: &str) -> anyhow::Result<()> {
    crate::check_loopback(server)?;
    let http = reqwest::Client::new();
    let login = json!({"username": admin, "password": password, "device_id": "bench-admin", "platform": "desktop"});
    let resp = http.post(format!("{server}/api/v1/auth/login")).json(&login).send().await?;
    anyhow::ensure!(resp.status().is_success(), "admin login: {}", resp.status());
    let token = resp.json::<serde_json::Value>().await?["access_token"].as_str().unwrap_or_default().to_owned();
    let list = json!({"name": format!("bench-{n}"), "action": action, "words": words(n)});
    let resp = http.post(format!("{server}/admin/v1/filters")).bearer_auth(token).json(&list).send().await?;
    let status = resp.status();
    anyhow::ensure!(status.is_success(), "posting the list: {status} {}", resp.text().await.unwrap_or_default());
    Ok(())
}
