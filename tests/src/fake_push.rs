//! Both fake push services at once, with the files a server needs to use them (the APNs test
//! CA and `.p8` key, the FCM service-account JSON) and a `GET /stats` of what they accepted:
//! what the end-to-end tests, the `tidings-fake-push` binary and the W7 benchmark share.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper::Method;
use serde_json::{Value, json};
use tidings_interfaces::settings::{PushProviderKind, PushSettings};

use crate::fake_apns::{ApnsTestKey, FakeApns, FakeApnsOptions};
use crate::fake_fcm::{FakeFcm, FakeFcmOptions, TestServiceAccount};
use crate::fake_http::{Handler, ServerGuard, empty_response, json_response, serve_http1};

/// The APNs key id the fake expects.
pub const KEY_ID: &str = "BENCHKEY01";
/// The Apple team id the fake expects.
pub const TEAM_ID: &str = "BENCHTEAM1";

/// What the fakes are told.
#[derive(Debug, Clone)]
pub struct FakePushOptions {
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// The Firebase project id.
    pub project: String,
    /// Lifetime of the FCM access tokens.
    pub token_lifetime: Duration,
    /// Keep every accepted push for inspection (tests); off for benchmarks.
    pub keep_records: bool,
}

impl Default for FakePushOptions {
    fn default() -> Self {
        Self {
            topic: "com.example.tidings".into(),
            project: "tidings-test".into(),
            token_lifetime: Duration::from_secs(3600),
            keep_records: true,
        }
    }
}

/// Fake APNs and FCM, running, with their files written.
pub struct FakePush {
    /// The fake APNs.
    pub apns: Arc<FakeApns>,
    /// The fake FCM.
    pub fcm: Arc<FakeFcm>,
    /// `GET` it for the counts of accepted pushes.
    pub stats_url: String,
    topic: String,
    ca_path: String,
    key_path: String,
    account_path: String,
    _stats: ServerGuard,
}

impl FakePush {
    /// Starts both fakes and the stats server; writes the CA, key and service account to `dir`.
    pub async fn start(dir: &Path, options: FakePushOptions) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let key = ApnsTestKey::generate()?;
        let apns = Arc::new(
            FakeApns::start(FakeApnsOptions {
                team_id: TEAM_ID.into(),
                key_id: KEY_ID.into(),
                topic: options.topic.clone(),
                public_key_pem: key.public_pem.clone(),
                keep_records: options.keep_records,
            })
            .await?,
        );
        let account = TestServiceAccount::generate(&options.project)?;
        let fcm = Arc::new(
            FakeFcm::start(FakeFcmOptions {
                project_id: account.project_id.clone(),
                client_email: account.client_email.clone(),
                public_key_pem: account.public_pem.clone(),
                token_lifetime: options.token_lifetime,
                keep_records: options.keep_records,
            })
            .await?,
        );
        let write = |name: &str, text: &str| -> anyhow::Result<String> {
            let path = dir.join(name);
            std::fs::write(&path, text)?;
            Ok(path.to_string_lossy().into_owned())
        };
        let ca_path = write("apns-ca.pem", apns.ca_pem())?;
        let key_path = write("apns-key.p8", &key.private_pem)?;
        let account_path = write("fcm-service-account.json", &account.json(fcm.token_uri()))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let stats_url = format!("http://127.0.0.1:{}/stats", listener.local_addr()?.port());
        let (a, f) = (apns.clone(), fcm.clone());
        let handler: Handler = Arc::new(move |request| {
            if request.method != Method::GET || request.path != "/stats" {
                return empty_response(404);
            }
            let stats = json!({
                "apns": { "accepted": a.accepted_count(), "requests": a.requests(), "throttled": a.throttled_answers() },
                "fcm": {
                    "accepted": f.accepted_count(),
                    "requests": f.requests(),
                    "token_requests": f.token_requests(),
                    "unauthorized": f.unauthorized_answers(),
                },
            });
            json_response(200, &stats, &[])
        });
        let stats = serve_http1(listener, handler);
        Ok(Self { apns, fcm, stats_url, topic: options.topic, ca_path, key_path, account_path, _stats: stats })
    }

    /// Points a server's push settings at the fakes (`push.provider = native`).
    pub fn configure(&self, p: &mut PushSettings) {
        p.provider = PushProviderKind::Native;
        p.apns_key_file = Some(self.key_path.clone());
        p.apns_key_id = Some(KEY_ID.into());
        p.apns_team_id = Some(TEAM_ID.into());
        p.apns_topic = Some(self.topic.clone());
        p.apns_url = self.apns.url().to_owned();
        p.apns_ca_file = Some(self.ca_path.clone());
        p.fcm_service_account_file = Some(self.account_path.clone());
        p.fcm_url = self.fcm.url().to_owned();
    }

    /// The addresses and paths, as `TIDINGS_PUSH__*` settings take them.
    pub fn describe(&self) -> Value {
        json!({
            "apns_url": self.apns.url(),
            "apns_ca_file": self.ca_path,
            "apns_key_file": self.key_path,
            "apns_key_id": KEY_ID,
            "apns_team_id": TEAM_ID,
            "apns_topic": self.topic,
            "fcm_url": self.fcm.url(),
            "fcm_service_account_file": self.account_path,
            "stats_url": self.stats_url,
        })
    }
}
