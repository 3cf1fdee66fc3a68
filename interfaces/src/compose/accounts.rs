//! Accounts and administration: the signing key and token service, password hashing, device
//! sessions, the admin service (and the first administrator from the settings).

use std::sync::Arc;

use tidings_app::admin::AdminOutcome;
use tidings_app::{AccountService, AdminService, AuthPolicy, ContentGate};
use tidings_domain::account::User;
use tidings_domain::admin::OnlineCounter;
use tidings_domain::ports::{Notifier, PasswordHasher, TokenService, UserRepository};
use tidings_domain::{Clock, SystemClock};
use tidings_infrastructure::db::{SqlAdminStore, SqlSessionRepository, SqlUserRepository};
use tidings_infrastructure::memory::LocalNotifier;
use tidings_infrastructure::security::{Argon2Hasher, JwtTokenService, load_or_create_signing_key};

use crate::settings::{AdminSettings, AuthSettings, DeviceSettings, Settings};
use crate::ws::hub::Hub;

/// Tokens and password hashing, which accounts, admin and webhooks share.
pub(super) struct Security {
    /// Issues and checks access tokens; signs webhook bodies.
    pub(super) tokens: Arc<dyn TokenService>,
    /// Password hashes.
    pub(super) hasher: Arc<dyn PasswordHasher>,
}

/// The token service on the configured or generated signing key (tokens expire by `clock`),
/// and the password hasher.
pub(super) fn security(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Security> {
    let key = load_or_create_signing_key(settings.signing_key(), &settings.data_dir.join("signing.key"))?;
    Ok(Security {
        tokens: Arc::new(JwtTokenService::new(&key, clock)),
        hasher: Arc::new(Argon2Hasher::new(settings.auth.argon2_memory_kib, settings.auth.argon2_iterations)?),
    })
}

/// What the accounts context gives the rest.
pub(super) struct Accounts {
    /// Registration, login, sessions, devices.
    pub(super) accounts: AccountService,
    /// Administration and API keys.
    pub(super) admin: Arc<AdminService>,
    /// The admin store, which also holds API keys (the integration API checks them).
    pub(super) admin_store: Arc<SqlAdminStore>,
}

/// Builds the account and admin services and makes sure the configured first admin exists.
pub(super) async fn build(
    sections: (&AuthSettings, &DeviceSettings, &AdminSettings),
    db: &sea_orm::DatabaseConnection,
    users: Arc<dyn UserRepository>,
    security: &Security,
    (notifier, online): (Arc<dyn Notifier>, Arc<dyn OnlineCounter>),
    content: Arc<ContentGate>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Accounts> {
    let (auth, devices, first_admin) = sections;
    let admin_store = Arc::new(SqlAdminStore::new(db.clone()));
    let admin = Arc::new(
        AdminService::new(
            users.clone(),
            admin_store.clone(),
            admin_store.clone(),
            security.hasher.clone(),
            security.tokens.clone(),
            notifier.clone(),
            online,
        )
        .with_content(content),
    );
    if let (Some(username), Some(password)) = (&first_admin.initial_username, &first_admin.initial_password) {
        match admin.ensure_initial_admin(username, password.expose()).await {
            Ok(Some(user)) => tracing::info!(username, user = %user.id, "created the initial admin"),
            Ok(None) => tracing::debug!(username, "initial admin exists already"),
            Err(e) => anyhow::bail!("creating the initial admin {username}: {e}"),
        }
    }
    let accounts = AccountService::new(
        users,
        Arc::new(SqlSessionRepository::new(db.clone())),
        security.hasher.clone(),
        security.tokens.clone(),
        notifier,
        AuthPolicy { access_ttl_secs: auth.access_ttl.as_secs(), refresh_ttl_secs: auth.refresh_ttl.as_secs() },
        clock,
    )
    .with_device_limits(devices.limits());
    Ok(Accounts { accounts, admin, admin_store })
}

/// `tidings admin create`: on the database the settings name (migrated first), creates the
/// admin or makes an existing account an admin with this password.
pub async fn admin_create(
    settings: &Settings,
    username: &str,
    password: &str,
    display_name: Option<&str>,
) -> anyhow::Result<(User, AdminOutcome)> {
    let db = super::storage::open_db(settings).await?;
    let security = security(settings, Arc::new(SystemClock))?;
    // No server runs here: nobody is connected, so notifications go nowhere.
    let idle = Arc::new(Hub::new(1));
    let store = Arc::new(SqlAdminStore::new(db.clone()));
    let admin = AdminService::new(
        Arc::new(SqlUserRepository::new(db.clone())),
        store.clone(),
        store,
        security.hasher,
        security.tokens,
        Arc::new(LocalNotifier::new(idle.clone(), Arc::default())),
        idle,
    );
    let result = admin.create_or_promote_admin(username, password, display_name).await;
    db.close().await.ok();
    result.map_err(|e| anyhow::anyhow!("{e}"))
}
