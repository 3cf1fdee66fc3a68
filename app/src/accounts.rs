//! Registration, per-device login, refresh-token rotation with reuse detection, logout, profiles.

use std::sync::Arc;

use tidings_domain::account::{DeviceSession, NO_PASSWORD, Role, User};
use tidings_domain::content::ContentSubject;
use tidings_domain::event::{Delivery, Event};
use tidings_domain::ports::{
    AccessClaims, Notifier, PasswordHasher, SessionRepository, TokenError, TokenService, UserRepository,
};
use tidings_domain::{Clock, DeviceId, SessionId, StoreError, UserId};

use crate::content::ContentGate;
use crate::devices::DeviceLimits;
use crate::error::AppError;

/// Token lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    /// Access-token lifetime in seconds (short: revocation is checked at each use anyway).
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: u64,
}

/// A fresh token pair for one device session.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Bearer token.
    pub access_token: String,
    /// `{session_id}.{secret}`; single use.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The user.
    pub user_id: UserId,
}

/// Account and session use cases.
pub struct AccountService {
    users: Arc<dyn UserRepository>,
    pub(crate) sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenService>,
    pub(crate) notifier: Arc<dyn Notifier>,
    policy: AuthPolicy,
    pub(crate) device_limits: DeviceLimits,
    /// Session expiry and timestamps (a test moves it instead of sleeping).
    pub(crate) clock: Arc<dyn Clock>,
    /// A hash of no account's password, made once: a login of an unknown account is checked
    /// against it, so it costs what a wrong password costs and its timing tells nothing.
    decoy: tokio::sync::OnceCell<String>,
    /// The word lists display names pass.
    content: Arc<ContentGate>,
}

impl AccountService {
    /// Wires the service to its ports.
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenService>,
        notifier: Arc<dyn Notifier>,
        policy: AuthPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            tokens,
            notifier,
            policy,
            clock,
            device_limits: DeviceLimits::default(),
            decoy: tokio::sync::OnceCell::new(),
            content: Arc::new(ContentGate::open()),
        }
    }

    /// Screens display names with `content`'s word lists.
    pub fn with_content(mut self, content: Arc<ContentGate>) -> Self {
        self.content = content;
        self
    }

    /// A display name as stored: refused, masked or flagged by the word lists.
    fn screened_name(&self, author: &UserId, name: &str) -> Result<String, AppError> {
        let masked = self.content.screen_text(ContentSubject::DisplayName, author, name)?;
        Ok(masked.unwrap_or_else(|| name.to_owned()))
    }

    /// Uses `limits` for how many devices per platform may be logged in at once.
    pub fn with_device_limits(mut self, limits: DeviceLimits) -> Self {
        self.device_limits = limits;
        self
    }

    /// Creates an account (inputs already validated at the gate).
    pub async fn register(
        &self,
        username: &str,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<UserId, AppError> {
        let id = UserId::generate();
        let display_name = self.screened_name(&id, display_name.map(str::trim).unwrap_or(username))?;
        let hash = self.hasher.hash(password).await?;
        let user = User {
            id,
            username: username.to_owned(),
            display_name,
            created_at: self.clock.now_ms(),
            role: Role::User,
            disabled_at: None,
        };
        match self.users.insert(&user, &hash).await {
            Ok(()) => Ok(user.id),
            Err(StoreError::Duplicate(_)) => Err(AppError::UsernameTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Logs one device in. A device has one live session: an older one is revoked and its sockets close.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        device: DeviceId,
        platform: &str,
    ) -> Result<Tokens, AppError> {
        let (user, hash) = match self.users.by_username(username).await? {
            // Bots and the system account have no password to log in with.
            Some((user, hash)) if user.can_log_in() && hash != NO_PASSWORD => (user, hash),
            _ => {
                // The same work as a wrong password: whether an account exists does not show
                // in how long the answer takes.
                let decoy = self.decoy.get_or_try_init(|| self.hasher.hash("no account has this password")).await?;
                let _ = self.hasher.verify(password, decoy).await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        if !self.hasher.verify(password, &hash).await? {
            return Err(AppError::InvalidCredentials);
        }
        // Only someone who knows the password learns that the account is disabled.
        if user.is_disabled() {
            return Err(AppError::AccountDisabled);
        }
        let now = self.clock.now_ms();
        for old in self.sessions.revoke_device(&user.id, &device, now).await? {
            self.announce_revoked(&user.id, old).await;
        }
        self.enforce_device_limit(&user.id, &device, platform).await?;
        let secret = self.tokens.new_secret();
        let session = DeviceSession {
            id: SessionId::generate(),
            user_id: user.id.clone(),
            device_id: device,
            platform: platform.to_owned(),
            refresh_hash: self.tokens.hash_secret(&secret),
            prev_refresh_hash: None,
            created_at: now,
            expires_at: now + ttl_ms(self.policy.refresh_ttl_secs),
            revoked_at: None,
        };
        self.sessions.insert(&session).await?;
        self.token_pair(&session, &secret)
    }

    /// Changes the caller's own password after checking the current one, then revokes every
    /// other session of the account (their tokens stop working and their sockets close): a
    /// password change is what a user does when they fear someone else is logged in.
    /// `username` is the caller's (the handler already read it to check the failed-login budget).
    /// Returns how many sessions were revoked.
    pub async fn change_password(
        &self,
        claims: &AccessClaims,
        username: &str,
        current: &str,
        new: &str,
    ) -> Result<usize, AppError> {
        let Some((user, hash)) = self.users.by_username(username).await? else {
            return Err(AppError::Unauthorized);
        };
        if user.id != claims.user_id {
            return Err(AppError::Unauthorized);
        }
        if hash == NO_PASSWORD || !self.hasher.verify(current, &hash).await? {
            return Err(AppError::InvalidCredentials);
        }
        let next = self.hasher.hash(new).await?;
        if !self.users.set_password_hash(&user.id, &next).await? {
            return Err(AppError::Unauthorized);
        }
        let now = self.clock.now_ms();
        let mut revoked = 0;
        for session in self.sessions.active_for_user(&user.id, now).await? {
            if session.id != claims.session_id {
                self.sessions.revoke(&session.id, now).await?;
                self.announce_revoked(&user.id, session.id).await;
                revoked += 1;
            }
        }
        tracing::info!(user = %user.id, revoked, "password changed; other sessions revoked");
        Ok(revoked)
    }

    /// Exchanges a refresh token for a new pair. A token used twice revokes the whole session.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AppError> {
        let (sid, secret) = refresh_token.split_once('.').ok_or(AppError::Unauthorized)?;
        let Some(session) = self.sessions.get(&SessionId::new(sid)).await? else {
            return Err(AppError::Unauthorized);
        };
        let now = self.clock.now_ms();
        if !session.is_active(now) {
            return Err(self.refusal(&session.user_id).await);
        }
        let presented = self.tokens.hash_secret(secret);
        if constant_time_eq(presented.as_bytes(), session.refresh_hash.as_bytes()) {
            let next_secret = self.tokens.new_secret();
            let next_hash = self.tokens.hash_secret(&next_secret);
            let expires_at = now + ttl_ms(self.policy.refresh_ttl_secs);
            if self.sessions.rotate(&session.id, &presented, &next_hash, expires_at).await? {
                return self.token_pair(&session, &next_secret);
            }
            // Another refresh with the same token won the race: that is a reuse.
        } else if !session
            .prev_refresh_hash
            .as_deref()
            .is_some_and(|prev| constant_time_eq(presented.as_bytes(), prev.as_bytes()))
        {
            return Err(AppError::Unauthorized);
        }
        tracing::warn!(user = %session.user_id, session = session.id.as_str(), "refresh token reused; revoking session");
        self.sessions.revoke(&session.id, now).await?;
        self.announce_revoked(&session.user_id, session.id).await;
        Err(AppError::RefreshReused)
    }

    /// Revokes the caller's device session and closes its sockets.
    pub async fn logout(&self, claims: &AccessClaims) -> Result<(), AppError> {
        self.sessions.revoke(&claims.session_id, self.clock.now_ms()).await?;
        self.announce_revoked(&claims.user_id, claims.session_id.clone()).await;
        Ok(())
    }

    /// Checks an access token and that its session is still live.
    pub async fn authenticate(&self, token: &str) -> Result<AccessClaims, AppError> {
        let claims = self.tokens.verify_access(token).map_err(|e| match e {
            TokenError::Expired => AppError::TokenExpired,
            TokenError::Invalid => AppError::Unauthorized,
        })?;
        match self.sessions.get(&claims.session_id).await? {
            Some(s) if s.is_active(self.clock.now_ms()) && s.user_id == claims.user_id => Ok(claims),
            Some(s) if s.user_id == claims.user_id && s.revoked_at.is_some() => Err(self.refusal(&s.user_id).await),
            _ => Err(AppError::Unauthorized),
        }
    }

    /// Why a revoked session is refused: disabling an account revokes its sessions, and its
    /// tokens then say `account_disabled` rather than a bare `unauthorized`. Only paid for
    /// refused requests.
    async fn refusal(&self, user: &UserId) -> AppError {
        match self.users.by_id(user).await {
            Ok(Some(u)) if u.is_disabled() => AppError::AccountDisabled,
            _ => AppError::Unauthorized,
        }
    }

    /// The account with exactly this username, for finding someone to add or message; disabled
    /// accounts and the built-in system account are not found.
    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>, AppError> {
        let wanted = username.trim().to_ascii_lowercase();
        let found = self.users.by_username(&wanted).await?.map(|(user, _)| user);
        Ok(found.filter(|u| !u.is_disabled() && u.role != tidings_domain::account::Role::System))
    }

    /// A user's profile.
    pub async fn user(&self, id: &UserId) -> Result<User, AppError> {
        self.users.by_id(id).await?.ok_or(AppError::NotFound("user"))
    }

    /// Changes the caller's profile.
    pub async fn update_me(&self, id: &UserId, display_name: Option<&str>) -> Result<User, AppError> {
        match display_name {
            Some(name) => {
                let name = self.screened_name(id, name.trim())?;
                self.users.set_display_name(id, &name).await?.ok_or(AppError::NotFound("user"))
            }
            None => self.user(id).await,
        }
    }

    fn token_pair(&self, session: &DeviceSession, secret: &str) -> Result<Tokens, AppError> {
        let claims = AccessClaims {
            user_id: session.user_id.clone(),
            session_id: session.id.clone(),
            device_id: session.device_id.clone(),
            expires_at: self.clock.now_ms() / 1000 + i64::try_from(self.policy.access_ttl_secs).unwrap_or(i64::MAX / 2),
        };
        Ok(Tokens {
            access_token: self.tokens.issue_access(&claims)?,
            refresh_token: format!("{}.{secret}", session.id.as_str()),
            expires_in: self.policy.access_ttl_secs,
            user_id: session.user_id.clone(),
        })
    }

    async fn announce_revoked(&self, user: &UserId, session_id: SessionId) {
        self.notifier
            .notify(Delivery {
                recipients: vec![user.clone()],
                skip_device: None,
                event: Arc::new(Event::SessionRevoked { user_id: user.clone(), session_id }),
            })
            .await;
    }
}

fn ttl_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2)
}

/// Compares secrets without an early exit, so timing does not reveal how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
