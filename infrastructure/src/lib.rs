//! Tidings adapters: they implement the domain ports on real engines. `db` is sea-orm over
//! SQLite or MySQL-compatible servers (one schema, one set of repositories), `memory` is the
//! in-process routing and counters of embedded mode, `security` is password hashing and tokens, `media` holds upload blobs.

pub mod cluster;
pub mod db;
pub mod hook;
pub mod llm;
pub mod media;
pub mod memory;
pub mod push;
pub mod security;
pub mod webhook;
