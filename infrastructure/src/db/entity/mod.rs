//! sea-orm entities, one per table. They mirror the migrations; domain types never see them.

pub mod api_keys;
pub mod conversation_members;
pub mod conversations;
pub mod device_sessions;
pub mod messages;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
