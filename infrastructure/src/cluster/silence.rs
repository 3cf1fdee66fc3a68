//! Waiting on a dependency against its silence rather than against one call alone. A call still
//! pending after its deadline keeps waiting, in steps of that deadline, for as long as the
//! dependency answers something else (an overloaded Redis or broker is slow, not gone: cutting
//! its calls would refuse sends and drop pushes exactly when the machine is busiest), up to a
//! longest wait. Redis calls (`redis.rs`) and push publishes (`bus.rs`) both wait this way.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When a dependency last answered anything.
pub(crate) struct LastHeard {
    born: Instant,
    /// Microseconds after `born`.
    at_us: AtomicU64,
}

impl LastHeard {
    /// Nothing heard yet (as if last heard now).
    pub(crate) fn new() -> Self {
        Self { born: Instant::now(), at_us: AtomicU64::new(0) }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The dependency answered just now.
    pub(crate) fn heard(&self) {
        self.at_us.fetch_max(self.now_us(), Ordering::AcqRel);
    }

    /// How long the dependency has answered nothing.
    pub(crate) fn silent_for(&self) -> Duration {
        Duration::from_micros(self.now_us().saturating_sub(self.at_us.load(Ordering::Acquire)))
    }
}

/// Waits for `call` in steps of `step`; after each step it goes on only while `answering()` (or
/// this process was starved, see [`starved`]) and before `longest` has passed. `None` when it
/// gave up.
pub(crate) async fn patiently<F: Future>(
    call: F,
    step: Duration,
    longest: Duration,
    answering: impl Fn() -> bool,
) -> Option<F::Output> {
    let started = Instant::now();
    let mut call = std::pin::pin!(call);
    loop {
        let step_began = Instant::now();
        match tokio::time::timeout(step, &mut call).await {
            Ok(output) => return Some(output),
            Err(_) if started.elapsed() >= longest => return None,
            Err(_) if answering() => {}
            // The step's own timer woke late: the silence was (partly) ours.
            Err(_) if step_began.elapsed() > step + STALL_SLACK => {}
            Err(_) if starved().await || answering() => {}
            Err(_) => return None,
        }
    }
}

/// A short sleep that tells whether this process is getting the CPU.
const STALL_PROBE: Duration = Duration::from_millis(5);
/// How late that sleep may wake before the process counts as starved.
const STALL_SLACK: Duration = Duration::from_millis(25);

/// Whether this process is being starved of CPU right now (a short sleep wakes late). Silence
/// from a dependency means nothing then: its answers may sit unread in our socket while our
/// threads wait for a core (seen with 26 instances and their load on two cores: Redis idle at
/// 5 % while every instance tripped its "Redis missed a deadline" guard). The sleep also gives
/// the tasks that read those answers a moment to run.
async fn starved() -> bool {
    let asleep = Instant::now();
    tokio::time::sleep(STALL_PROBE).await;
    asleep.elapsed() > STALL_PROBE + STALL_SLACK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_past_the_step_only_while_answering_and_never_past_the_longest() {
        let step = Duration::from_millis(20);
        let slow = || tokio::time::sleep(Duration::from_millis(70));
        assert_eq!(patiently(slow(), step, Duration::from_secs(5), || true).await, Some(()));
        // Silent and not starved: gives up after a step (on a loaded machine, a few more).
        let began = Instant::now();
        assert_eq!(patiently(std::future::pending::<()>(), step, Duration::from_secs(5), || false).await, None);
        assert!(began.elapsed() < Duration::from_secs(2), "gave up after {:?}", began.elapsed());
        let began = Instant::now();
        assert_eq!(patiently(std::future::pending::<()>(), step, Duration::from_millis(100), || true).await, None);
        assert!(began.elapsed() < Duration::from_secs(1), "gave up after {:?}", began.elapsed());
    }

    /// A starved process (here: its only runtime thread blocked past the step, as when every
    /// thread waits for a core) does not take the dependency's silence for a hang.
    #[tokio::test]
    async fn silence_while_this_process_was_starved_is_not_a_hang() {
        let step = Duration::from_millis(20);
        let call = async {
            std::thread::sleep(Duration::from_millis(100));
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let waited = patiently(call, step, Duration::from_secs(5), || false).await;
        assert!(waited.is_some(), "the step's timer woke late: the silence was ours");
    }

    #[test]
    fn silence_counts_from_the_last_answer() {
        let heard = LastHeard::new();
        std::thread::sleep(Duration::from_millis(20));
        assert!(heard.silent_for() >= Duration::from_millis(20));
        heard.heard();
        assert!(heard.silent_for() < Duration::from_millis(20));
    }
}
