//! A fake FCM on loopback for the push-provider tests and benchmarks: plain HTTP/1.1 with
//! Google's OAuth token endpoint (`POST /token`, JWT-bearer grant; the RS256 assertion is
//! verified against the test service account's public key) and FCM's HTTP v1 send endpoint
//! (`POST /v1/projects/{project}/messages:send`; the bearer token must be one it issued and not
//! expired or revoked). Scriptable: `UNREGISTERED` device tokens, 429 for the next requests,
//! all access tokens revoked. Counters are atomics, so it stays cheap under load.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hyper::Method;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rcgen::KeyPair;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::fake_http::{FakeRequest, FakeResponse, Handler, ServerGuard, json_response, serve_http1};

/// The scope FCM requires.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The grant type of a signed-assertion token request.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A Google service account for tests: a new RSA key, whose public half the fake verifies with.
pub struct TestServiceAccount {
    /// The Firebase project.
    pub project_id: String,
    /// The account's email (the assertion's issuer).
    pub client_email: String,
    /// PKCS#8 PEM private key.
    pub private_pem: String,
    /// SPKI PEM public key (what [`FakeFcmOptions::public_key_pem`] takes).
    pub public_pem: String,
}

impl TestServiceAccount {
    /// A new account with a random 2048-bit key.
    pub fn generate(project_id: &str) -> anyhow::Result<Self> {
        let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).context("generate RSA key")?;
        Ok(Self {
            project_id: project_id.to_owned(),
            client_email: format!("push@{project_id}.iam.gserviceaccount.com"),
            private_pem: key.serialize_pem(),
            public_pem: key.public_key_pem(),
        })
    }

    /// The service-account JSON file (what `FcmConfig::service_account_json` takes) with its
    /// `token_uri` at `token_uri` (the fake's [`FakeFcm::token_uri`]).
    pub fn json(&self, token_uri: &str) -> String {
        json!({
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": "test-key",
            "private_key": self.private_pem,
            "client_email": self.client_email,
            "client_id": "1",
            "token_uri": token_uri,
        })
        .to_string()
    }
}

/// What the fake expects and how it answers.
#[derive(Debug, Clone)]
pub struct FakeFcmOptions {
    /// The project pushes must be sent to.
    pub project_id: String,
    /// The account assertions must be issued by.
    pub client_email: String,
    /// The account's public key (SPKI PEM).
    pub public_key_pem: String,
    /// Lifetime of the access tokens it issues (`expires_in`).
    pub token_lifetime: Duration,
    /// Keep every accepted message for [`FakeFcm::accepted`] (off for benchmarks).
    pub keep_records: bool,
}

/// One accepted message.
#[derive(Debug, Clone)]
pub struct FcmRecord {
    /// The device token (`message.token`).
    pub token: String,
    /// The whole `message` object.
    pub message: Value,
    /// The access token it was sent with.
    pub access_token: String,
}

/// The assertion's claims.
#[derive(Deserialize)]
struct Assertion {
    iss: String,
    scope: String,
    iat: u64,
}

struct State {
    options: FakeFcmOptions,
    key: DecodingKey,
    token_uri: String,
    /// Issued access tokens and when they expire.
    issued: RwLock<HashMap<String, Instant>>,
    unregistered: RwLock<HashSet<String>>,
    throttle_next: AtomicU32,
    token_requests: AtomicU64,
    requests: AtomicU64,
    accepted_count: AtomicU64,
    unauthorized_answers: AtomicU64,
    throttled_answers: AtomicU64,
    records: Mutex<Vec<FcmRecord>>,
}

/// A running fake FCM; stops when dropped.
pub struct FakeFcm {
    url: String,
    state: Arc<State>,
    _server: ServerGuard,
}

impl FakeFcm {
    /// Starts a fake on `127.0.0.1:0`.
    pub async fn start(options: FakeFcmOptions) -> anyhow::Result<Self> {
        let key = DecodingKey::from_rsa_pem(options.public_key_pem.as_bytes()).context("FCM public key")?;
        let listener = TcpListener::bind("127.0.0.1:0").await.context("bind fake FCM")?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let state = Arc::new(State {
            options,
            key,
            token_uri: format!("{url}/token"),
            issued: RwLock::new(HashMap::new()),
            unregistered: RwLock::new(HashSet::new()),
            throttle_next: AtomicU32::new(0),
            token_requests: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            accepted_count: AtomicU64::new(0),
            unauthorized_answers: AtomicU64::new(0),
            throttled_answers: AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
        });
        let handler_state = state.clone();
        let handler: Handler = Arc::new(move |request| handle(&handler_state, request));
        Ok(Self { url, state, _server: serve_http1(listener, handler) })
    }

    /// `http://127.0.0.1:{port}` (what `FcmConfig::url` takes).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `{url}/token`, the service account's `token_uri`.
    pub fn token_uri(&self) -> &str {
        &self.state.token_uri
    }

    /// Every accepted message so far, in arrival order (empty unless `keep_records`).
    pub fn accepted(&self) -> Vec<FcmRecord> {
        self.state.records.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Messages accepted so far (counted even without `keep_records`).
    pub fn accepted_count(&self) -> u64 {
        self.state.accepted_count.load(Ordering::Relaxed)
    }

    /// Send requests received so far, whatever their answer.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Access tokens issued so far.
    pub fn token_requests(&self) -> u64 {
        self.state.token_requests.load(Ordering::Relaxed)
    }

    /// 401 answers given (unknown, expired or revoked access token).
    pub fn unauthorized_answers(&self) -> u64 {
        self.state.unauthorized_answers.load(Ordering::Relaxed)
    }

    /// 429 answers given.
    pub fn throttled_answers(&self) -> u64 {
        self.state.throttled_answers.load(Ordering::Relaxed)
    }

    /// From now on, messages to `token` are answered 404 `UNREGISTERED`.
    pub fn unregister(&self, token: &str) {
        self.state.unregistered.write().unwrap_or_else(PoisonError::into_inner).insert(token.to_owned());
    }

    /// The next `n` send requests are answered 429 `QUOTA_EXCEEDED` with `Retry-After: 1`.
    pub fn throttle_next(&self, n: u32) {
        self.state.throttle_next.store(n, Ordering::Relaxed);
    }

    /// Every access token issued so far stops working: the next send with one gets 401.
    pub fn revoke_access_tokens(&self) {
        self.state.issued.write().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

fn error(status: u16, name: &str, code: Option<&str>, headers: &[(&'static str, String)]) -> FakeResponse {
    let details: Vec<Value> = code
        .map(|c| json!({ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c }))
        .into_iter()
        .collect();
    let body = json!({ "error": { "code": status, "message": name, "status": name, "details": details } });
    json_response(status, &body, headers)
}

fn handle(state: &State, request: FakeRequest) -> FakeResponse {
    let send_path = format!("/v1/projects/{}/messages:send", state.options.project_id);
    match (&request.method, request.path.as_str()) {
        (&Method::POST, "/token") => token(state, &request),
        (&Method::POST, path) if path == send_path => send(state, &request),
        _ => error(404, "NOT_FOUND", None, &[]),
    }
}

/// The token endpoint: a verified assertion gets a new access token.
fn token(state: &State, request: &FakeRequest) -> FakeResponse {
    let form = parse_form(&request.body);
    if form.get("grant_type").map(String::as_str) != Some(GRANT_TYPE) {
        return json_response(400, &json!({ "error": "unsupported_grant_type" }), &[]);
    }
    let Some(assertion) = form.get("assertion") else {
        return json_response(400, &json!({ "error": "invalid_request" }), &[]);
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[state.token_uri.as_str()]);
    validation.set_required_spec_claims(&["exp", "aud", "iss"]);
    let claims = match jsonwebtoken::decode::<Assertion>(assertion, &state.key, &validation) {
        Ok(data) => data.claims,
        Err(e) => {
            return json_response(400, &json!({ "error": "invalid_grant", "error_description": e.to_string() }), &[]);
        }
    };
    if claims.iss != state.options.client_email || claims.scope != SCOPE {
        return json_response(400, &json!({ "error": "invalid_scope" }), &[]);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if claims.iat > now + 60 {
        return json_response(400, &json!({ "error": "invalid_grant", "error_description": "iat in the future" }), &[]);
    }
    let n = state.token_requests.fetch_add(1, Ordering::Relaxed) + 1;
    let access_token = format!("ya29.fake-{n}-{:016x}", rand::random::<u64>());
    let lifetime = state.options.token_lifetime;
    state
        .issued
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(access_token.clone(), Instant::now() + lifetime);
    let body = json!({ "access_token": access_token, "expires_in": lifetime.as_secs(), "token_type": "Bearer" });
    json_response(200, &body, &[])
}

/// The send endpoint.
fn send(state: &State, request: &FakeRequest) -> FakeResponse {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let access_token = request.header("authorization").strip_prefix("Bearer ").unwrap_or_default();
    let valid = state
        .issued
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(access_token)
        .is_some_and(|exp| Instant::now() < *exp);
    if !valid {
        state.unauthorized_answers.fetch_add(1, Ordering::Relaxed);
        return error(401, "UNAUTHENTICATED", None, &[]);
    }
    if state.throttle_next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
        state.throttled_answers.fetch_add(1, Ordering::Relaxed);
        return error(429, "RESOURCE_EXHAUSTED", Some("QUOTA_EXCEEDED"), &[("retry-after", "1".to_owned())]);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, "INVALID_ARGUMENT", Some("INVALID_ARGUMENT"), &[]);
    };
    let message = &body["message"];
    let Some(token) = message["token"].as_str().filter(|t| !t.is_empty()) else {
        return error(400, "INVALID_ARGUMENT", Some("INVALID_ARGUMENT"), &[]);
    };
    if state.unregistered.read().unwrap_or_else(PoisonError::into_inner).contains(token) {
        return error(404, "NOT_FOUND", Some("UNREGISTERED"), &[]);
    }
    let n = state.accepted_count.fetch_add(1, Ordering::Relaxed) + 1;
    if state.options.keep_records {
        let record =
            FcmRecord { token: token.to_owned(), message: message.clone(), access_token: access_token.to_owned() };
        state.records.lock().unwrap_or_else(PoisonError::into_inner).push(record);
    }
    json_response(200, &json!({ "name": format!("projects/{}/messages/{n}", state.options.project_id) }), &[])
}

/// An `application/x-www-form-urlencoded` body.
fn parse_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
