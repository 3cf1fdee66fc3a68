//! A loopback TCP proxy in front of one dependency (Redis or RabbitMQ) of one instance, whose
//! link the harness can cut or hang.
//!
//! Modes: `pass` forwards; `cut` closes every open connection and closes each new one as soon
//! as it is accepted; `hang` keeps every socket open (and accepts new ones) but reads and
//! forwards nothing either way, so the kernel buffers fill and the peers block, as behind a
//! black-holed link. Back to `pass`, new connections are forwarded; connections that were
//! hung either resume with the bytes they held ([`HangHeal::Resume`], the default: a partition
//! short enough for TCP to survive) or are closed ([`HangHeal::Close`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Close open connections; close new ones at once.
    Cut,
    /// Keep sockets open, forward nothing.
    Hang,
}

/// What happens to a hung connection when the proxy goes back to `pass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HangHeal {
    /// It forwards again, starting with the bytes held during the hang.
    Resume,
    /// It is closed (both sides); the peer reconnects.
    Close,
}

/// Counters of one proxy.
#[derive(Debug, Default)]
struct Stats {
    accepted: AtomicU64,
    refused: AtomicU64,
    open: AtomicU64,
}

/// A running proxy; dropping it closes its listener and every connection.
pub struct Proxy {
    port: u16,
    mode: watch::Sender<Mode>,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr, heal: HangHeal) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (mode, rx) = watch::channel(Mode::Pass);
        let stats = Arc::new(Stats::default());
        let task = tokio::spawn(accept_loop(listener, upstream, rx, heal, Arc::clone(&stats)));
        Ok(Self { port, mode, stats, task })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Switches the mode; takes effect on every connection at once.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Connections accepted and forwarded, refused (closed at accept during a cut), open now.
    pub fn counts(&self) -> (u64, u64, u64) {
        let s = &self.stats;
        (s.accepted.load(Ordering::Relaxed), s.refused.load(Ordering::Relaxed), s.open.load(Ordering::Relaxed))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.mode.send_replace(Mode::Cut);
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    mode: watch::Receiver<Mode>,
    heal: HangHeal,
    stats: Arc<Stats>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        if *mode.borrow() == Mode::Cut {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            drop(client);
            continue;
        }
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        let (mode, stats) = (mode.clone(), Arc::clone(&stats));
        tokio::spawn(async move {
            stats.open.fetch_add(1, Ordering::Relaxed);
            serve(client, upstream, mode, heal).await;
            stats.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// One proxied connection: both directions until either ends, the mode cuts it, or (with
/// [`HangHeal::Close`]) a hang it went through heals.
async fn serve(client: TcpStream, upstream: SocketAddr, mode: watch::Receiver<Mode>, heal: HangHeal) {
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_rd, client_wr) = client.into_split();
    let (server_rd, server_wr) = server.into_split();
    tokio::select! {
        () = pump(client_rd, server_wr, mode.clone(), heal) => {}
        () = pump(server_rd, client_wr, mode, heal) => {}
    }
}

/// Copies one direction, reading nothing while the mode is `hang`.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut mode: watch::Receiver<Mode>, heal: HangHeal) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut hung = false;
    loop {
        if !wait_pass(&mut mode, &mut hung, heal).await {
            return;
        }
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        };
        // A hang that began while these bytes were read holds them until it heals.
        if !wait_pass(&mut mode, &mut hung, heal).await {
            return;
        }
        let mut cut = mode.clone();
        tokio::select! {
            r = to.write_all(&buf[..n]) => if r.is_err() { return },
            () = until_cut(&mut cut) => return,
        }
    }
}

/// Waits while the mode is `hang`; false when the connection must end (cut, proxy gone, or a
/// healed hang under [`HangHeal::Close`]).
async fn wait_pass(mode: &mut watch::Receiver<Mode>, hung: &mut bool, heal: HangHeal) -> bool {
    loop {
        let now = *mode.borrow_and_update();
        match now {
            Mode::Pass => return !(*hung && heal == HangHeal::Close),
            Mode::Cut => return false,
            Mode::Hang => {
                *hung = true;
                if mode.changed().await.is_err() {
                    return false;
                }
            }
        }
    }
}

/// Resolves when the mode becomes `cut` (or the proxy is gone).
async fn until_cut(mode: &mut watch::Receiver<Mode>) {
    loop {
        if *mode.borrow_and_update() == Mode::Cut {
            return;
        }
        if mode.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// An echo server on 127.0.0.1:0.
    async fn echo() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn roundtrip(s: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
        s.write_all(b"ping").await.ok()?;
        let mut buf = [0u8; 4];
        match tokio::time::timeout(wait, s.read_exact(&mut buf)).await {
            Ok(Ok(_)) => Some(buf.to_vec()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn pass_hang_resume_and_cut() {
        let proxy = Proxy::start(echo().await, HangHeal::Resume).await.unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], proxy.port()));
        let mut s = TcpStream::connect(addr).await.unwrap();
        assert_eq!(roundtrip(&mut s, Duration::from_secs(2)).await.as_deref(), Some(&b"ping"[..]));

        proxy.set(Mode::Hang);
        assert_eq!(roundtrip(&mut s, Duration::from_millis(300)).await, None, "nothing passes a hang");
        let mut during = TcpStream::connect(addr).await.unwrap();
        assert_eq!(roundtrip(&mut during, Duration::from_millis(300)).await, None, "new connections hang too");
        proxy.set(Mode::Pass);
        let mut buf = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf, b"ping", "the held bytes go through after the heal");

        proxy.set(Mode::Cut);
        let mut one = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(2), s.read(&mut one)).await.unwrap();
        assert!(matches!(read, Ok(0) | Err(_)), "a cut closes open connections");
        let mut fresh = TcpStream::connect(addr).await.unwrap();
        let read = tokio::time::timeout(Duration::from_secs(2), fresh.read(&mut one)).await.unwrap();
        assert!(matches!(read, Ok(0) | Err(_)), "and new ones");
        assert!(proxy.counts().1 >= 1);
    }

    #[tokio::test]
    async fn a_healed_hang_closes_under_close() {
        let proxy = Proxy::start(echo().await, HangHeal::Close).await.unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], proxy.port()));
        let mut s = TcpStream::connect(addr).await.unwrap();
        assert!(roundtrip(&mut s, Duration::from_secs(2)).await.is_some());
        proxy.set(Mode::Hang);
        tokio::time::sleep(Duration::from_millis(100)).await;
        proxy.set(Mode::Pass);
        let mut one = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(2), s.read(&mut one)).await.unwrap();
        assert!(matches!(read, Ok(0) | Err(_)), "the hung connection is closed at the heal");
        let mut fresh = TcpStream::connect(addr).await.unwrap();
        assert!(roundtrip(&mut fresh, Duration::from_secs(2)).await.is_some(), "new connections pass");
    }
}
