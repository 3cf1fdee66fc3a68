//! End-to-end suites: each test starts a real server on a real socket and plays the story of
//! the feature over HTTP and WebSocket.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin;
mod admin_groups;
mod authz;
mod bad_input;
mod bots;
mod cluster;
mod content;
mod content_hook;
mod conversation_list;
mod devices;
mod discovery;
mod drain;
mod edits;
mod forward;
mod frame_evolution;
mod friends;
mod gate_epoch;
mod gateway;
mod group_commit;
mod groups;
mod hardening;
mod integration;
mod limits;
mod media;
mod media_safety;
mod messaging;
mod metrics;
mod openapi;
mod pins;
mod presence;
mod protection;
mod push;
mod push_dnd;
mod push_native;
mod push_providers;
mod quotes;
mod reactions;
mod retention;
mod rich;
mod routes;
mod search;
mod search_admin;
mod search_recovery;
mod security;
mod takeover;
mod threads;
mod visible_text;
mod web_serving;
