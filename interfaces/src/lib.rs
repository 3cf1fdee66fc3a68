//! Tidings interfaces: the actix-web REST API, the actix-ws WebSocket gateway, the error
//! mapping to the wire, settings, telemetry, and the composition root that wires the
//! infrastructure adapters into the use cases.

pub mod cli;
mod compose;
pub mod drain;
pub mod error;
pub mod gateway;
pub mod metrics;
mod mirrored_histogram;
pub mod openapi;
pub mod rest;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webapp;
pub mod wire;
pub mod ws;

pub use settings::Settings;
pub use startup::{Application, BackgroundServer};
