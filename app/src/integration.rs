//! Business-system integration: idempotent user provisioning and sending as a bot or as the
//! system account. Callers are authenticated by API key (see [`crate::AdminService::authenticate_key`]).

use std::sync::Arc;

use serde_json::Value;
use tidings_domain::account::{Role, User};
use tidings_domain::admin::UserAdminStore;
use tidings_domain::ports::UserRepository;
use tidings_domain::{ClientMsgId, ConvId, DeviceId, UserId};

use crate::admin::{AdminService, NewUser};
use crate::error::AppError;
use crate::messaging::{MessagingService, PendingAck, parse_conv, parse_kind};

/// The device id integration sends are made from.
pub const INTEGRATION_DEVICE: &str = "integration";

/// One user of a bulk provisioning call.
#[derive(Debug, Clone)]
pub struct ProvisionItem<'a> {
    /// Login name: the idempotency key.
    pub username: &'a str,
    /// Shown name.
    pub display_name: Option<&'a str>,
    /// Password, applied only when the account is created.
    pub password: Option<&'a str>,
    /// `user` or `bot`.
    pub role: Option<Role>,
}

/// What provisioning did with one item.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// The account.
    pub user: User,
    /// It was created by this call.
    pub created: bool,
    /// An existing account's display name or role was changed by this call.
    pub updated: bool,
}

/// Where an integration message goes.
#[derive(Debug, Clone)]
pub enum Target<'a> {
    /// A conversation id (`d:…:…`, or a group once groups exist).
    Conv(&'a str),
    /// A user: the direct conversation between the sender and them.
    User(&'a str),
}

/// Integration use cases.
pub struct IntegrationService {
    users: Arc<dyn UserRepository>,
    store: Arc<dyn UserAdminStore>,
    admin: Arc<AdminService>,
    messaging: Arc<MessagingService>,
}

impl IntegrationService {
    /// Wires the service.
    pub fn new(
        users: Arc<dyn UserRepository>,
        store: Arc<dyn UserAdminStore>,
        admin: Arc<AdminService>,
        messaging: Arc<MessagingService>,
    ) -> Self {
        Self { users, store, admin, messaging }
    }

    /// Creates or updates one user, idempotently by username. An existing account gets the
    /// given display name and role (user <-> bot only); its password is left alone. Admins and
    /// the system account are not touched (`forbidden`).
    pub async fn provision(&self, item: &ProvisionItem<'_>) -> Result<Provisioned, AppError> {
        if let Some(role) = item.role
            && !matches!(role, Role::User | Role::Bot)
        {
            return Err(AppError::InvalidField("role: user or bot".into()));
        }
        if item.role == Some(Role::Bot) && item.password.is_some() {
            return Err(AppError::InvalidField("password: bots cannot log in with a password".into()));
        }
        let existing = match self.users.by_username(item.username).await? {
            Some((user, _)) => user,
            None => {
                let new = NewUser {
                    username: item.username,
                    password: item.password,
                    display_name: item.display_name,
                    role: item.role.unwrap_or(Role::User),
                };
                match self.admin.create_user(&new).await {
                    Ok(user) => return Ok(Provisioned { user, created: true, updated: false }),
                    // Created concurrently by another call: update it like any existing one.
                    Err(AppError::UsernameTaken) => self
                        .users
                        .by_username(item.username)
                        .await?
                        .map(|(u, _)| u)
                        .ok_or(AppError::Internal("user vanished during provisioning".into()))?,
                    Err(e) => return Err(e),
                }
            }
        };
        if !matches!(existing.role, Role::User | Role::Bot) {
            return Err(AppError::Forbidden(format!("`{}` is an {} account", existing.username, existing.role)));
        }
        let display_name = item.display_name.map(str::trim).unwrap_or(&existing.display_name).to_owned();
        let role = item.role.unwrap_or(existing.role);
        if display_name == existing.display_name && role == existing.role {
            return Ok(Provisioned { user: existing, created: false, updated: false });
        }
        let user =
            self.store.update_profile(&existing.id, &display_name, role).await?.ok_or(AppError::NotFound("user"))?;
        if role == Role::Bot && existing.role != Role::Bot {
            self.admin.revoke_sessions(&user.id).await?;
        }
        Ok(Provisioned { user, created: false, updated: true })
    }

    /// One user by id.
    pub async fn user(&self, id: &str) -> Result<User, AppError> {
        self.admin.user(id).await
    }

    /// Sends as a bot (`sender`) or, when `sender` is `None`, as the system account, through
    /// the ordinary send path (validation, dedupe by `client_msg_id`, seq, push).
    pub async fn send(
        &self,
        sender: Option<&str>,
        target: Target<'_>,
        client_msg_id: &str,
        kind: &str,
        body: &Value,
    ) -> Result<PendingAck, AppError> {
        let sender = match sender {
            None => UserId::system(),
            Some(raw) => {
                let id = UserId::parse(raw).ok_or_else(|| AppError::InvalidField("sender: not a user id".into()))?;
                let user = self.users.by_id(&id).await?.ok_or_else(|| {
                    AppError::InvalidField("sender: no such user (give a bot's user id, or none for the system)".into())
                })?;
                if user.role != Role::Bot {
                    return Err(AppError::Forbidden(
                        "sender: only bots (or the system account) send through the integration API".into(),
                    ));
                }
                if user.is_disabled() {
                    return Err(AppError::AccountDisabled);
                }
                id
            }
        };
        // The integration API's edge: its text is parsed here, after the sender (whose checks
        // come first), in the order of every send: conversation, client_msg_id, kind.
        let conv = match target {
            Target::Conv(conv) => parse_conv(conv)?,
            Target::User(raw) => {
                let to = UserId::parse(raw).ok_or(AppError::UnknownConversation)?;
                ConvId::direct(&sender, &to)
                    .ok_or_else(|| AppError::InvalidField("to_user: the sender cannot message itself".into()))?
            }
        };
        let client_msg_id = ClientMsgId::parse(client_msg_id)?;
        let kind = parse_kind(kind)?;
        let device = DeviceId::new(INTEGRATION_DEVICE);
        self.messaging.send(&sender, &device, conv, client_msg_id, kind, body).await
    }
}
