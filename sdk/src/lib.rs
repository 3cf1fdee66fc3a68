//! The Tidings client SDK: what an app embeds so it never writes connection, retry, dedupe and
//! sync logic itself (docs/sdk.md). Build a [`Client`] from a [`ClientConfig`], log in,
//! [`Client::connect`], register a [`ClientListener`], and send.
//!
//! The public API uses owned values, one error enum, `Arc<Client>` and async methods, so the
//! UniFFI bindings can wrap it as it is. With the `uniffi` feature the records and events below
//! carry the UniFFI derives themselves (namespace `tidings_sdk`), so the bindings hand them out
//! as they are.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("tidings_sdk");

mod client;
mod config;
mod conn;
mod discovery;
mod edits;
mod error;
mod events;
mod forward;
mod media;
mod pins;
mod push;
mod reactions;
mod receive;
mod rest;
mod search;
mod sender;
mod session;
mod social;
mod store;
mod sync;
mod threads;
mod types;

pub use client::Client;
pub use config::ClientConfig;
pub use discovery::ServerCandidate;
pub use error::SdkError;
pub use events::{ClientEvent, ClientListener};
pub use push::{PushDevice, PushSettings, QuietHours};
pub use types::{
    ConnectionState, Conversation, ForwardOutcome, Friend, FriendRequest, Group, GroupMember, Highlight,
    LocalSearchHit, LocalSearchPage, Message, MessageStatus, PinnedMessage, Reaction, ThreadPage, ThreadSummary,
    UploadedMedia, direct_conv_id,
};
