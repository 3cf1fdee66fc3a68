//! A device's WebSocket life: connect (its home instance first, then the next one that is up),
//! run a session until the link drops, it is told to reconnect or the run ends, and again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::cluster::Topology;
use super::record::{DeviceLog, Outgoing};
use super::setup::DeviceSpec;
use super::state::DeviceState;

/// A WebSocket handshake (TCP included) that takes longer fails.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const TICK: Duration = Duration::from_millis(100);
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Traffic and faults (and the settle period).
    Run,
    /// Every device catches up once more.
    Final,
    /// Close and stop.
    Done,
}

/// What the harness tells every device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// The phase.
    pub phase: Phase,
    /// Bumped to ask devices away from their home instance to go back to it.
    pub rebalance: u64,
}

/// What all devices share.
pub struct Shared {
    /// Where instances listen.
    pub topo: Arc<Topology>,
    /// Devices connected now.
    pub online: AtomicUsize,
    /// Connection ids.
    pub next_conn: AtomicU64,
    /// Each device sends its index here when its final catch-up completed.
    pub final_done: mpsc::UnboundedSender<usize>,
    /// Ping interval.
    pub heartbeat: Duration,
}

enum Ended {
    Lost,
    Rebalance,
    Done,
}

struct Io {
    jobs: mpsc::UnboundedReceiver<Outgoing>,
    jobs_open: bool,
    ctl: watch::Receiver<Control>,
    seen_rebalance: u64,
    final_started: bool,
}

/// Runs one device until the phase is [`Phase::Done`]; its record.
pub async fn run(
    spec: DeviceSpec,
    shared: Arc<Shared>,
    jobs: mpsc::UnboundedReceiver<Outgoing>,
    ctl: watch::Receiver<Control>,
) -> DeviceLog {
    let mut st = DeviceState::new(spec.idx, spec.convs.clone(), shared.heartbeat);
    let seen_rebalance = ctl.borrow().rebalance;
    let mut io = Io { jobs, jobs_open: true, ctl, seen_rebalance, final_started: false };
    let mut target = spec.home;
    loop {
        let c = *io.ctl.borrow_and_update();
        if c.phase == Phase::Done {
            break;
        }
        if c.phase == Phase::Final && !io.final_started {
            io.final_started = true;
            st.start_final(Instant::now(), &mut Vec::new());
        }
        if c.rebalance != io.seen_rebalance {
            io.seen_rebalance = c.rebalance;
            target = spec.home;
        }
        while let Ok(job) = io.jobs.try_recv() {
            st.add_job(job, Instant::now(), &mut Vec::new());
        }
        let connected = tokio::select! {
            c = connect_any(&shared.topo, target, &spec.login.access_token) => c,
            r = io.ctl.changed() => if r.is_err() { break } else { continue },
        };
        let Some((instance, ws)) = connected else {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
                r = io.ctl.changed() => if r.is_err() { break },
            }
            continue;
        };
        shared.online.fetch_add(1, Ordering::Relaxed);
        let ended = session(&mut st, ws, instance, &spec, &shared, &mut io).await;
        shared.online.fetch_sub(1, Ordering::Relaxed);
        target = match ended {
            Ended::Done => break,
            Ended::Rebalance => spec.home,
            Ended::Lost => (instance + 1) % shared.topo.len().max(1),
        };
    }
    st.finish()
}

/// The first instance, from `start` on, that is up and completes a handshake in time.
async fn connect_any(topo: &Topology, start: usize, token: &str) -> Option<(usize, Ws)> {
    let nodes = topo.nodes();
    for k in 0..nodes.len() {
        let i = (start + k) % nodes.len();
        if !nodes[i].up {
            continue;
        }
        let url = format!("ws://127.0.0.1:{}/ws?token={token}", nodes[i].port);
        if let Ok(Ok((ws, _))) = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url)).await {
            return Some((i, ws));
        }
    }
    None
}

async fn session(
    st: &mut DeviceState,
    ws: Ws,
    instance: usize,
    spec: &DeviceSpec,
    shared: &Shared,
    io: &mut Io,
) -> Ended {
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
    let (mut sink, mut stream) = ws.split();
    let mut frames = Vec::new();
    st.on_open(conn, instance, Instant::now(), &mut frames);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut close: Option<(&'static str, Ended)> = None;
    loop {
        if !frames.is_empty() && !write_all(&mut sink, &mut frames).await {
            close = close.or(Some(("write failed or stalled", Ended::Lost)));
        }
        if st.take_final_done() {
            let _ = shared.final_done.send(spec.idx);
        }
        if let Some((why, ended)) = close {
            let _ = tokio::time::timeout(Duration::from_millis(500), sink.close()).await;
            st.on_close(Instant::now(), why);
            return ended;
        }
        tokio::select! {
            m = stream.next() => {
                let now = Instant::now();
                match m {
                    Some(Ok(Message::Text(t))) => match serde_json::from_str::<Value>(t.as_str()) {
                        Ok(v) => st.on_frame(&v, now, &mut frames),
                        Err(_) => st.on_life(now),
                    },
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => close = Some(("closed by the server", Ended::Lost)),
                    Some(Ok(_)) => st.on_life(now),
                }
            }
            j = io.jobs.recv(), if io.jobs_open => match j {
                Some(job) => st.add_job(job, Instant::now(), &mut frames),
                None => io.jobs_open = false,
            },
            _ = tick.tick() => {
                if let Some(why) = st.on_tick(Instant::now(), &mut frames) {
                    close = Some((why, Ended::Lost));
                }
            }
            r = io.ctl.changed() => {
                close = if r.is_err() { Some(("run ended", Ended::Done)) } else { control(st, io, spec, shared, &mut frames) };
            }
        }
    }
}

/// Applies a change of [`Control`] on an open connection.
fn control(
    st: &mut DeviceState,
    io: &mut Io,
    spec: &DeviceSpec,
    shared: &Shared,
    frames: &mut Vec<String>,
) -> Option<(&'static str, Ended)> {
    let c = *io.ctl.borrow_and_update();
    if c.phase == Phase::Done {
        return Some(("run ended", Ended::Done));
    }
    if c.phase == Phase::Final && !io.final_started {
        io.final_started = true;
        st.start_final(Instant::now(), frames);
    }
    if c.rebalance != io.seen_rebalance {
        io.seen_rebalance = c.rebalance;
        let home_up = shared.topo.node(spec.home).is_some_and(|n| n.up);
        if home_up && st.instance() != Some(spec.home) {
            return Some(("rebalance: back to its home instance", Ended::Rebalance));
        }
    }
    None
}

/// Writes the frames, all within [`WRITE_TIMEOUT`] (a stopped peer stalls writes).
async fn write_all(sink: &mut SplitSink<Ws, Message>, frames: &mut Vec<String>) -> bool {
    let batch = std::mem::take(frames);
    let write = async {
        for f in batch {
            sink.feed(Message::text(f)).await?;
        }
        sink.flush().await
    };
    matches!(tokio::time::timeout(WRITE_TIMEOUT, write).await, Ok(Ok(())))
}
