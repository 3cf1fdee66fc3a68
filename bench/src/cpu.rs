//! Where the machine's CPU went during a run: the servers' share, their busiest thread's share,
//! the whole machine's busy share, read from `/proc` at the start and the end of a window.
//!
//! A serial stage shows as one thread near 100 % of a core while the machine has room; an idle
//! machine while latency climbs shows as a low busy share. Every throughput report carries
//! these figures so neither can hide behind a messages-per-second number.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

/// Clock ticks per second of `/proc` CPU times (`USER_HZ`, 100 on every Linux build we meet).
const TICKS_PER_SEC: f64 = 100.0;

/// One reading of the servers' threads and of the machine.
#[derive(Debug, Clone)]
pub struct CpuSnapshot {
    pids: Vec<u32>,
    at: Instant,
    /// (pid, tid) → (thread name, utime + stime ticks).
    threads: HashMap<(u32, u32), (String, u64)>,
    /// Machine-wide (busy ticks, all ticks) over every core, from `/proc/stat`.
    machine: (u64, u64),
}

/// CPU shares over a window, in percent of one core (a 2-core machine has 200 %).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CpuShare {
    /// Seconds between the two readings.
    pub window_s: f64,
    /// Cores the machine has.
    pub cores: usize,
    /// The whole machine's busy time (every process), in percent of one core.
    pub machine_busy_pct: f64,
    /// The servers' processes together (the pids given, or every process named `tidings`).
    pub server_pct: f64,
    /// The servers' busiest thread.
    pub busiest_thread_pct: f64,
    /// Its name (`comm`), e.g. `actix-rt|system` or `sqlx-sqlite-worker-0`.
    pub busiest_thread: String,
    /// The servers' five busiest threads, name and percent.
    pub top_threads: Vec<(String, f64)>,
}

/// The pids to watch: those given, or else every process whose `comm` is `tidings`.
pub fn server_pids(given: &[u32]) -> Vec<u32> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "tidings"))
        .collect()
}

/// Reads every thread of `pids` and the machine's counters now.
pub fn snapshot(pids: &[u32]) -> CpuSnapshot {
    let mut threads = HashMap::new();
    for &pid in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { continue };
        for tid in tasks.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
            if let Some(entry) = thread_ticks(pid, tid) {
                threads.insert((pid, tid), entry);
            }
        }
    }
    CpuSnapshot { pids: pids.to_vec(), at: Instant::now(), threads, machine: machine_ticks() }
}

/// Starts a window over the servers `given` (or every local `tidings`, see [`server_pids`]).
pub fn start(given: &[u32]) -> CpuSnapshot {
    snapshot(&server_pids(given))
}

impl CpuSnapshot {
    /// The shares from this reading until now, over the same pids.
    pub fn share_until_now(&self) -> CpuShare {
        between(self, &snapshot(&self.pids))
    }
}

/// The shares between two readings of the same pids.
pub fn between(start: &CpuSnapshot, end: &CpuSnapshot) -> CpuShare {
    let window = end.at.duration_since(start.at).as_secs_f64().max(1e-6);
    let pct = |ticks: u64| 100.0 * ticks as f64 / TICKS_PER_SEC / window;
    let mut per_thread: Vec<(String, f64)> = end
        .threads
        .iter()
        .map(|(key, (name, ticks))| {
            let before = start.threads.get(key).map_or(0, |(_, t)| *t);
            (name.clone(), pct(ticks.saturating_sub(before)))
        })
        .collect();
    per_thread.sort_by(|a, b| b.1.total_cmp(&a.1));
    let server_pct = per_thread.iter().map(|(_, p)| p).sum();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let (busy, all) =
        (end.machine.0.saturating_sub(start.machine.0), end.machine.1.saturating_sub(start.machine.1).max(1));
    let (busiest_thread, busiest_thread_pct) = per_thread.first().cloned().unwrap_or_default();
    CpuShare {
        window_s: window,
        cores,
        machine_busy_pct: 100.0 * cores as f64 * busy as f64 / all as f64,
        server_pct,
        busiest_thread_pct,
        busiest_thread,
        top_threads: per_thread.into_iter().take(5).map(|(n, p)| (n, (p * 10.0).round() / 10.0)).collect(),
    }
}

impl CpuShare {
    /// One readable line for the summary.
    pub fn summary(&self) -> String {
        format!(
            "machine {:.0}% busy of {}%; server {:.0}%, busiest thread {} {:.0}%",
            self.machine_busy_pct,
            self.cores * 100,
            self.server_pct,
            self.busiest_thread,
            self.busiest_thread_pct
        )
    }
}

/// `comm` and utime + stime of one thread.
fn thread_ticks(pid: u32, tid: u32) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let name = head.split_once('(').map_or("", |(_, n)| n).to_string();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields of the line: 12th and 13th after the name.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Some((name, ticks(11) + ticks(12)))
}

/// (busy, total) ticks of the `cpu` line of `/proc/stat`; idle and iowait count as not busy.
fn machine_ticks() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return (0, 0) };
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else { return (0, 0) };
    let values: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_shows_its_own_busy_thread() {
        let pids = [std::process::id()];
        let start = snapshot(&pids);
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed().as_millis() < 300 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let share = between(&start, &snapshot(&pids));
        assert!(share.busiest_thread_pct > 50.0, "a spinning thread reads busy: {share:?}");
        assert!(share.server_pct >= share.busiest_thread_pct);
        assert!(share.machine_busy_pct >= 40.0, "the machine saw the spin: {share:?}");
    }
}
