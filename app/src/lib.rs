//! Tidings use cases. Each service is written against the domain ports only, so the same code
//! runs on SQLite with in-process routing and on MySQL + Redis + RabbitMQ.

pub mod accounts;
pub mod admin;
pub mod after_commit;
pub mod batch;
pub mod bots;
pub mod clock;
pub mod content;
pub mod devices;
pub mod discovery;
pub mod epoch_cache;
pub mod error;
pub mod gate_cache;
pub mod group_gate_cache;
pub mod groups;
pub mod integration;
pub mod media;
pub mod messaging;
pub mod presence;
pub mod push;
pub mod retention;
pub mod search;
pub mod social;
pub mod stall;
pub mod webhooks;

pub use accounts::{AccountService, AuthPolicy, Tokens};
pub use admin::AdminService;
pub use after_commit::AfterCommit;
pub use bots::{BotAdmin, BotDirectory, BotTrigger, BotWorkers};
pub use content::{ContentGate, WordFilters};
pub use devices::DeviceLimits;
pub use discovery::DiscoveryService;
pub use error::AppError;
pub use groups::{GroupLimits, GroupService};
pub use integration::IntegrationService;
pub use media::{MediaLimits, MediaService};
pub use messaging::{
    COMMIT_BUCKETS_US, MessagingLimits, MessagingPorts, MessagingService, PendingAck, PipelineConfig, PipelinePorts,
    PipelineStats,
};
pub use presence::PresenceService;
pub use push::{
    KindLabels, NativePushProvider, PushConfig, PushReaders, PushService, PushSettingsService, PushSettingsView,
};
pub use retention::{RetentionConfig, RetentionJob};
pub use search::{SearchIndexer, SearchService};
pub use social::SocialService;
pub use webhooks::{WebhookConfig, WebhookService};
