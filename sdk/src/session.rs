//! The logged-in session: tokens, their expiry, and the one place that refreshes them. Refresh
//! tokens are single-use on the server (a reused one revokes the device), so refreshes are
//! serialised and a caller whose token was already replaced does not refresh again.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tidings_protocol::rest::{RefreshRequest, TokenResponse};

use crate::SdkError;
use crate::store::Store;

/// Refresh this long before the access token expires (at most a quarter of its life).
const REFRESH_MARGIN_MS: i64 = 60_000;
/// Store key of the saved session.
const KEY: &str = "session";

/// Tokens of one device session; saved in the store so a restarted app stays logged in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Session {
    /// The logged-in user.
    pub user_id: String,
    /// Bearer token for REST and `/ws`.
    pub access_token: String,
    /// Single-use token for the next pair.
    pub refresh_token: String,
    /// When to refresh it: a minute early, or a quarter of its life for short-lived tokens.
    pub refresh_at_ms: i64,
}

impl Session {
    /// A session from a login or refresh answer.
    pub(crate) fn from_tokens(t: TokenResponse) -> Self {
        let ttl = i64::try_from(t.expires_in.saturating_mul(1000)).unwrap_or(i64::MAX);
        let now = now_ms();
        Self {
            user_id: t.user_id,
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            refresh_at_ms: now.saturating_add(ttl - REFRESH_MARGIN_MS.min(ttl / 4)),
        }
    }

    fn expiring(&self) -> bool {
        now_ms() >= self.refresh_at_ms
    }
}

/// Milliseconds since the Unix epoch, local clock.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The current session and the gate that serialises refreshes.
pub(crate) struct Sessions {
    current: Mutex<Option<Session>>,
    refresh_gate: tokio::sync::Mutex<()>,
    store: Store,
}

impl Sessions {
    /// Loads the saved session, if any.
    pub(crate) async fn load(store: Store) -> Result<Self, SdkError> {
        let saved = store.get_kv(KEY).await?.and_then(|s| serde_json::from_str::<Session>(&s).ok());
        Ok(Self { current: Mutex::new(saved), refresh_gate: tokio::sync::Mutex::new(()), store })
    }

    /// The session now.
    pub(crate) fn get(&self) -> Option<Session> {
        self.current.lock().ok().and_then(|s| s.clone())
    }

    /// The logged-in user.
    pub(crate) fn user_id(&self) -> Option<String> {
        self.get().map(|s| s.user_id)
    }

    /// Replaces (or with `None` forgets) the session, in memory and in the store.
    pub(crate) async fn set(&self, session: Option<Session>) -> Result<(), SdkError> {
        let saved = session.as_ref().map(serde_json::to_string).transpose()?;
        if let Ok(mut cur) = self.current.lock() {
            *cur = session;
        }
        self.store.set_kv(KEY, saved.as_deref()).await
    }

    /// A usable access token, refreshed first if it is about to expire.
    pub(crate) async fn access_token(&self, rest: &crate::rest::Rest) -> Result<String, SdkError> {
        let s = self.get().ok_or(SdkError::NotLoggedIn)?;
        if s.expiring() {
            self.refresh(rest, &s.access_token).await?;
            return self.get().map(|s| s.access_token).ok_or(SdkError::SessionExpired);
        }
        Ok(s.access_token)
    }

    /// Trades the refresh token for a new pair, unless `stale` was already replaced. A refused
    /// refresh ends the session (`SessionExpired`).
    pub(crate) async fn refresh(&self, rest: &crate::rest::Rest, stale: &str) -> Result<(), SdkError> {
        let _gate = self.refresh_gate.lock().await;
        let s = self.get().ok_or(SdkError::NotLoggedIn)?;
        if s.access_token != stale && !s.expiring() {
            return Ok(());
        }
        let body = serde_json::to_value(RefreshRequest { refresh_token: s.refresh_token.clone() })?;
        match rest.call_public::<TokenResponse>(reqwest::Method::POST, "/api/v1/auth/refresh", Some(body)).await {
            Ok(tokens) => {
                tracing::debug!("access token refreshed");
                self.set(Some(Session::from_tokens(tokens))).await
            }
            Err(SdkError::Server { code, .. }) => {
                tracing::info!(%code, "refresh refused: the session is over");
                self.set(None).await?;
                Err(SdkError::SessionExpired)
            }
            Err(e) => Err(e),
        }
    }
}
