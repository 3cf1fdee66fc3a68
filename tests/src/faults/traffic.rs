//! The traffic of a run: one task per device, and a generator that hands new messages to
//! random devices at a bounded total rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::cluster::Topology;
use super::device::{self, Control, Phase, Shared};
use super::record::{DeviceLog, Outgoing};
use super::rng::Rng;
use super::setup::World;

/// The running devices and generator.
pub struct Traffic {
    ctl: watch::Sender<Control>,
    shared: Arc<Shared>,
    devices: Vec<JoinHandle<DeviceLog>>,
    senders: Vec<mpsc::UnboundedSender<Outgoing>>,
    generator: Option<(watch::Sender<bool>, JoinHandle<u64>)>,
    final_rx: mpsc::UnboundedReceiver<usize>,
}

impl Traffic {
    /// Starts one task per device of `world`; each connects to its home instance.
    pub fn start(world: &World, topo: Arc<Topology>, heartbeat: Duration) -> Self {
        let (final_tx, final_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            topo,
            online: AtomicUsize::new(0),
            next_conn: AtomicU64::new(0),
            final_done: final_tx,
            heartbeat,
        });
        let (ctl, ctl_rx) = watch::channel(Control { phase: Phase::Run, rebalance: 0 });
        let mut devices = Vec::new();
        let mut senders = Vec::new();
        for spec in &world.devices {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            devices.push(tokio::spawn(device::run(spec.clone(), Arc::clone(&shared), rx, ctl_rx.clone())));
        }
        Self { ctl, shared, devices, senders, generator: None, final_rx }
    }

    /// Devices connected now.
    pub fn online(&self) -> usize {
        self.shared.online.load(Ordering::Relaxed)
    }

    /// Waits until every device is connected (at most `within`); whether they are.
    pub async fn wait_online(&self, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if self.online() == self.devices.len() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Starts the generator: `rate` new messages a second in total, each from a random device
    /// (chosen with `seed`) into a random conversation of its user.
    pub fn start_sending(&mut self, world: &World, rate: f64, seed: u64) {
        let convs: Vec<(String, Vec<String>)> =
            world.devices.iter().map(|d| (d.name.clone(), d.convs.clone())).collect();
        let senders = self.senders.clone();
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(generate(convs, senders, rate, seed, stop_rx));
        self.generator = Some((stop, task));
    }

    /// Asks devices away from their home instance to go back to it.
    pub fn rebalance(&self) {
        self.ctl.send_modify(|c| c.rebalance += 1);
    }

    /// Stops creating messages (devices keep resending the unacked ones); how many were created.
    pub async fn stop_sending(&mut self) -> anyhow::Result<u64> {
        let Some((stop, task)) = self.generator.take() else { return Ok(0) };
        stop.send_replace(true);
        task.await.context("the generator failed")
    }

    /// Asks every device for a final catch-up and waits (at most `within`) until all report it
    /// done; how many did.
    pub async fn final_catch_up(&mut self, within: Duration) -> usize {
        self.ctl.send_modify(|c| c.phase = Phase::Final);
        let deadline = tokio::time::Instant::now() + within;
        let mut done = std::collections::BTreeSet::new();
        while done.len() < self.devices.len() {
            match tokio::time::timeout_at(deadline, self.final_rx.recv()).await {
                Ok(Some(d)) => {
                    done.insert(d);
                }
                _ => break,
            }
        }
        done.len()
    }

    /// Ends every device and returns their records, in device order.
    pub async fn finish(mut self) -> anyhow::Result<Vec<DeviceLog>> {
        let _ = self.stop_sending().await;
        self.ctl.send_modify(|c| c.phase = Phase::Done);
        let mut logs = Vec::with_capacity(self.devices.len());
        for (i, task) in self.devices.into_iter().enumerate() {
            let abort = task.abort_handle();
            match tokio::time::timeout(Duration::from_secs(20), task).await {
                Ok(Ok(log)) => logs.push(log),
                Ok(Err(e)) => anyhow::bail!("device {i} failed: {e}"),
                Err(_) => {
                    abort.abort();
                    anyhow::bail!("device {i} did not stop within 20 s");
                }
            }
        }
        Ok(logs)
    }
}

async fn generate(
    devices: Vec<(String, Vec<String>)>,
    senders: Vec<mpsc::UnboundedSender<Outgoing>>,
    rate: f64,
    seed: u64,
    mut stop: watch::Receiver<bool>,
) -> u64 {
    let mut rng = Rng::new(seed ^ 0x0074_7261_6666_6963);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.clamp(0.1, 10_000.0)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let d = rng.below(devices.len());
        let (name, convs) = &devices[d];
        if convs.is_empty() {
            continue;
        }
        let conv = convs[rng.below(convs.len())].clone();
        n += 1;
        let out =
            Outgoing { cmid: format!("c{n:07}"), text: format!("m{n} from {name}"), conv, created: Instant::now() };
        let _ = senders[d].send(out);
    }
    n
}
