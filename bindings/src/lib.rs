//! The UniFFI face of the Tidings SDK (ARCHITECTURE.md §7, bindings/README.md).
//!
//! A thin layer over `tidings-sdk` that Kotlin, Swift and Python reach through the generated
//! bindings: [`TidingsClient`] (an object handed out as `Arc`) with async methods that run on a
//! tokio runtime this library owns, the SDK's own records for messages, conversations and events
//! (they carry the UniFFI derives behind `tidings-sdk`'s `uniffi` feature, in the namespace
//! `tidings_sdk`), one error enum ([`TidingsError`]), and [`EventListener`], a trait the app
//! implements in its own language, registered through a cancellable [`Subscription`]. It adds no
//! behaviour of its own: every call forwards to the SDK.

uniffi::setup_scaffolding!("tidings");

mod client;
mod config;
mod error;
mod events;
mod push;
mod runtime;

pub use client::TidingsClient;
pub use config::default_config;
pub use error::TidingsError;
pub use events::{EventListener, Subscription};
pub use tidings_sdk::{
    ClientConfig, ClientEvent, ConnectionState, Conversation, Friend, FriendRequest, Group, GroupMember, Highlight,
    LocalSearchHit, LocalSearchPage, Message, MessageStatus, PushDevice, PushSettings, QuietHours, ServerCandidate,
    UploadedMedia,
};
