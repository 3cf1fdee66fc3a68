//! Helpers for the end-to-end suites: start a real Tidings server on a real socket (port 0,
//! its own data dir), and talk to it the way an app does, over HTTP and WebSocket.

pub mod backend;
pub mod client;
pub mod fake_apns;
pub mod fake_fcm;
pub mod fake_http;
pub mod fake_llm;
pub mod fake_push;
pub mod fake_s3;
pub mod faults;
pub mod helpers;
pub mod hook_receiver;
pub mod media;
pub mod processes;
pub mod receiver;
pub mod server;

pub use backend::Backend;
pub use client::{Api, Login, WsClient};
pub use server::{TestServer, spawn_server, spawn_server_with};
/// The server's settings, for tests that configure a server.
pub use tidings_interfaces::Settings;
