//! The WebSocket side: one connection at a time, kept alive with pings, re-opened with backoff
//! over the server list, and a request/answer table so callers can await their `ack` or
//! `sync_result`.

pub(crate) mod backoff;
pub(crate) mod link;
mod run;
mod socket;

pub(crate) use run::run;
