//! Tidings use cases. Each service is written against the domain ports only, so the same code
//! runs on SQLite with in-process routing and on MySQL + Redis + RabbitMQ.

pub mod accounts;
pub mod clock;
pub mod error;
pub mod messaging;

pub use accounts::{AccountService, AuthPolicy, Tokens};
pub use error::AppError;
pub use messaging::{MessagingLimits, MessagingService, PendingAck, PipelineConfig};
