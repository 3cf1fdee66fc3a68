//! The SDK against a live server (both modes): reconnect and failover, a lost ack, a gap in
//! pushes, the outbox and cursor across an SDK restart, unread counts against the server's, and
//! local search over what the server delivered.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod actions;
mod discovery;
mod edits;
mod model;
mod model_views;
mod overload;
mod proxy;
mod push;
mod reactions;
mod search;
mod stories;
mod support;
mod threads;
