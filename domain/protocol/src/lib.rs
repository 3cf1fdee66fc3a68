//! The Tidings wire contract (ARCHITECTURE.md §5), shared by the server and the client SDK
//! so the two can never drift apart: WebSocket frames, REST bodies and stable error codes.

pub mod admin;
pub mod admin_groups;
pub mod bodies;
pub mod bots;
pub mod codes;
pub mod discovery;
pub mod edits;
pub mod filters;
pub mod forward;
pub mod frames;
pub mod integration;
pub mod media;
pub mod pins;
pub mod push;
pub mod reactions;
pub mod receipts;
pub mod rest;
#[cfg(feature = "openapi")]
pub mod schemas;
pub mod search;
pub mod social;
pub mod text;
pub mod threads;

pub use codes::ErrorCode;
pub use frames::{ClientFrame, ServerFrame, WireMessage};
pub use reactions::WireReaction;
pub use threads::WireThread;
