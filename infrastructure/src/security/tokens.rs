//! HS256 access tokens and hashed refresh secrets. Only HS256 is accepted: a token naming any
//! other algorithm (including `none`) is invalid.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tidings_domain::ports::{AccessClaims, TokenError, TokenService};
use tidings_domain::{Clock, DeviceId, SessionId, StoreError, UserId};

/// The claims inside an access token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    sid: String,
    dev: String,
    exp: i64,
}

/// Signs and checks tokens with one secret key.
pub struct JwtTokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Expiry is checked against this clock, not the library's own reading of the time.
    clock: Arc<dyn Clock>,
}

impl JwtTokenService {
    /// Uses `key` (at least 32 random bytes) for HS256; tokens expire by `clock`.
    pub fn new(key: &[u8], clock: Arc<dyn Clock>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // One issuer, one verifier: no clock skew to forgive, so expiry is exact.
        validation.leeway = 0;
        // `exp` is required and checked below against `clock`.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self { encoding: EncodingKey::from_secret(key), decoding: DecodingKey::from_secret(key), validation, clock }
    }
}

impl TokenService for JwtTokenService {
    fn issue_access(&self, claims: &AccessClaims) -> Result<String, StoreError> {
        let body = Claims {
            sub: claims.user_id.to_string(),
            sid: claims.session_id.as_str().to_owned(),
            dev: claims.device_id.as_str().to_owned(),
            exp: claims.expires_at,
        };
        encode(&Header::new(Algorithm::HS256), &body, &self.encoding)
            .map_err(|e| StoreError::Other(format!("signing failed: {e}")))
    }

    fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })?;
        let c = data.claims;
        // Expired once the clock has passed `exp` (whole seconds), as the JWT rules have it.
        if c.exp < self.clock.now_secs() {
            return Err(TokenError::Expired);
        }
        Ok(AccessClaims {
            user_id: UserId::parse(&c.sub).ok_or(TokenError::Invalid)?,
            session_id: SessionId::new(c.sid),
            device_id: DeviceId::new(c.dev),
            expires_at: c.exp,
        })
    }

    fn new_secret(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn hash_secret(&self, secret: &str) -> String {
        Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            user_id: UserId::parse("u_1").unwrap(),
            session_id: SessionId::new("s_1"),
            device_id: DeviceId::new("d1"),
            expires_at: exp,
        }
    }

    fn now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
    }

    fn system() -> Arc<dyn Clock> {
        Arc::new(tidings_domain::SystemClock)
    }

    #[test]
    fn round_trip_expiry_tamper_and_none() {
        let svc = JwtTokenService::new(&[7u8; 32], system());
        let token = svc.issue_access(&claims(now() + 60)).unwrap();
        assert_eq!(svc.verify_access(&token).unwrap(), claims(now() + 60));

        let expired = svc.issue_access(&claims(now() - 600)).unwrap();
        assert_eq!(svc.verify_access(&expired), Err(TokenError::Expired));

        let other = JwtTokenService::new(&[8u8; 32], system()).issue_access(&claims(now() + 60)).unwrap();
        assert_eq!(svc.verify_access(&other), Err(TokenError::Invalid));

        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(svc.verify_access(&none), Err(TokenError::Invalid));
    }

    #[test]
    fn a_token_expires_when_its_clock_passes_exp() {
        let clock = Arc::new(tidings_domain::ShiftedClock::default());
        let svc = JwtTokenService::new(&[7u8; 32], clock.clone());
        let token = svc.issue_access(&claims(now() + 60)).unwrap();
        assert!(svc.verify_access(&token).is_ok());
        clock.advance(std::time::Duration::from_secs(62));
        assert_eq!(svc.verify_access(&token), Err(TokenError::Expired));
    }

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let svc = JwtTokenService::new(&[1u8; 32], system());
        let (a, b) = (svc.new_secret(), svc.new_secret());
        assert_ne!(a, b);
        assert_eq!(svc.hash_secret(&a), svc.hash_secret(&a));
        assert_eq!(svc.hash_secret(&a).len(), 64);
    }
}
