//! One connection's outbound queue and close request, shared by the hub (which queues pushes and
//! asks for closes) and the connection loop (which writes them).
//!
//! One small allocation per connection: the queue holds no memory while empty (a tokio channel
//! allocates a 32-slot block up front, a watch channel eight notifiers), and a queue that grew in
//! a burst is given back once drained.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_http::ws::CloseReason;
use bytestring::ByteString;
use tokio::sync::Notify;

/// Past this many slots an emptied queue gives its memory back.
const KEEP_SLOTS: usize = 32;

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds its capacity: the client does not keep up.
    Full,
    /// The connection is closing; the frame would never be written.
    Closing,
}

/// What the connection loop should do next.
#[derive(Debug)]
pub enum Next {
    /// Write this frame.
    Frame(ByteString),
    /// Close, for this reason (frames still queued go out first).
    Close(CloseReason),
}

struct State {
    frames: VecDeque<ByteString>,
    close: Option<CloseReason>,
}

/// The queue and close request of one connection.
pub struct Outbox {
    state: Mutex<State>,
    /// Wakes the connection loop; it re-checks the state after every wake, so a wake with
    /// nothing new costs one look.
    wake: Notify,
    capacity: usize,
}

impl Outbox {
    /// An empty outbox holding at most `capacity` frames.
    pub fn new(capacity: usize) -> Self {
        Self { state: Mutex::new(State { frames: VecDeque::new(), close: None }), wake: Notify::new(), capacity }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a frame.
    pub fn push(&self, frame: ByteString) -> Result<(), Refused> {
        {
            let mut state = self.state();
            if state.close.is_some() {
                return Err(Refused::Closing);
            }
            if state.frames.len() >= self.capacity {
                return Err(Refused::Full);
            }
            state.frames.push_back(frame);
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Asks the connection to close; a later request replaces an earlier one's reason.
    pub fn close(&self, reason: CloseReason) {
        self.state().close = Some(reason);
        self.wake.notify_one();
    }

    /// The close requested, if any.
    pub fn closing(&self) -> Option<CloseReason> {
        self.state().close.clone()
    }

    /// The next queued frame, if one is waiting.
    pub fn try_pop(&self) -> Option<ByteString> {
        pop(&mut self.state())
    }

    /// Waits for a frame or a close request; a close comes first. Cancel-safe.
    pub async fn next(&self) -> Next {
        loop {
            {
                // One look under one lock: this runs for every push written.
                let mut state = self.state();
                if let Some(reason) = &state.close {
                    return Next::Close(reason.clone());
                }
                if let Some(frame) = pop(&mut state) {
                    return Next::Frame(frame);
                }
            }
            self.wake.notified().await;
        }
    }

    /// Waits for a close request. Cancel-safe.
    pub async fn closed(&self) -> CloseReason {
        loop {
            if let Some(reason) = self.closing() {
                return reason;
            }
            self.wake.notified().await;
        }
    }
}

/// Takes the oldest frame; a queue emptied after a burst gives its memory back.
fn pop(state: &mut State) -> Option<ByteString> {
    let frame = state.frames.pop_front();
    if state.frames.is_empty() && state.frames.capacity() > KEEP_SLOTS {
        state.frames = VecDeque::new();
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_http::ws::CloseCode;

    #[tokio::test]
    async fn frames_come_in_order_then_the_queue_refuses_past_capacity() {
        let outbox = Outbox::new(2);
        outbox.push("a".into()).unwrap();
        outbox.push("b".into()).unwrap();
        assert_eq!(outbox.push("c".into()), Err(Refused::Full));
        assert!(matches!(outbox.next().await, Next::Frame(f) if f == "a"));
        assert!(matches!(outbox.next().await, Next::Frame(f) if f == "b"));
        assert!(outbox.try_pop().is_none());
    }

    #[tokio::test]
    async fn a_close_comes_before_queued_frames_and_stops_new_ones() {
        let outbox = Outbox::new(8);
        outbox.push("queued".into()).unwrap();
        outbox.close(CloseReason { code: CloseCode::Again, description: None });
        assert!(matches!(outbox.next().await, Next::Close(r) if r.code == CloseCode::Again));
        assert_eq!(outbox.push("late".into()), Err(Refused::Closing));
        assert_eq!(outbox.try_pop().as_deref(), Some("queued"), "what was queued before still goes out");
        assert_eq!(outbox.closed().await.code, CloseCode::Again);
    }

    #[tokio::test]
    async fn a_waiting_loop_wakes_for_a_frame_pushed_from_another_task() {
        let outbox = std::sync::Arc::new(Outbox::new(8));
        let waiter = tokio::spawn({
            let outbox = outbox.clone();
            async move {
                match outbox.next().await {
                    Next::Frame(f) => f,
                    Next::Close(_) => panic!("no close was asked"),
                }
            }
        });
        tokio::task::yield_now().await;
        outbox.push("late riser".into()).unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap();
        assert_eq!(got, "late riser");
    }

    #[test]
    fn a_drained_queue_gives_its_memory_back() {
        let outbox = Outbox::new(1000);
        for i in 0..500 {
            outbox.push(i.to_string().into()).unwrap();
        }
        while outbox.try_pop().is_some() {}
        assert_eq!(outbox.state().frames.capacity(), 0);
    }
}
