//! Per-conversation push order on one instance of a cluster.
//!
//! Two instances may commit to one conversation at the same time (a group with senders on
//! both). Its seqs come from one Redis counter, but the pushes travel separately — one straight
//! from the committing instance's notifier, the other through RabbitMQ — and can reach this
//! instance out of seq order. Every message push for this instance's devices passes through
//! [`PushOrder`] first: a push that arrives ahead of a gap is held until the missing seq
//! arrives, or until the wait has passed, and pushes leave in seq order.
//!
//! The wait bounds the cost of a gap that never fills: a failed batch or an answered repeat
//! leaves a hole in the seqs, and a message none of whose recipients has a device here is never
//! sent here. (This instance's own commits report their seqs even without local recipients, so
//! a message sent from here never leaves such a gap.) A push that arrives after the wait let
//! later ones go is delivered at once: clients order by seq (the SDK does), so it is late, not
//! lost.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tidings_domain::ConvId;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::LocalDelivery;

/// Locks the conversations are spread over, so deliveries of unrelated conversations (the
/// notifier's and the broker consumer's) rarely wait for each other.
const SHARDS: usize = 16;

/// Pushes held at once on this instance at most; past it, a push ahead of a gap goes out at
/// once rather than holding memory for a gap that may never fill.
const MAX_HELD: usize = 100_000;

/// A conversation without pushes for this long is forgotten; its next push starts it afresh.
const FORGET_AFTER: Duration = Duration::from_secs(60);

/// Orders message pushes per conversation before they reach the local hub.
pub struct PushOrder {
    inner: Arc<dyn LocalDelivery>,
    wait: Duration,
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
    counts: PushOrderCounts,
}

/// What the stage did since start.
#[derive(Debug, Default)]
pub struct PushOrderCounts {
    /// Pushes that arrived ahead of a gap and were held.
    pub held: AtomicU64,
    /// Held pushes that went out because the wait passed before the gap filled.
    pub released_by_wait: AtomicU64,
    /// Pushes that arrived after later ones of their conversation had gone out.
    pub late: AtomicU64,
}

#[derive(Default)]
struct Shard {
    convs: HashMap<ConvId, Stream>,
    /// Held pushes in this shard.
    held: usize,
}

/// One conversation's pushes through this instance.
struct Stream {
    /// The seq that may go out next.
    next: u64,
    /// Pushes waiting for the gap before them, by seq, with the instant their wait ends.
    held: BTreeMap<u64, (Delivery, Instant)>,
    /// When a push of this conversation last arrived.
    seen: Instant,
}

impl PushOrder {
    /// Wraps `inner` (the hub), holding a push ahead of a gap for at most `wait`, and spawns the
    /// task that releases pushes whose wait has passed (it ends with the stage). Needs a tokio
    /// runtime.
    pub fn start(inner: Arc<dyn LocalDelivery>, wait: Duration) -> Arc<Self> {
        let stage = Arc::new(Self::new(inner, wait));
        tokio::spawn(release_loop(Arc::downgrade(&stage), wait));
        stage
    }

    fn new(inner: Arc<dyn LocalDelivery>, wait: Duration) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect();
        Self { inner, wait, hasher: RandomState::new(), shards, counts: PushOrderCounts::default() }
    }

    /// What the stage did since start.
    pub fn counts(&self) -> &PushOrderCounts {
        &self.counts
    }

    fn shard(&self, conv: &ConvId) -> &Mutex<Shard> {
        let i = usize::try_from(self.hasher.hash_one(conv) % SHARDS as u64).unwrap_or(0);
        &self.shards[i]
    }

    /// Hands a message push on to the hub; one without recipients only recorded its seq.
    fn pass(&self, delivery: &Delivery) {
        if !delivery.recipients.is_empty() {
            self.inner.deliver(delivery);
        }
    }

    fn order(&self, conv: &ConvId, seq: u64, delivery: &Delivery) {
        let now = Instant::now();
        // Deliveries go out under the shard's lock: released outside it, two callers could
        // still hand the hub neighbouring seqs in the wrong order.
        let mut shard = self.shard(conv).lock().unwrap_or_else(|e| e.into_inner());
        let held_here = shard.held;
        let Some(stream) = shard.convs.get_mut(conv) else {
            shard.convs.insert(conv.clone(), Stream { next: seq.saturating_add(1), held: BTreeMap::new(), seen: now });
            self.pass(delivery);
            return;
        };
        stream.seen = now;
        if seq < stream.next {
            self.counts.late.fetch_add(1, Ordering::Relaxed);
            self.pass(delivery);
            return;
        }
        if seq > stream.next {
            if held_here >= MAX_HELD / SHARDS {
                stream.next = seq.saturating_add(1);
                self.pass(delivery);
                self.release_ready(&mut shard, conv, now);
                return;
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = stream.held.entry(seq) {
                slot.insert((delivery.clone(), now + self.wait));
                shard.held += 1;
                self.counts.held.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        stream.next = seq.saturating_add(1);
        self.pass(delivery);
        self.release_ready(&mut shard, conv, now);
    }

    /// Sends the held pushes of `conv` that may go now: the next seq, or any whose wait passed
    /// (and everything before it), in seq order.
    fn release_ready(&self, shard: &mut Shard, conv: &ConvId, now: Instant) {
        let Some(stream) = shard.convs.get_mut(conv) else { return };
        let mut released = 0;
        while let Some(entry) = stream.held.first_entry() {
            let (seq, until) = (*entry.key(), entry.get().1);
            if seq > stream.next && until > now {
                break;
            }
            let (delivery, _) = entry.remove();
            if seq > stream.next {
                self.counts.released_by_wait.fetch_add(1, Ordering::Relaxed);
            }
            // Never backwards: past the cap on held pushes, a later seq may have gone first.
            stream.next = stream.next.max(seq.saturating_add(1));
            released += 1;
            self.pass(&delivery);
        }
        shard.held -= released;
    }

    /// Releases pushes whose wait has passed, and forgets conversations idle for long.
    fn sweep(&self, forget: bool) {
        let now = Instant::now();
        for lock in self.shards.iter() {
            let mut shard = lock.lock().unwrap_or_else(|e| e.into_inner());
            if shard.held > 0 {
                let due: Vec<ConvId> = shard
                    .convs
                    .iter()
                    .filter(|(_, s)| s.held.first_key_value().is_some_and(|(_, (_, until))| *until <= now))
                    .map(|(c, _)| c.clone())
                    .collect();
                for conv in &due {
                    self.release_ready(&mut shard, conv, now);
                }
            }
            if forget {
                shard.convs.retain(|_, s| !s.held.is_empty() || now.duration_since(s.seen) < FORGET_AFTER);
            }
        }
    }
}

impl LocalDelivery for PushOrder {
    fn deliver(&self, delivery: &Delivery) {
        match delivery.event.as_ref() {
            Event::Message(m) if !self.wait.is_zero() => self.order(&m.conv, m.seq, delivery),
            Event::Message(_) => self.pass(delivery),
            // Everything else as it comes: presence goes to subscribers, not recipients (its
            // recipient list is empty), and only messages have seqs to order.
            _ => self.inner.deliver(delivery),
        }
    }
}

/// Releases due pushes a few times per wait, until the stage is dropped.
async fn release_loop(stage: Weak<PushOrder>, wait: Duration) {
    let tick = (wait / 4).clamp(Duration::from_millis(5), Duration::from_millis(50));
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_forget = Instant::now();
    loop {
        interval.tick().await;
        let Some(stage) = stage.upgrade() else { return };
        let forget = last_forget.elapsed() >= FORGET_AFTER / 4;
        if forget {
            last_forget = Instant::now();
        }
        stage.sweep(forget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings_domain::UserId;
    use tidings_domain::message::Message;

    /// Records the seqs of the messages the hub would have pushed, and counts other events.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, u64)>>, Mutex<usize>);

    impl LocalDelivery for Recorder {
        fn deliver(&self, delivery: &Delivery) {
            match delivery.event.as_ref() {
                Event::Message(m) => self.0.lock().unwrap().push((m.conv.to_string(), m.seq)),
                _ => *self.1.lock().unwrap() += 1,
            }
        }
    }

    fn push(conv: &str, seq: u64, to: &[&str]) -> Delivery {
        let message = Message {
            conv: ConvId::parse(conv).unwrap(),
            seq,
            msg_id: format!("m{seq}"),
            sender: UserId::parse("u1").unwrap(),
            client_msg_id: format!("c{seq}"),
            kind: "text".into(),
            body: "{}".into(),
            ts: 0,
            edited_at: None,
        };
        Delivery {
            recipients: to.iter().map(|u| UserId::parse(u).unwrap()).collect(),
            skip_device: None,
            event: Arc::new(Event::Message(message)),
        }
    }

    fn stage(wait_ms: u64) -> (PushOrder, Arc<Recorder>) {
        let rec = Arc::new(Recorder::default());
        (PushOrder::new(rec.clone(), Duration::from_millis(wait_ms)), rec)
    }

    fn seqs(rec: &Recorder) -> Vec<u64> {
        rec.0.lock().unwrap().iter().map(|(_, s)| *s).collect()
    }

    #[test]
    fn a_push_ahead_of_a_gap_waits_for_the_gap() {
        let (order, rec) = stage(10_000);
        order.deliver(&push("g:team", 10, &["u2"]));
        order.deliver(&push("g:team", 12, &["u2"]));
        order.deliver(&push("g:team", 13, &["u2"]));
        assert_eq!(seqs(&rec), vec![10], "12 and 13 wait for 11");
        order.deliver(&push("g:team", 11, &["u2"]));
        assert_eq!(seqs(&rec), vec![10, 11, 12, 13]);
        assert_eq!(order.counts().held.load(Ordering::Relaxed), 2);
        assert_eq!(order.counts().released_by_wait.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_seq_without_local_recipients_fills_the_gap_without_a_push() {
        let (order, rec) = stage(10_000);
        order.deliver(&push("g:team", 1, &["u2"]));
        order.deliver(&push("g:team", 3, &["u2"]));
        order.deliver(&push("g:team", 2, &[]));
        assert_eq!(seqs(&rec), vec![1, 3]);
    }

    #[test]
    fn a_gap_that_never_fills_costs_the_wait_then_order_resumes() {
        let (order, rec) = stage(30);
        order.deliver(&push("g:team", 5, &["u2"]));
        order.deliver(&push("g:team", 7, &["u2"]));
        order.deliver(&push("g:team", 9, &["u2"]));
        order.sweep(false);
        assert_eq!(seqs(&rec), vec![5], "nothing is due yet");
        std::thread::sleep(Duration::from_millis(40));
        order.sweep(false);
        assert_eq!(seqs(&rec), vec![5, 7, 9], "both gaps waited out, in seq order");
        assert_eq!(order.counts().released_by_wait.load(Ordering::Relaxed), 2);
        order.deliver(&push("g:team", 6, &["u2"]));
        order.deliver(&push("g:team", 10, &["u2"]));
        assert_eq!(seqs(&rec), vec![5, 7, 9, 6, 10], "a straggler goes out at once; the next seq too");
        assert_eq!(order.counts().late.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn conversations_do_not_wait_for_each_other_and_other_events_pass() {
        let (order, rec) = stage(10_000);
        order.deliver(&push("g:a", 1, &["u2"]));
        order.deliver(&push("g:a", 3, &["u2"]));
        order.deliver(&push("g:b", 8, &["u2"]));
        order.deliver(&push("g:b", 9, &["u2"]));
        assert_eq!(rec.0.lock().unwrap().clone(), vec![("g:a".into(), 1), ("g:b".into(), 8), ("g:b".into(), 9)]);
        let typing = Delivery {
            recipients: vec![UserId::parse("u2").unwrap()],
            skip_device: None,
            event: Arc::new(Event::Typing {
                conv: ConvId::parse("g:a").unwrap(),
                user_id: UserId::parse("u1").unwrap(),
            }),
        };
        order.deliver(&typing);
        let presence = Delivery {
            recipients: Vec::new(),
            skip_device: None,
            event: Arc::new(Event::Presence {
                user_id: UserId::parse("u1").unwrap(),
                online: true,
                last_active_at: None,
            }),
        };
        order.deliver(&presence);
        assert_eq!(rec.0.lock().unwrap().len(), 3, "messages: only the three in order");
        assert_eq!(*rec.1.lock().unwrap(), 2, "typing and presence (no recipients: it goes to subscribers) passed");
    }

    #[test]
    fn a_repeated_push_is_not_held_twice() {
        let (order, rec) = stage(10_000);
        order.deliver(&push("g:team", 1, &["u2"]));
        order.deliver(&push("g:team", 3, &["u2"]));
        order.deliver(&push("g:team", 3, &["u2"]));
        order.deliver(&push("g:team", 2, &["u2"]));
        assert_eq!(seqs(&rec), vec![1, 2, 3]);
    }

    #[test]
    fn past_the_cap_on_held_pushes_they_go_out_and_order_carries_on() {
        let (order, rec) = stage(10_000);
        let cap = (MAX_HELD / SHARDS) as u64;
        order.deliver(&push("g:team", 1, &["u2"]));
        for seq in 3..3 + cap {
            order.deliver(&push("g:team", seq, &["u2"]));
        }
        assert_eq!(seqs(&rec), vec![1], "all held for seq 2");
        order.deliver(&push("g:team", 3 + cap, &["u2"]));
        let mut want = vec![1, 3 + cap];
        want.extend(3..3 + cap);
        assert_eq!(seqs(&rec), want, "the one past the cap went first, then the held ones, in order");
        order.deliver(&push("g:team", 4 + cap, &["u2"]));
        assert_eq!(seqs(&rec).last(), Some(&(4 + cap)), "the next seq goes at once: order did not move backwards");
        order.deliver(&push("g:team", 2, &["u2"]));
        assert_eq!(order.counts().late.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_zero_wait_passes_everything_as_it_comes() {
        let (order, rec) = stage(0);
        order.deliver(&push("g:team", 2, &["u2"]));
        order.deliver(&push("g:team", 1, &["u2"]));
        assert_eq!(seqs(&rec), vec![2, 1]);
    }
}
