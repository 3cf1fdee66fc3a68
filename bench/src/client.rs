//! Setting up load: users and device logins over REST, WebSocket connections bound to a spread
//! of loopback source addresses (so many connections do not exhaust one address's ports).

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::{Context, anyhow};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// A client's WebSocket connection.
pub type Ws = WebSocketStream<TcpStream>;

/// A logged-in device.
#[derive(Debug, Clone)]
pub struct Device {
    /// User id.
    pub user_id: String,
    /// Access token.
    pub token: String,
}

/// Registers (if needed) and logs in `count` devices of users `{prefix}{i / per_user}`,
/// `parallel` requests at a time, against `base` (`http://127.0.0.1:8080`).
pub async fn devices(
    base: &str,
    prefix: &str,
    count: usize,
    per_user: usize,
    parallel: usize,
) -> anyhow::Result<Vec<Device>> {
    let http = reqwest::Client::new();
    let per_user = per_user.max(1);
    let users = count.div_ceil(per_user);
    futures_util::stream::iter(0..users)
        .map(|u| {
            let http = http.clone();
            async move {
                let body = json!({"username": format!("{prefix}{u}"), "password": "bench-password"});
                let resp = http.post(format!("{base}/api/v1/auth/register")).json(&body).send().await?;
                anyhow::ensure!(
                    resp.status().is_success() || resp.status().as_u16() == 409,
                    "register: {}",
                    resp.status()
                );
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(parallel)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<()>>>()?;
    futures_util::stream::iter(0..count)
        .map(|i| {
            let http = http.clone();
            async move {
                let body = json!({"username": format!("{prefix}{}", i / per_user), "password": "bench-password",
                                  "device_id": format!("dev{i}"), "platform": "other"});
                let resp: Value = http
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&body)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                Ok(Device {
                    user_id: resp["user_id"].as_str().ok_or_else(|| anyhow!("no user_id"))?.to_owned(),
                    token: resp["access_token"].as_str().ok_or_else(|| anyhow!("no token"))?.to_owned(),
                })
            }
        })
        .buffered(parallel)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Opens `/ws` on `base` as `token`, from source address `127.0.0.{source}`.
pub async fn connect(base: &str, token: &str, source: u8) -> anyhow::Result<WebSocketStream<TcpStream>> {
    connect_with(base, token, source, None).await
}

/// What a connection that mostly idles reads into: tungstenite zero-fills its whole read buffer
/// (128 KiB by default) on every read, so a held idle connection cost the load generator
/// 128 KiB of resident memory. Frames larger than this still arrive whole (the buffer grows
/// for them); they take a few more reads.
pub const LEAN_READ_BUFFER: usize = 1024;

/// [`connect`] with a [`LEAN_READ_BUFFER`]: for the many idle connections of W1.
pub async fn connect_lean(base: &str, token: &str, source: u8) -> anyhow::Result<Ws> {
    connect_with(base, token, source, Some(WebSocketConfig::default().read_buffer_size(LEAN_READ_BUFFER))).await
}

async fn connect_with(base: &str, token: &str, source: u8, config: Option<WebSocketConfig>) -> anyhow::Result<Ws> {
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let addr: SocketAddr =
        tokio::net::lookup_host(hostport).await?.next().ok_or_else(|| anyhow!("cannot resolve {hostport}"))?;
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, source.max(1)), 0)))?;
    let stream = socket.connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let url = format!("ws://{hostport}/ws?token={token}");
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, config).await?;
    Ok(ws)
}

/// Whether a failed [`connect`] was the server refusing for now (`503` busy or `429`): worth
/// trying again after a pause.
pub fn is_retryable_refusal(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<tokio_tungstenite::tungstenite::Error>(),
        Some(tokio_tungstenite::tungstenite::Error::Http(res)) if res.status() == 503 || res.status() == 429
    )
}

/// The direct conversation of two users.
pub fn direct(a: &str, b: &str) -> String {
    if a < b { format!("d:{a}:{b}") } else { format!("d:{b}:{a}") }
}
