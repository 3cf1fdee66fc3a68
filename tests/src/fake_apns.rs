//! A fake APNs on loopback for the push-provider tests and benchmarks: a real HTTP/2 server over
//! TLS (a test CA made at start, whose PEM the sender is told to trust) that checks what Apple
//! checks — the ES256 provider token against the team's public key, its `kid` and `iss`, the
//! `apns-topic` — records every accepted push, and can be scripted to answer 410 for chosen
//! device tokens, 429 for the next requests, or 403 `ExpiredProviderToken` for the tokens signed
//! so far. Counters are atomics and a verified JWT is remembered, so it stays cheap under load.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use anyhow::Context as _;
use hyper::{Method, Version};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::fake_http::{FakeRequest, FakeResponse, Handler, ServerGuard, empty_response, json_response, serve_tls};

/// A P-256 signing key like the `.p8` file Apple hands out, and its public half for the fake.
pub struct ApnsTestKey {
    /// PKCS#8 PEM private key (what `ApnsConfig::key_pem` takes).
    pub private_pem: String,
    /// SPKI PEM public key (what [`FakeApnsOptions::public_key_pem`] takes).
    pub public_pem: String,
}

impl ApnsTestKey {
    /// A new random key.
    pub fn generate() -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("generate P-256 key")?;
        Ok(Self { private_pem: key.serialize_pem(), public_pem: key.public_key_pem() })
    }
}

/// Who the fake expects to push.
#[derive(Debug, Clone)]
pub struct FakeApnsOptions {
    /// The team id the provider tokens must name (`iss`).
    pub team_id: String,
    /// The key id the provider tokens must name (`kid`).
    pub key_id: String,
    /// The bundle id every push must name (`apns-topic`).
    pub topic: String,
    /// The public key the provider tokens are verified with (SPKI PEM).
    pub public_key_pem: String,
    /// Keep every accepted push for [`FakeApns::accepted`] (off for benchmarks: counters only).
    pub keep_records: bool,
}

/// One accepted push.
#[derive(Debug, Clone)]
pub struct ApnsRecord {
    /// The device token from the path.
    pub token: String,
    /// The request's headers (lower-case names).
    pub headers: HashMap<String, String>,
    /// The JSON payload.
    pub payload: Value,
    /// The HTTP version the sender spoke.
    pub version: Version,
}

/// The claims APNs reads.
#[derive(Deserialize)]
struct Claims {
    iss: String,
    iat: u64,
}

/// What the handler shares with the test.
struct State {
    options: FakeApnsOptions,
    key: DecodingKey,
    /// Verified JWTs and their `iat`.
    verified: RwLock<HashMap<String, u64>>,
    /// JWTs issued at or before this second are answered `ExpiredProviderToken`.
    expired_up_to: AtomicU64,
    unregistered: RwLock<HashSet<String>>,
    throttle_next: AtomicU32,
    requests: AtomicU64,
    accepted_count: AtomicU64,
    expired_answers: AtomicU64,
    throttled_answers: AtomicU64,
    non_h2_requests: AtomicU64,
    records: Mutex<Vec<ApnsRecord>>,
}

/// A running fake APNs; stops when dropped.
pub struct FakeApns {
    url: String,
    ca_pem: String,
    state: Arc<State>,
    _server: ServerGuard,
}

impl FakeApns {
    /// Starts a fake on `127.0.0.1:0` with a new test CA and server certificate.
    pub async fn start(options: FakeApnsOptions) -> anyhow::Result<Self> {
        let key = DecodingKey::from_ec_pem(options.public_key_pem.as_bytes()).context("APNs public key")?;
        let (ca_pem, acceptor) = tls_acceptor()?;
        let listener = TcpListener::bind("127.0.0.1:0").await.context("bind fake APNs")?;
        let url = format!("https://127.0.0.1:{}", listener.local_addr()?.port());
        let state = Arc::new(State {
            options,
            key,
            verified: RwLock::new(HashMap::new()),
            expired_up_to: AtomicU64::new(0),
            unregistered: RwLock::new(HashSet::new()),
            throttle_next: AtomicU32::new(0),
            requests: AtomicU64::new(0),
            accepted_count: AtomicU64::new(0),
            expired_answers: AtomicU64::new(0),
            throttled_answers: AtomicU64::new(0),
            non_h2_requests: AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
        });
        let handler_state = state.clone();
        let handler: Handler = Arc::new(move |request| handle(&handler_state, request));
        let server = serve_tls(listener, acceptor, handler);
        Ok(Self { url, ca_pem, state, _server: server })
    }

    /// `https://127.0.0.1:{port}` (what `ApnsConfig::url` takes).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The test CA's certificate (what `ApnsConfig::extra_root_ca_pem` takes).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Every accepted push so far, in arrival order (empty unless `keep_records`).
    pub fn accepted(&self) -> Vec<ApnsRecord> {
        self.state.records.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Pushes accepted so far (counted even without `keep_records`).
    pub fn accepted_count(&self) -> u64 {
        self.state.accepted_count.load(Ordering::Relaxed)
    }

    /// Requests received so far, whatever their answer.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Requests that did not come over HTTP/2 (APNs would refuse them).
    pub fn non_http2_requests(&self) -> u64 {
        self.state.non_h2_requests.load(Ordering::Relaxed)
    }

    /// 403 `ExpiredProviderToken` answers given.
    pub fn expired_answers(&self) -> u64 {
        self.state.expired_answers.load(Ordering::Relaxed)
    }

    /// 429 answers given.
    pub fn throttled_answers(&self) -> u64 {
        self.state.throttled_answers.load(Ordering::Relaxed)
    }

    /// Distinct provider tokens verified so far (a sender reusing its JWT shows 1).
    pub fn distinct_jwts(&self) -> usize {
        self.state.verified.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// From now on, pushes to `token` are answered 410 `Unregistered`.
    pub fn unregister(&self, token: &str) {
        self.state.unregistered.write().unwrap_or_else(PoisonError::into_inner).insert(token.to_owned());
    }

    /// The next `n` requests are answered 429 `TooManyRequests` with `Retry-After: 1`.
    pub fn throttle_next(&self, n: u32) {
        self.state.throttle_next.store(n, Ordering::Relaxed);
    }

    /// Every provider token seen so far (and any other issued in the same second or earlier)
    /// is answered 403 `ExpiredProviderToken` from now on, so the sender must sign a new one.
    pub fn expire_current_tokens(&self) {
        let newest = self.state.verified.read().unwrap_or_else(PoisonError::into_inner).values().copied().max();
        self.state.expired_up_to.store(newest.unwrap_or(0), Ordering::Relaxed);
    }
}

/// A new CA, a `127.0.0.1`/`localhost` certificate it signs, and a TLS acceptor offering h2
/// and http/1.1 (so the version a client picks is seen, not forced).
fn tls_acceptor() -> anyhow::Result<(String, TlsAcceptor)> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    ca_params.distinguished_name.push(DnType::CommonName, "Tidings fake APNs test CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, &ca_key);
    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    params.distinguished_name.push(DnType::CommonName, "fake APNs");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = params.signed_by(&server_key, &issuer)?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((ca_cert.pem(), TlsAcceptor::from(Arc::new(config))))
}

fn reason(status: u16, reason: &str) -> FakeResponse {
    json_response(status, &json!({ "reason": reason }), &[])
}

fn handle(state: &State, request: FakeRequest) -> FakeResponse {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if request.version != Version::HTTP_2 {
        state.non_h2_requests.fetch_add(1, Ordering::Relaxed);
    }
    let Some(token) = request.path.strip_prefix("/3/device/") else { return reason(404, "BadPath") };
    if request.method != Method::POST {
        return reason(405, "MethodNotAllowed");
    }
    let Some(jwt) = request.header("authorization").strip_prefix("bearer ") else {
        return reason(403, "MissingProviderToken");
    };
    let Some(iat) = verify(state, jwt) else { return reason(403, "InvalidProviderToken") };
    if iat <= state.expired_up_to.load(Ordering::Relaxed) {
        state.expired_answers.fetch_add(1, Ordering::Relaxed);
        return reason(403, "ExpiredProviderToken");
    }
    if request.header("apns-topic") != state.options.topic {
        return reason(400, "TopicDisallowed");
    }
    if state.throttle_next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
        state.throttled_answers.fetch_add(1, Ordering::Relaxed);
        return json_response(429, &json!({ "reason": "TooManyRequests" }), &[("retry-after", "1".to_owned())]);
    }
    if state.unregistered.read().unwrap_or_else(PoisonError::into_inner).contains(token) {
        return json_response(410, &json!({ "reason": "Unregistered", "timestamp": 0 }), &[]);
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&request.body) else { return reason(400, "BadPayload") };
    if !payload["aps"].is_object() {
        return reason(400, "PayloadEmpty");
    }
    state.accepted_count.fetch_add(1, Ordering::Relaxed);
    if state.options.keep_records {
        let headers = request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let record = ApnsRecord { token: token.to_owned(), headers, payload, version: request.version };
        state.records.lock().unwrap_or_else(PoisonError::into_inner).push(record);
    }
    empty_response(200)
}

/// The `iat` of a provider token that is ES256-signed by the team's key and names the expected
/// key and team; `None` otherwise. A token verified once is remembered.
fn verify(state: &State, jwt: &str) -> Option<u64> {
    if let Some(iat) = state.verified.read().unwrap_or_else(PoisonError::into_inner).get(jwt) {
        return Some(*iat);
    }
    let header = jsonwebtoken::decode_header(jwt).ok()?;
    if header.alg != Algorithm::ES256 || header.kid.as_deref() != Some(state.options.key_id.as_str()) {
        return None;
    }
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Claims>(jwt, &state.key, &validation).ok()?.claims;
    if claims.iss != state.options.team_id {
        return None;
    }
    state.verified.write().unwrap_or_else(PoisonError::into_inner).insert(jwt.to_owned(), claims.iat);
    Some(claims.iat)
}
