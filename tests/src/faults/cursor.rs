//! A device's position in one conversation: the seq up to which it holds everything, the way a
//! client keeps it to know where a catch-up starts.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// A missing seq below one the device holds is waited for this long before it counts as a hole
/// that sync cannot fill (a seq allocated but never committed). Shorter would let a catch-up
/// skip a message another instance commits late; longer only re-reads a little more.
pub const HOLE_SETTLE: Duration = Duration::from_secs(10);

/// Missing seqs tracked at most per jump (a larger jump is itself a failure the log check shows).
const MAX_GAP: u64 = 10_000;

/// Which seqs of one conversation a device holds.
#[derive(Debug, Default, Clone)]
pub struct ConvCursor {
    /// Every seq up to here is held or a settled hole.
    cursor: u64,
    /// Highest seq held.
    max: u64,
    /// Held seqs above `cursor`.
    held: BTreeSet<u64>,
    /// Seqs above `cursor` not held while a higher one is, with when that was first seen.
    missing: BTreeMap<u64, Instant>,
}

impl ConvCursor {
    /// Records that the device holds `seq`.
    pub fn add(&mut self, seq: u64, now: Instant) {
        if seq <= self.cursor || seq == 0 {
            return;
        }
        self.held.insert(seq);
        self.missing.remove(&seq);
        if seq > self.max {
            let from = (self.max.max(self.cursor) + 1).max(seq.saturating_sub(MAX_GAP));
            for s in from..seq {
                if !self.held.contains(&s) {
                    self.missing.entry(s).or_insert(now);
                }
            }
            self.max = seq;
        }
    }

    /// Where a catch-up starts now: `after_seq` for `sync`.
    pub fn cursor(&mut self, now: Instant) -> u64 {
        loop {
            let next = self.cursor + 1;
            if self.held.remove(&next) {
                self.cursor = next;
                continue;
            }
            match self.missing.get(&next) {
                Some(first) if now.duration_since(*first) >= HOLE_SETTLE => {
                    self.missing.remove(&next);
                    self.cursor = next;
                }
                _ => return self.cursor,
            }
        }
    }

    /// Highest seq held.
    pub fn highest(&self) -> u64 {
        self.max.max(self.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stops_at_a_fresh_gap_and_passes_a_settled_hole() {
        let t0 = Instant::now();
        let mut c = ConvCursor::default();
        for s in [1, 2, 4, 5] {
            c.add(s, t0);
        }
        assert_eq!(c.cursor(t0), 2, "3 may still come");
        assert_eq!(c.cursor(t0 + HOLE_SETTLE), 5, "3 is a hole now");
        c.add(7, t0 + HOLE_SETTLE);
        c.add(6, t0 + HOLE_SETTLE);
        assert_eq!(c.cursor(t0 + HOLE_SETTLE), 7);
        assert_eq!(c.highest(), 7);
        c.add(3, t0 + HOLE_SETTLE);
        assert_eq!(c.cursor(t0 + HOLE_SETTLE), 7, "below the cursor changes nothing");
    }
}
