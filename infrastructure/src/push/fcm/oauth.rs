//! FCM's OAuth 2 access token, from the service account by the JWT-bearer grant: an RS256
//! assertion (`iss` = client email, `scope` = FCM, `aud` = token URI, one hour) posted to the
//! token URI. The token is cached and fetched anew when little of its life remains (5 minutes,
//! or a tenth of a short lifetime) or at once when FCM refuses it; one fetch at a time, while
//! sends with a good token go on.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tidings_domain::device_push::DeviceSendStats;

use crate::push::PushSetupError;
use crate::push::retry::bump;

/// The only scope the sender needs.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The grant type of a signed-assertion token request (RFC 7523).
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Lifetime asked of Google (its maximum).
const ASSERTION_LIFETIME: u64 = 3600;
/// Refresh this long before expiry, at most.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The fields of a Google service-account JSON file the sender uses.
#[derive(Deserialize)]
pub(crate) struct ServiceAccount {
    /// The Firebase project.
    pub(crate) project_id: String,
    /// RSA key (PEM) the assertions are signed with.
    pub(crate) private_key: String,
    /// The account's email: the assertion's issuer.
    pub(crate) client_email: String,
    /// Where access tokens come from.
    pub(crate) token_uri: String,
}

/// The assertion's claims.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Why no access token could be had.
#[derive(Debug)]
pub(crate) enum TokenError {
    /// Worth trying again (network error, 5xx, throttling).
    Transient(String),
    /// The token endpoint refused the account or its key: no retry will help.
    Refused(String),
}

/// A fetched token and when to fetch the next one.
struct Cached {
    token: Arc<str>,
    refresh_at: Instant,
}

/// The access tokens of one FCM sender.
pub(crate) struct AccessTokens {
    client: reqwest::Client,
    key: EncodingKey,
    client_email: String,
    token_uri: String,
    cached: RwLock<Option<Cached>>,
    fetching: tokio::sync::Mutex<()>,
}

impl AccessTokens {
    /// Reads the account's key and makes sure it signs.
    pub(crate) fn new(account: &ServiceAccount, client: reqwest::Client) -> Result<Self, PushSetupError> {
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes()).map_err(PushSetupError::FcmKey)?;
        let tokens = Self {
            client,
            key,
            client_email: account.client_email.clone(),
            token_uri: account.token_uri.clone(),
            cached: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
        };
        tokens.assertion().map_err(PushSetupError::FcmKey)?;
        Ok(tokens)
    }

    /// The token to send with: the cached one while fresh, else a new one (counted in
    /// `credential_refreshes`; concurrent callers wait for the one fetch).
    pub(crate) async fn current(&self, stats: &DeviceSendStats) -> Result<Arc<str>, TokenError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _one_fetch = self.fetching.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let (token, lifetime) = self.fetch().await?;
        bump(&stats.credential_refreshes);
        tracing::debug!(?lifetime, "FCM access token fetched");
        let margin = REFRESH_MARGIN.min(lifetime / 10);
        let refresh_at = Instant::now() + lifetime.saturating_sub(margin);
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) =
            Some(Cached { token: token.clone(), refresh_at });
        Ok(token)
    }

    /// Forgets `token` (FCM refused it) so the next send fetches a new one; a no-op when another
    /// send has already replaced it.
    pub(crate) fn expire(&self, token: &str) {
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        if cached.as_ref().is_some_and(|c| &*c.token == token) {
            *cached = None;
        }
    }

    fn fresh(&self) -> Option<Arc<str>> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        cached.as_ref().filter(|c| Instant::now() < c.refresh_at).map(|c| c.token.clone())
    }

    fn assertion(&self) -> Result<String, jsonwebtoken::errors::Error> {
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let claims =
            Claims { iss: &self.client_email, scope: SCOPE, aud: &self.token_uri, iat, exp: iat + ASSERTION_LIFETIME };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
    }

    async fn fetch(&self) -> Result<(Arc<str>, Duration), TokenError> {
        let assertion = self.assertion().map_err(|e| TokenError::Refused(format!("FCM assertion not signed: {e}")))?;
        let sent = self
            .client
            .post(&self.token_uri)
            .form(&[("grant_type", GRANT_TYPE), ("assertion", assertion.as_str())])
            .send()
            .await;
        let response = sent.map_err(|e| TokenError::Transient(format!("FCM token request failed: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let why = format!(
                "FCM token endpoint answered {}: {}",
                status.as_u16(),
                body.chars().take(200).collect::<String>()
            );
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                TokenError::Transient(why)
            } else {
                TokenError::Refused(why)
            });
        }
        let answer: TokenAnswer =
            response.json().await.map_err(|e| TokenError::Transient(format!("FCM token answer unreadable: {e}")))?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(ASSERTION_LIFETIME));
        Ok((answer.access_token.into(), lifetime))
    }
}
