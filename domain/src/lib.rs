//! Tidings domain: the entities and rules of messaging, and the ports (traits) through which the
//! use cases reach storage, routing and crypto. Nothing here performs I/O or names a framework.

pub mod account;
pub mod admin;
pub mod audit;
pub mod bots;
pub mod clock;
pub mod content;
pub mod conversation;
pub mod device_push;
pub mod discovery;
pub mod edit;
pub mod error;
pub mod event;
pub mod group;
pub mod group_policy;
pub mod ids;
pub mod media;
pub mod message;
pub mod ports;
pub mod presence;
pub mod push;
pub mod reaction;
pub mod retention;
pub mod search;
pub mod social;
pub mod thread;
pub mod webhook;

pub use clock::{Clock, ShiftedClock, SystemClock};
pub use error::StoreError;
pub use ids::{ConvId, DeviceId, GroupId, SessionId, UserId};
pub use message::{ClientMsgId, MessageKind};
