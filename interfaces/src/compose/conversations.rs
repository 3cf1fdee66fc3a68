//! Conversations: the send path (messaging and its commit pipeline), friends and blocks,
//! groups, and the integration API that sends on behalf of business systems. The send gates of
//! direct chats and groups are remembered under one gate epoch that every instance moves on
//! after a gate write, so a block or a mute holds at once everywhere.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tidings_app::gate_cache::CachedGateStore;
use tidings_app::group_gate_cache::CachedGroupGate;
use tidings_app::messaging::BodyLimits;
use tidings_app::{
    AdminService, ContentGate, GroupLimits, GroupService, IntegrationService, MessagingLimits, MessagingPorts,
    MessagingService, PipelineConfig, PipelinePorts, SocialService,
};
use tidings_domain::Clock;
use tidings_domain::ports::{SocialStore, UserRepository};
use tidings_infrastructure::db::{
    SqlAdminStore, SqlGroupStore, SqlMediaRepository, SqlPinStore, SqlReactionStore, SqlSocialStore, SqlThreadStore,
};

use super::routing::Routing;
use super::storage::Storage;
use crate::settings::duration::millis_u64 as millis;
use crate::settings::{GroupSettings, LimitSettings, PipelineSettings, SocialSettings};

/// The settings sections this context reads.
pub(super) struct Sections<'a> {
    /// Bodies, pages, recall window.
    pub(super) limits: &'a LimitSettings,
    /// Member caps and mutes.
    pub(super) groups: &'a GroupSettings,
    /// The default direct-message policy.
    pub(super) social: &'a SocialSettings,
    /// The commit pipeline.
    pub(super) pipeline: &'a PipelineSettings,
    /// SQLite takes one writer at a time.
    pub(super) sqlite: bool,
}

/// What the conversations context gives the rest.
pub(super) struct Conversations {
    /// Sends, history, reads, recall.
    pub(super) messaging: Arc<MessagingService>,
    /// Friends, blocks, policies.
    pub(super) social: SocialService,
    /// Groups.
    pub(super) groups: GroupService,
    /// Sends and provisioning for business systems.
    pub(super) integration: Arc<IntegrationService>,
}

/// Starts the commit pipeline and builds the services around it.
pub(super) fn build(
    s: &Sections<'_>,
    storage: &Storage,
    routing: &Routing,
    notifier: Arc<dyn tidings_domain::ports::Notifier>,
    admin: (Arc<AdminService>, Arc<SqlAdminStore>),
    content: Arc<ContentGate>,
    clock: Arc<dyn Clock>,
) -> Conversations {
    let db: &DatabaseConnection = &storage.db;
    let users: Arc<dyn UserRepository> = storage.users.clone();
    let social_store: Arc<dyn SocialStore> = Arc::new(CachedGateStore::new(
        Arc::new(SqlSocialStore::new(db.clone()).with_direct_reads(storage.direct_reads.clone())),
        routing.gate_epoch.clone(),
    ));
    let group_ports = CachedGroupGate::ports(Arc::new(SqlGroupStore::new(db.clone())), routing.gate_epoch.clone());
    let dm_policy = s.social.default_dm_policy;
    let l = s.limits;
    let messaging = Arc::new(MessagingService::start(
        MessagingPorts {
            users: users.clone(),
            convs: storage.convs.clone(),
            pipeline: PipelinePorts {
                store: storage.messages.clone(),
                dedupe: routing.dedupe.clone(),
                seqs: routing.seqs.clone(),
                notifier,
                clock: clock.clone(),
            },
            gates: social_store.clone(),
            group_gate: group_ports.gate.clone(),
            group_directory: group_ports.directory.clone(),
            media: Arc::new(SqlMediaRepository::new(db.clone())),
            pins: Arc::new(SqlPinStore::new(db.clone())),
            reactions: Arc::new(SqlReactionStore::new(db.clone()).with_direct_reads(storage.direct_reads.clone())),
            threads: Arc::new(SqlThreadStore::new(db.clone())),
            content,
        },
        messaging_limits(l),
        dm_policy,
        PipelineConfig {
            // One writer per instance makes the largest batches, which is what the database
            // spends least on per message (docs/benchmarks.md); more only pay where the
            // database has cores to spare.
            shards: s.pipeline.shards,
            queue_capacity: s.pipeline.queue_capacity(),
            max_batch: s.pipeline.max_batch,
            one_writer_at_a_time: s.sqlite,
        },
    ));
    let social = SocialService::new(users.clone(), social_store.clone(), dm_policy, l.max_page);
    let groups = GroupService::new(
        users.clone(),
        group_ports,
        social_store,
        messaging.clone(),
        GroupLimits {
            max_members: s.groups.max_members,
            max_page: l.max_page,
            max_mute_secs: s.groups.max_mute.as_secs(),
        },
        clock,
    );
    let (admin, admin_store) = admin;
    let integration = Arc::new(IntegrationService::new(users, admin_store, admin, messaging.clone()));
    Conversations { messaging, social, groups, integration }
}

fn messaging_limits(l: &LimitSettings) -> MessagingLimits {
    MessagingLimits {
        body: BodyLimits {
            max_text_chars: l.max_text_chars,
            max_body_bytes: l.max_body_bytes,
            max_mentions: l.max_mentions,
            max_file_name_chars: l.max_file_name_chars,
            max_file_bytes: l.max_declared_file_bytes,
            max_media_side: l.max_media_side,
            max_voice_ms: millis(l.max_voice_duration),
            max_video_ms: millis(l.max_video_duration),
        },
        default_page: l.default_page,
        max_page: l.max_page,
        max_conversations: l.max_conversations,
        recall_window_ms: i64::try_from(l.recall_window.as_millis()).unwrap_or(i64::MAX),
        edit_window_ms: i64::try_from(l.edit_window.as_millis()).unwrap_or(i64::MAX),
        receipts_max_members: l.receipts_max_members,
        max_reaction_kinds: l.max_reaction_kinds,
    }
}
