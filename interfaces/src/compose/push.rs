//! Offline push as `push.provider` says: nothing, a signed webhook, or the native APNs and FCM
//! senders; and the service behind the push-settings routes.

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use tidings_app::{KindLabels, NativePushProvider, PushConfig, PushReaders, PushService, PushSettingsService};
use tidings_domain::Clock;
use tidings_domain::device_push::DevicePushSender;
use tidings_domain::ports::{ConversationStore, PresenceReader, PushStore};
use tidings_domain::push::PushProvider;
use tidings_infrastructure::db::{SqlGroupStore, SqlPushStore, SqlSessionRepository, SqlUserRepository};
use tidings_infrastructure::push::{
    ApnsConfig, ApnsSender, FcmConfig, FcmSender, WebhookPushConfig, WebhookPushProvider,
};

use crate::settings::{PushProviderKind, PushSettings};

/// The thread offline push runs on: its own runtime, so resolving a batch and the HTTP/2
/// traffic to APNs and FCM never hold a background thread the commit pipeline is waiting for.
/// Dropped with the server's state: the thread ends and its runtime with it.
pub struct PushRuntime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl PushRuntime {
    /// Starts the `tidings-push` thread and its runtime.
    fn start() -> anyhow::Result<Self> {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new().name("tidings-push".into()).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => {
                    let _ = handle_tx.send(Ok(rt.handle().clone()));
                    rt.block_on(async {
                        let _ = stopped.await;
                    });
                }
                Err(e) => {
                    let _ = handle_tx.send(Err(e));
                }
            }
        })?;
        let handle = handle_rx.recv().context("the push thread ended at start")??;
        Ok(Self { handle, stop: Some(stop) })
    }
}

impl Drop for PushRuntime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The offline push dispatcher (when on), its native senders (for `/metrics`), and the
/// push-settings service (always: devices register tokens whatever the provider).
pub(super) struct Push {
    /// The after-commit observer, when `push.provider` is not `none`.
    pub(super) dispatcher: Option<PushService>,
    /// The native senders, when `push.provider = native`.
    pub(super) senders: Vec<Arc<dyn DevicePushSender>>,
    /// Push tokens, preferences and the badge count.
    pub(super) settings: PushSettingsService,
    /// The thread the dispatcher and the senders run on, when push is on.
    pub(super) runtime: Option<Arc<PushRuntime>>,
}

/// Builds the push parts from the settings.
pub(super) fn build(
    p: &PushSettings,
    db: &DatabaseConnection,
    presence: Arc<dyn PresenceReader>,
    convs: Arc<dyn ConversationStore>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Push> {
    let store: Arc<dyn PushStore> = Arc::new(SqlPushStore::new(db.clone()));
    let settings = PushSettingsService::new(store.clone(), Arc::new(SqlSessionRepository::new(db.clone())), clock);
    let (provider, senders): (Arc<dyn PushProvider>, Vec<Arc<dyn DevicePushSender>>) = match p.provider {
        PushProviderKind::None => return Ok(Push { dispatcher: None, senders: Vec::new(), settings, runtime: None }),
        PushProviderKind::Webhook => (Arc::new(webhook(p)?), Vec::new()),
        PushProviderKind::Native => {
            let senders = native_senders(p)?;
            let labels = KindLabels { app_name: p.app_name.clone(), ..KindLabels::default() };
            (Arc::new(NativePushProvider::new(store.clone(), senders.clone(), labels)), senders)
        }
    };
    let readers = PushReaders {
        presence,
        convs,
        store,
        users: Arc::new(SqlUserRepository::new(db.clone())),
        groups: Arc::new(SqlGroupStore::new(db.clone())),
    };
    let config = PushConfig { queue_capacity: p.queue_capacity, preview: p.preview, max_in_flight: p.max_in_flight };
    let runtime = PushRuntime::start().context("starting the push thread")?;
    let dispatcher = {
        let _on_the_push_thread = runtime.handle.enter();
        PushService::start(provider, readers, config)
    };
    tracing::info!(provider = ?p.provider, preview = p.preview, platforms = senders.len(), "offline push on");
    Ok(Push { dispatcher: Some(dispatcher), senders, settings, runtime: Some(Arc::new(runtime)) })
}

fn webhook(p: &PushSettings) -> anyhow::Result<WebhookPushProvider> {
    let (Some(url), Some(secret)) = (&p.url, &p.secret) else {
        anyhow::bail!("push.provider = webhook needs push.url and push.secret");
    };
    WebhookPushProvider::new(WebhookPushConfig {
        url: url.clone(),
        secret: secret.expose().to_owned(),
        max_attempts: p.max_attempts,
        retry_base: p.retry_base,
        timeout: p.timeout,
    })
    .context("building the push HTTP client")
}

/// The APNs and FCM senders the settings configure (checked before: at least one).
fn native_senders(p: &PushSettings) -> anyhow::Result<Vec<Arc<dyn DevicePushSender>>> {
    let read =
        |what: &str, path: &str| std::fs::read_to_string(path).with_context(|| format!("reading {what} from {path}"));
    let mut senders: Vec<Arc<dyn DevicePushSender>> = Vec::new();
    if let (Some(key_file), Some(key_id), Some(team_id), Some(topic)) =
        (&p.apns_key_file, &p.apns_key_id, &p.apns_team_id, &p.apns_topic)
    {
        let extra_root_ca_pem = p.apns_ca_file.as_deref().map(|f| read("push.apns_ca_file", f)).transpose()?;
        let sender = ApnsSender::new(ApnsConfig {
            url: p.apns_url.clone(),
            key_pem: read("push.apns_key_file", key_file)?,
            key_id: key_id.clone(),
            team_id: team_id.clone(),
            topic: topic.clone(),
            extra_root_ca_pem,
            timeout: p.timeout,
            max_attempts: p.max_attempts,
            retry_base: p.retry_base,
            max_in_flight: p.native_in_flight,
        })
        .context("setting up APNs")?;
        senders.push(Arc::new(sender));
    }
    if let Some(file) = &p.fcm_service_account_file {
        let sender = FcmSender::new(FcmConfig {
            service_account_json: read("push.fcm_service_account_file", file)?,
            url: p.fcm_url.clone(),
            timeout: p.timeout,
            max_attempts: p.max_attempts,
            retry_base: p.retry_base,
            max_in_flight: p.native_in_flight,
        })
        .context("setting up FCM")?;
        senders.push(Arc::new(sender));
    }
    Ok(senders)
}
