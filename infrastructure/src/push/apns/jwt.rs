//! The APNs provider token: an ES256 JWT (`kid` = key id, `iss` = team id, `iat` = now) signed
//! with the team's `.p8` key. Apple refuses tokens older than an hour and throttles providers
//! that sign new ones more often than every 20 minutes, so one token is shared by every request
//! and signed anew after 50 minutes, or at once when APNs calls it expired.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use tidings_domain::device_push::DeviceSendStats;

use crate::push::PushSetupError;
use crate::push::retry::bump;

/// Age after which a token is signed anew (Apple's limit is one hour).
pub(crate) const RESIGN_AFTER: Duration = Duration::from_secs(50 * 60);

/// The claims APNs reads.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: u64,
}

/// A signed token and when it was signed.
struct Signed {
    jwt: Arc<str>,
    at: Instant,
}

/// The provider token of one APNs sender, signed on demand and cached.
pub(crate) struct ProviderToken {
    key: EncodingKey,
    header: Header,
    team_id: String,
    cached: Mutex<Option<Signed>>,
}

impl ProviderToken {
    /// Reads the `.p8` key and makes sure it signs.
    pub(crate) fn new(key_pem: &str, key_id: &str, team_id: &str) -> Result<Self, PushSetupError> {
        let key = EncodingKey::from_ec_pem(key_pem.as_bytes()).map_err(PushSetupError::ApnsKey)?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key_id.to_owned());
        let token = Self { key, header, team_id: team_id.to_owned(), cached: Mutex::new(None) };
        token.sign().map_err(PushSetupError::ApnsKey)?;
        Ok(token)
    }

    /// The token to send now: the cached one while younger than [`RESIGN_AFTER`], else a new
    /// one (counted in `credential_refreshes`).
    pub(crate) fn current(&self, stats: &DeviceSendStats) -> Result<Arc<str>, jsonwebtoken::errors::Error> {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(signed) = cached.as_ref().filter(|s| s.at.elapsed() < RESIGN_AFTER) {
            return Ok(signed.jwt.clone());
        }
        let jwt: Arc<str> = self.sign()?.into();
        bump(&stats.credential_refreshes);
        tracing::debug!("APNs provider token signed");
        *cached = Some(Signed { jwt: jwt.clone(), at: Instant::now() });
        Ok(jwt)
    }

    /// Forgets `jwt` (APNs called it expired or invalid) so the next request signs a new one;
    /// a no-op when another request has already replaced it.
    pub(crate) fn expire(&self, jwt: &str) {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if cached.as_ref().is_some_and(|s| &*s.jwt == jwt) {
            *cached = None;
        }
    }

    fn sign(&self) -> Result<String, jsonwebtoken::errors::Error> {
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        jsonwebtoken::encode(&self.header, &Claims { iss: &self.team_id, iat }, &self.key)
    }
}
