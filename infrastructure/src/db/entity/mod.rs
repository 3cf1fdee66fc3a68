//! sea-orm entities, one per table. They mirror the migrations; domain types never see them.

pub mod api_keys;
pub mod audit_log;
pub mod blocks;
pub mod bot_usage;
pub mod bots;
pub mod chat_groups;
pub mod content_flags;
pub mod conversation_members;
pub mod conversation_pins;
pub mod conversations;
pub mod device_sessions;
pub mod filter_lists;
pub mod filter_words;
pub mod friend_requests;
pub mod friendships;
pub mod group_join_requests;
pub mod group_members;
pub mod media;
pub mod media_sends;
pub mod message_edits;
pub mod message_refs;
pub mod messages;
pub mod user_settings;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
