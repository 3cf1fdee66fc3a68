//! One WebSocket connection: the handshake with the session's token, then a loop that writes
//! queued frames, pings on a timer, notices silence and hands every server frame to the
//! receive logic.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tidings_protocol::rest::ErrorBody;
use tidings_protocol::{ClientFrame, ServerFrame};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::SdkError;
use crate::client::Inner;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Close code of a server-side logout (device limit, remote logout).
const CLOSE_KICKED: u16 = 4001;

/// Why a handshake failed.
pub(super) enum OpenError {
    /// No session to connect with.
    NoSession,
    /// The server refused the token.
    Unauthorized,
    /// The server could not be reached or broke the handshake.
    Network(String),
}

/// How a connection ended.
pub(super) enum End {
    /// The client asked to stop.
    Stopped,
    /// The server logged this device out.
    Kicked(String),
    /// The server is draining: reconnect after `after_ms`, to `url` when it named one.
    Moved {
        /// The hinted server base URL.
        url: Option<String>,
        /// How long to wait first.
        after_ms: u64,
    },
    /// Anything else: reconnect.
    Lost(String),
}

/// Opens `/ws` on `server` with the session's token.
pub(super) async fn open(inner: &Inner, server: &str) -> Result<Ws, OpenError> {
    let token = match inner.sessions.access_token(&inner.rest).await {
        Ok(t) => t,
        Err(SdkError::NotLoggedIn | SdkError::SessionExpired) => return Err(OpenError::NoSession),
        Err(e) => return Err(OpenError::Network(e.to_string())),
    };
    let base = server.replacen("http", "ws", 1);
    let url = format!("{base}/ws?token={token}");
    let timeout = Duration::from_millis(inner.config.request_timeout_ms);
    match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) if resp.status().as_u16() == 401 => {
            let code = resp
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<ErrorBody>(b).ok())
                .map(|b| b.error.code)
                .unwrap_or_default();
            tracing::info!(%code, "handshake refused");
            Err(OpenError::Unauthorized)
        }
        Ok(Err(e)) => Err(OpenError::Network(e.to_string())),
        Err(_) => Err(OpenError::Network("handshake timed out".into())),
    }
}

/// Runs a connection until it ends.
pub(super) async fn serve(inner: &Arc<Inner>, ws: Ws, stop: &mut watch::Receiver<bool>) -> End {
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    inner.link.attach(tx);
    // The first pong sets the change counter's baseline; the catch-up below covers before it.
    let _ = inner.link.post(&ClientFrame::Ping {});
    tokio::spawn(crate::receive::on_connected(inner.clone()));
    let heartbeat = Duration::from_secs(inner.config.heartbeat_secs);
    let mut ticker = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
    let mut last_heard = Instant::now();
    let mut kicked: Option<String> = None;
    let mut moved: Option<(Option<String>, u64)> = None;
    // The user's change counter in the previous pong: when it moves, a push may have been missed.
    let mut changes: Option<u64> = None;
    let end = loop {
        tokio::select! {
            _ = stop.changed() => {
                let _ = sink.send(WsMessage::Close(None)).await;
                break End::Stopped;
            }
            Some(text) = rx.recv() => {
                if let Err(e) = sink.send(WsMessage::text(text)).await {
                    break End::Lost(format!("write failed: {e}"));
                }
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > super::run::silence_limit(inner.config.heartbeat_secs) {
                    break End::Lost("heartbeat timeout".into());
                }
                let _ = inner.link.post(&ClientFrame::Ping {});
                // Keep the token fresh while connected, so REST calls and the next handshake work.
                let inner = inner.clone();
                tokio::spawn(async move { let _ = inner.sessions.access_token(&inner.rest).await; });
            }
            incoming = stream.next() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(WsMessage::Text(text))) => match serde_json::from_str::<ServerFrame>(text.as_str()) {
                        Ok(ServerFrame::Kicked { reason }) => kicked = Some(reason),
                        // The server closes once our accepted sends are acked; keep reading till then.
                        Ok(ServerFrame::Reconnect { url, after_ms, .. }) => moved = Some((url, after_ms)),
                        Ok(ServerFrame::Pong { changes: Some(now) }) => {
                            if changes.is_some_and(|before| before != now) {
                                tokio::spawn(crate::receive::catch_up(inner.clone()));
                            }
                            changes = Some(now);
                        }
                        Ok(frame) => crate::receive::on_frame(inner, frame).await,
                        Err(e) => tracing::debug!(error = %e, "ignoring a frame this SDK does not know"),
                    },
                    Some(Ok(WsMessage::Close(frame))) => {
                        let code = frame.as_ref().map_or(1005, |f| u16::from(f.code));
                        if code == CLOSE_KICKED || kicked.is_some() {
                            break End::Kicked(kicked.take().unwrap_or_else(|| "kicked".into()));
                        }
                        if let Some((url, after_ms)) = moved.take() {
                            break End::Moved { url, after_ms };
                        }
                        let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                        break End::Lost(format!("closed by server ({code} {why})").trim_end().to_owned());
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None if moved.is_some() => {
                        let (url, after_ms) = moved.take().unwrap_or_default();
                        break End::Moved { url, after_ms };
                    }
                    Some(Err(e)) => break End::Lost(e.to_string()),
                    None => break End::Lost("connection closed".into()),
                }
            }
        }
    };
    inner.link.detach();
    if matches!(end, End::Stopped) {
        let _ = sink.close().await;
    }
    end
}
