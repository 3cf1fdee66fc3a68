//! Enterprise administration: the first admin, account management (search, create, disable,
//! enable, password reset, role change), API keys for business systems, and figures.

use std::sync::Arc;

use tidings_domain::account::{NO_PASSWORD, Role, User};
use tidings_domain::admin::{ApiKey, ApiKeyStore, OnlineCounter, Scope, UserAdminStore, UserQuery, new_key_id};
use tidings_domain::content::ContentSubject;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{Notifier, PasswordHasher, TokenService, UserRepository};
use tidings_domain::{StoreError, UserId};

use crate::accounts::constant_time_eq;
use crate::clock::now_ms;
use crate::content::ContentGate;
use crate::error::AppError;

/// Prefix of every API key.
pub const API_KEY_PREFIX: &str = "tk_";

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// What `create_or_promote_admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new admin account was created.
    Created,
    /// An existing account became an admin (its password was set).
    Promoted,
    /// The account was an admin already (its password was set).
    AlreadyAdmin,
}

/// A new account, as an admin or a provisioning system describes it.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name (validated at the gate).
    pub username: &'a str,
    /// Password; `None` for accounts that never log in with one (bots, SSO users).
    pub password: Option<&'a str>,
    /// Shown name; defaults to the username.
    pub display_name: Option<&'a str>,
    /// Role: user, admin or bot.
    pub role: Role,
}

/// Figures for the admin dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Accounts, the system account excluded.
    pub users: u64,
    /// Devices connected now.
    pub online_devices: u64,
    /// Messages committed since midnight UTC.
    pub messages_today: u64,
}

/// A page of users and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// Users, ascending by id.
    pub users: Vec<User>,
    /// Pass as `cursor` for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// Admin use cases.
pub struct AdminService {
    users: Arc<dyn UserRepository>,
    store: Arc<dyn UserAdminStore>,
    keys: Arc<dyn ApiKeyStore>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenService>,
    notifier: Arc<dyn Notifier>,
    online: Arc<dyn OnlineCounter>,
    /// The word lists display names an administrator sets pass.
    content: Arc<ContentGate>,
}

impl AdminService {
    /// Wires the service to its ports.
    pub fn new(
        users: Arc<dyn UserRepository>,
        store: Arc<dyn UserAdminStore>,
        keys: Arc<dyn ApiKeyStore>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenService>,
        notifier: Arc<dyn Notifier>,
        online: Arc<dyn OnlineCounter>,
    ) -> Self {
        Self { users, store, keys, hasher, tokens, notifier, online, content: Arc::new(ContentGate::open()) }
    }

    /// Screens the display names it sets with `content`'s word lists.
    pub fn with_content(mut self, content: Arc<ContentGate>) -> Self {
        self.content = content;
        self
    }

    /// A display name for account `owner` as stored: refused, masked or flagged by the word lists.
    pub fn screened_name(&self, owner: &UserId, name: &str) -> Result<String, AppError> {
        let masked = self.content.screen_text(ContentSubject::DisplayName, owner, name)?;
        Ok(masked.unwrap_or_else(|| name.to_owned()))
    }

    /// The caller, if their account is an enabled admin (checked against storage each time).
    pub async fn require_admin(&self, id: &UserId) -> Result<User, AppError> {
        let user = self.users.by_id(id).await?.ok_or(AppError::Unauthorized)?;
        if user.is_disabled() {
            return Err(AppError::AccountDisabled);
        }
        if user.role != Role::Admin {
            return Err(AppError::Forbidden("this needs an administrator".into()));
        }
        Ok(user)
    }

    /// Users whose username or display name contains `q`, a page after `cursor`.
    pub async fn search(&self, q: Option<&str>, cursor: Option<&str>, limit: u32) -> Result<UserPage, AppError> {
        let after = match cursor {
            Some(c) => Some(UserId::parse(c).ok_or_else(|| AppError::InvalidField("cursor: malformed".into()))?),
            None => None,
        };
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        let limit = u64::from(limit.max(1));
        let mut users = self.store.search(&UserQuery { q, after: after.as_ref(), limit: limit + 1 }).await?;
        let more = users.len() as u64 > limit;
        users.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = if more { users.last().map(|u| u.id.to_string()) } else { None };
        Ok(UserPage { users, next_cursor })
    }

    /// One user.
    pub async fn user(&self, id: &str) -> Result<User, AppError> {
        let id = UserId::parse(id).ok_or(AppError::NotFound("user"))?;
        self.users.by_id(&id).await?.ok_or(AppError::NotFound("user"))
    }

    /// Creates an account. Users and admins need a password; bots must not have one.
    pub async fn create_user(&self, new: &NewUser<'_>) -> Result<User, AppError> {
        let hash = match (new.role, new.password) {
            (Role::System, _) => return Err(AppError::InvalidField("role: system cannot be given".into())),
            (Role::Bot, Some(_)) => {
                return Err(AppError::InvalidField("password: bots cannot log in with a password".into()));
            }
            (Role::Bot, None) => NO_PASSWORD.to_owned(),
            (_, Some(p)) => self.hasher.hash(p).await?,
            (_, None) => NO_PASSWORD.to_owned(),
        };
        let id = UserId::generate();
        let display_name = self.screened_name(&id, new.display_name.map(str::trim).unwrap_or(new.username))?;
        let user = User {
            id,
            username: new.username.to_owned(),
            display_name,
            created_at: now_ms(),
            role: new.role,
            disabled_at: None,
        };
        match self.users.insert(&user, &hash).await {
            Ok(()) => Ok(user),
            Err(StoreError::Duplicate(_)) => Err(AppError::UsernameTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Disables an account: it can no longer log in, every session is revoked and its open
    /// sockets close. Disabling a disabled account changes nothing.
    pub async fn disable(&self, actor: &UserId, id: &str) -> Result<User, AppError> {
        let target = self.changeable(actor, id, "disable").await?;
        if target.is_disabled() {
            return Ok(target);
        }
        let user = self.store.set_disabled(&target.id, Some(now_ms())).await?.ok_or(AppError::NotFound("user"))?;
        self.revoke_sessions(&user.id).await?;
        tracing::info!(admin = %actor, user = %user.id, "account disabled");
        Ok(user)
    }

    /// Enables a disabled account (it logs in again; its old sessions stay revoked).
    pub async fn enable(&self, actor: &UserId, id: &str) -> Result<User, AppError> {
        let target = self.changeable(actor, id, "enable").await?;
        let user = self.store.set_disabled(&target.id, None).await?.ok_or(AppError::NotFound("user"))?;
        tracing::info!(admin = %actor, user = %user.id, "account enabled");
        Ok(user)
    }

    /// Sets a new password and revokes every session of the account.
    pub async fn reset_password(&self, actor: &UserId, id: &str, password: &str) -> Result<(), AppError> {
        let target = self.user(id).await?;
        if !target.can_log_in() {
            return Err(AppError::Forbidden("bots and the system account have no password".into()));
        }
        let hash = self.hasher.hash(password).await?;
        if !self.store.set_password_hash(&target.id, &hash).await? {
            return Err(AppError::NotFound("user"));
        }
        self.revoke_sessions(&target.id).await?;
        tracing::info!(admin = %actor, user = %target.id, "password reset");
        Ok(())
    }

    /// Changes an account's role (user, admin or bot). Becoming a bot revokes every session,
    /// since bots cannot log in.
    pub async fn set_role(&self, actor: &UserId, id: &str, role: Role) -> Result<User, AppError> {
        if role == Role::System {
            return Err(AppError::InvalidField("role: system cannot be given".into()));
        }
        let target = self.changeable(actor, id, "change the role of").await?;
        if target.role == role {
            return Ok(target);
        }
        let user = self.store.set_role(&target.id, role).await?.ok_or(AppError::NotFound("user"))?;
        if role == Role::Bot {
            self.revoke_sessions(&user.id).await?;
        }
        tracing::info!(admin = %actor, user = %user.id, role = role.as_str(), "role changed");
        Ok(user)
    }

    /// `tidings admin create`: creates the admin, or makes an existing account an admin; either
    /// way the account ends up an enabled admin with this password.
    pub async fn create_or_promote_admin(
        &self,
        username: &str,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<(User, AdminOutcome), AppError> {
        let Some((existing, _)) = self.users.by_username(username).await? else {
            let new = NewUser { username, password: Some(password), display_name, role: Role::Admin };
            return Ok((self.create_user(&new).await?, AdminOutcome::Created));
        };
        if matches!(existing.role, Role::System | Role::Bot) {
            return Err(AppError::Forbidden(format!(
                "`{username}` is a {} account and cannot be an admin",
                existing.role
            )));
        }
        let hash = self.hasher.hash(password).await?;
        self.store.set_password_hash(&existing.id, &hash).await?;
        if existing.is_disabled() {
            self.store.set_disabled(&existing.id, None).await?;
        }
        let outcome = if existing.role == Role::Admin { AdminOutcome::AlreadyAdmin } else { AdminOutcome::Promoted };
        let user = self.store.set_role(&existing.id, Role::Admin).await?.ok_or(AppError::NotFound("user"))?;
        Ok((user, outcome))
    }

    /// The `admin.initial_*` settings: creates that admin unless the username exists.
    pub async fn ensure_initial_admin(&self, username: &str, password: &str) -> Result<Option<User>, AppError> {
        if self.users.by_username(username).await?.is_some() {
            return Ok(None);
        }
        let new = NewUser { username, password: Some(password), display_name: None, role: Role::Admin };
        match self.create_user(&new).await {
            Ok(user) => Ok(Some(user)),
            // Another instance starting at the same time created it first.
            Err(AppError::UsernameTaken) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates an API key; returns it and the full key (`tk_{key_id}_{secret}`), shown once.
    pub async fn create_api_key(
        &self,
        actor: &UserId,
        name: &str,
        scopes: &[Scope],
    ) -> Result<(ApiKey, String), AppError> {
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let secret = self.tokens.new_secret();
        let key = ApiKey {
            key_id: new_key_id(),
            name: name.trim().to_owned(),
            scopes,
            secret_hash: self.tokens.hash_secret(&secret),
            created_by: actor.clone(),
            created_at: now_ms(),
            revoked_at: None,
        };
        self.keys.insert(&key).await?;
        tracing::info!(admin = %actor, key = key.key_id, "API key created");
        let full = format!("{API_KEY_PREFIX}{}_{secret}", key.key_id);
        Ok((key, full))
    }

    /// Every API key, without secrets, newest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKey>, AppError> {
        Ok(self.keys.list().await?)
    }

    /// Revokes an API key: it is refused from now on.
    pub async fn revoke_api_key(&self, actor: &UserId, key_id: &str) -> Result<(), AppError> {
        if !self.keys.revoke(key_id, now_ms()).await? {
            return Err(AppError::NotFound("API key"));
        }
        tracing::info!(admin = %actor, key = key_id, "API key revoked");
        Ok(())
    }

    /// Checks a presented API key: well formed, known, not revoked, secret matching.
    pub async fn authenticate_key(&self, presented: &str) -> Result<ApiKey, AppError> {
        let (key_id, secret) = presented
            .strip_prefix(API_KEY_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .filter(|(id, secret)| !id.is_empty() && id.len() <= 32 && !secret.is_empty())
            .ok_or(AppError::Unauthorized)?;
        let key = self.keys.get(key_id).await?.ok_or(AppError::Unauthorized)?;
        let hash = self.tokens.hash_secret(secret);
        if key.revoked_at.is_some() || !constant_time_eq(hash.as_bytes(), key.secret_hash.as_bytes()) {
            return Err(AppError::Unauthorized);
        }
        Ok(key)
    }

    /// Users, connected devices and today's messages.
    pub async fn stats(&self) -> Result<Stats, AppError> {
        let now = now_ms();
        Ok(Stats {
            users: self.store.count_users().await?,
            online_devices: self.online.online_devices().await?,
            messages_today: self.store.count_messages_since(now - now.rem_euclid(DAY_MS)).await?,
        })
    }

    /// Revokes every session of `user` and closes their sockets (wherever they are connected).
    pub async fn revoke_sessions(&self, user: &UserId) -> Result<(), AppError> {
        for session_id in self.store.revoke_all_sessions(user, now_ms()).await? {
            self.notifier
                .notify(Delivery {
                    recipients: vec![user.clone()],
                    skip_device: None,
                    event: Arc::new(Event::SessionRevoked { user_id: user.clone(), session_id }),
                })
                .await;
        }
        Ok(())
    }

    /// A user an admin may change: not the system account, and not the admin themself (an
    /// admin who disables or demotes themself could lock everyone out).
    async fn changeable(&self, actor: &UserId, id: &str, what: &str) -> Result<User, AppError> {
        let target = self.user(id).await?;
        if target.role == Role::System {
            return Err(AppError::Forbidden("the system account cannot be changed".into()));
        }
        if &target.id == actor {
            return Err(AppError::Conflict(format!("an admin cannot {what} their own account")));
        }
        Ok(target)
    }
}
