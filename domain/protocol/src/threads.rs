//! Threads on the wire: the summary a root carries on every read path, a thread's page, and a
//! read position in a thread.

use serde::{Deserialize, Serialize};

use crate::WireMessage;

/// What a root shows of its thread (`thread` of a message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireThread {
    /// Replies in the thread (recalled ones leave it).
    pub replies: u64,
    /// Time of the newest reply (ms since epoch).
    pub last_ts: i64,
    /// Seq of the newest reply: a client that keeps the root applies a pushed reply only if it
    /// is newer.
    pub last_seq: u64,
    /// User ids of who replied, in order of their first reply (at most 10).
    pub participants: Vec<String>,
}

/// `GET /api/v1/conversations/{conv}/threads/{root_seq}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThreadPageResponse {
    /// The root, with its `thread` summary.
    pub root: WireMessage,
    /// Replies in ascending seq order.
    pub messages: Vec<WireMessage>,
    /// Older replies exist (page on with `before_seq` = the first seq of this page).
    pub has_more: bool,
}

/// `POST /api/v1/conversations/{conv}/threads/{root_seq}/read`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThreadReadRequest {
    /// Read up to this seq (a reply of the thread, usually the newest one shown).
    pub seq: u64,
}

/// Answer to a thread read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThreadReadResponse {
    /// The caller's position in the thread now (it never moves back; 0 when not following).
    pub read_seq: u64,
    /// The caller follows the thread (wrote its root or replied in it); only followed threads
    /// keep a position and count in the list's `threads`.
    pub following: bool,
    /// The conversation's `threads` count after the read, as the list would show it.
    pub threads: u64,
}
