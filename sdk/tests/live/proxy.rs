//! A tiny TCP proxy on loopback between the SDK and a real server, so a test can cut the
//! connection at a chosen moment, refuse new connections, point at a restarted server, or drop
//! one WebSocket frame from the server (the frames are parsed only far enough to see them).

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A rule for the next server frame containing `needle`.
struct Rule {
    needle: String,
    sever: bool,
    /// Stays in force after a hit (drops every matching frame).
    every: bool,
}

#[derive(Default)]
struct Ctl {
    upstream: AtomicU16,
    refuse: AtomicBool,
    rules: Mutex<Vec<Rule>>,
    conns: Mutex<Vec<AbortHandle>>,
    dropped: AtomicUsize,
}

/// The proxy; dropping it stops accepting.
pub struct Proxy {
    port: u16,
    ctl: Arc<Ctl>,
    accept: AbortHandle,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let ctl = Arc::new(Ctl::default());
        ctl.upstream.store(upstream, Ordering::SeqCst);
        let c = ctl.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if c.refuse.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", c.upstream.load(Ordering::SeqCst))).await else {
                    continue;
                };
                let task = tokio::spawn(pipe(client, server, c.clone()));
                c.conns.lock().unwrap().push(task.abort_handle());
            }
        })
        .abort_handle();
        Self { port, ctl, accept }
    }

    /// `http://127.0.0.1:{port}`, to give the SDK as a server address.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// New connections go to `port` from now on.
    pub fn set_upstream(&self, port: u16) {
        self.ctl.upstream.store(port, Ordering::SeqCst);
    }

    /// While on, new connections are closed at once (the server looks down).
    pub fn set_refuse(&self, on: bool) {
        self.ctl.refuse.store(on, Ordering::SeqCst);
    }

    /// Cuts every open connection.
    pub fn sever(&self) {
        for c in self.ctl.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// Drops the next server frame containing `needle`; with `sever`, also cuts that connection
    /// right there (nothing after it reaches the client).
    pub fn drop_next(&self, needle: &str, sever: bool) {
        self.ctl.rules.lock().unwrap().push(Rule { needle: needle.to_owned(), sever, every: false });
    }

    /// Drops every server frame containing `needle` until [`Proxy::clear`].
    pub fn drop_every(&self, needle: &str) {
        self.ctl.rules.lock().unwrap().push(Rule { needle: needle.to_owned(), sever: false, every: true });
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.ctl.rules.lock().unwrap().clear();
    }

    /// How many frames were dropped.
    pub fn dropped(&self) -> usize {
        self.ctl.dropped.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.sever();
    }
}

async fn pipe(client: TcpStream, server: TcpStream, ctl: Arc<Ctl>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async move {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
    };
    let down = async move {
        let _ = server_to_client(&mut sr, &mut cw, &ctl).await;
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

/// Copies the HTTP answer; after a `101` answer, copies WebSocket frames one by one, applying
/// the drop rules to text frames.
async fn server_to_client(
    sr: &mut tokio::net::tcp::OwnedReadHalf,
    cw: &mut tokio::net::tcp::OwnedWriteHalf,
    ctl: &Ctl,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    // The HTTP head.
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sr.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let upgraded = buf.starts_with(b"HTTP/1.1 101");
    cw.write_all(&buf[..head_end]).await?;
    buf.drain(..head_end);
    if !upgraded {
        cw.write_all(&buf).await?;
        tokio::io::copy(sr, cw).await?;
        return Ok(());
    }
    loop {
        while let Some(len) = frame_len(&buf) {
            let frame: Vec<u8> = buf.drain(..len).collect();
            let opcode = frame[0] & 0x0f;
            let text = String::from_utf8_lossy(&frame);
            let hit = if opcode == 1 {
                let mut rules = ctl.rules.lock().unwrap();
                match rules.iter().position(|r| text.contains(&r.needle)) {
                    Some(i) if rules[i].every => {
                        Some(Rule { needle: String::new(), sever: rules[i].sever, every: true })
                    }
                    Some(i) => Some(rules.remove(i)),
                    None => None,
                }
            } else {
                None
            };
            match hit {
                Some(rule) => {
                    ctl.dropped.fetch_add(1, Ordering::SeqCst);
                    if rule.sever {
                        return Ok(());
                    }
                }
                None => cw.write_all(&frame).await?,
            }
        }
        let n = sr.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The length of the complete frame at the start of `buf`, if it is all there.
fn frame_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < 2 {
        return None;
    }
    let masked = buf[1] & 0x80 != 0;
    let (payload, mut header) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => (u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize, 10),
        126 | 127 => return None,
        n => (n as usize, 2),
    };
    if masked {
        header += 4;
    }
    (buf.len() >= header + payload).then_some(header + payload)
}
