//! Native push senders against fake APNs (HTTP/2 over TLS, ES256 provider tokens) and fake FCM
//! (OAuth 2 JWT-bearer tokens, HTTP v1 send): what each request carries, and what becomes of
//! invalid tokens, throttling, expired credentials and a large batch.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use hyper::Version;
use tidings_domain::device_push::{DeviceOutcome, DevicePush, DevicePushSender, DeviceSendStats};
use tidings_infrastructure::push::{ApnsConfig, ApnsSender, FcmConfig, FcmSender, PushSetupError};
use tidings_tests::fake_apns::{ApnsTestKey, FakeApns, FakeApnsOptions};
use tidings_tests::fake_fcm::{FakeFcm, FakeFcmOptions, TestServiceAccount};

const TOPIC: &str = "com.example.tidings";
const KEY_ID: &str = "KEY1234567";
const TEAM_ID: &str = "TEAM123456";

/// Every test is bounded.
async fn bounded(test: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::time::timeout(Duration::from_secs(60), test).await.context("test timed out")?
}

fn push(token: &str, i: u64) -> DevicePush {
    DevicePush {
        token: token.to_owned(),
        title: format!("Ann {i}"),
        body: format!("hello {i}"),
        badge: i + 1,
        high_priority: i.is_multiple_of(2),
        thread: format!("c_{i}"),
        collapse_id: format!("m_{i}"),
        data: vec![("conv".into(), format!("c_{i}")), ("seq".into(), i.to_string())],
    }
}

fn hex_token(i: u64) -> String {
    format!("{i:064x}")
}

fn count(c: &std::sync::atomic::AtomicU64) -> u64 {
    c.load(std::sync::atomic::Ordering::Relaxed)
}

/// `(delivered, invalid_token, failed, retried, throttled, credential_refreshes)`.
fn counters(s: &DeviceSendStats) -> [u64; 6] {
    [
        count(&s.delivered),
        count(&s.invalid_token),
        count(&s.failed),
        count(&s.retried),
        count(&s.throttled),
        count(&s.credential_refreshes),
    ]
}

async fn apns(max_attempts: u32) -> anyhow::Result<(FakeApns, ApnsSender)> {
    let key = ApnsTestKey::generate()?;
    let fake = FakeApns::start(FakeApnsOptions {
        team_id: TEAM_ID.into(),
        key_id: KEY_ID.into(),
        topic: TOPIC.into(),
        public_key_pem: key.public_pem.clone(),
        keep_records: true,
    })
    .await?;
    let mut config = ApnsConfig::new(key.private_pem, KEY_ID.into(), TEAM_ID.into(), TOPIC.into());
    config.url = fake.url().to_owned();
    config.extra_root_ca_pem = Some(fake.ca_pem().to_owned());
    config.timeout = Duration::from_secs(5);
    config.max_attempts = max_attempts;
    config.retry_base = Duration::from_millis(50);
    config.max_in_flight = 32;
    let sender = ApnsSender::new(config)?;
    Ok((fake, sender))
}

async fn fcm(token_lifetime: Duration) -> anyhow::Result<(FakeFcm, FcmSender)> {
    let account = TestServiceAccount::generate("tidings-test")?;
    let fake = FakeFcm::start(FakeFcmOptions {
        project_id: account.project_id.clone(),
        client_email: account.client_email.clone(),
        public_key_pem: account.public_pem.clone(),
        token_lifetime,
        keep_records: true,
    })
    .await?;
    let mut config = FcmConfig::new(account.json(fake.token_uri()));
    config.url = fake.url().to_owned();
    config.timeout = Duration::from_secs(5);
    config.max_attempts = 3;
    config.retry_base = Duration::from_millis(50);
    config.max_in_flight = 32;
    let sender = FcmSender::new(config)?;
    Ok((fake, sender))
}

#[tokio::test]
async fn apns_delivers_over_http2_with_payload_headers_and_one_reused_token() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = apns(3).await?;
        let mut low = push(&hex_token(2), 1);
        low.collapse_id = "x".repeat(100);
        let outcomes = sender.send(vec![push(&hex_token(1), 0), low]).await;
        ensure!(outcomes == vec![DeviceOutcome::Delivered; 2], "{outcomes:?}");
        let mut got = fake.accepted();
        got.sort_by(|a, b| a.token.cmp(&b.token));
        ensure!(got.len() == 2, "{got:?}");
        let (high, low) = (&got[0], &got[1]);
        ensure!(high.token == hex_token(1) && low.token == hex_token(2));
        for r in [high, low] {
            ensure!(r.version == Version::HTTP_2, "{:?}", r.version);
            ensure!(r.headers["apns-topic"] == TOPIC);
            ensure!(r.headers["apns-push-type"] == "alert");
            ensure!(r.headers["authorization"].starts_with("bearer "));
            let expiration: u64 = r.headers["apns-expiration"].parse()?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
            ensure!(expiration > now + 3600, "expiration {expiration}");
            ensure!(r.payload["aps"]["sound"] == "default" && r.payload["aps"]["mutable-content"] == 1);
        }
        ensure!(high.headers["apns-priority"] == "10" && low.headers["apns-priority"] == "5");
        ensure!(high.headers["apns-collapse-id"] == "m_0");
        ensure!(low.headers["apns-collapse-id"] == "x".repeat(64), "collapse id cut to 64 bytes");
        let aps = &high.payload["aps"];
        ensure!(aps["alert"]["title"] == "Ann 0" && aps["alert"]["body"] == "hello 0", "{aps}");
        ensure!(aps["badge"] == 1 && aps["thread-id"] == "c_0", "{aps}");
        ensure!(high.payload["conv"] == "c_0" && high.payload["seq"] == "0", "data at the top: {}", high.payload);
        ensure!(low.payload["aps"]["badge"] == 2);
        ensure!(fake.non_http2_requests() == 0);
        ensure!(fake.distinct_jwts() == 1, "one provider token for both pushes");
        ensure!(counters(sender.stats()) == [2, 0, 0, 0, 0, 1], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn apns_invalid_tokens_are_reported_and_counted() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = apns(3).await?;
        fake.unregister(&hex_token(7));
        let outcomes = sender.send(vec![push(&hex_token(7), 0), push(&hex_token(8), 1), push("not/a/token", 2)]).await;
        ensure!(
            outcomes == vec![DeviceOutcome::InvalidToken, DeviceOutcome::Delivered, DeviceOutcome::InvalidToken],
            "{outcomes:?}"
        );
        ensure!(fake.requests() == 2, "a malformed token is never sent: {}", fake.requests());
        ensure!(fake.accepted_count() == 1);
        ensure!(counters(sender.stats())[..3] == [1, 2, 0], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn apns_throttling_waits_for_retry_after_then_gives_up_after_max_attempts() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = apns(2).await?;
        fake.throttle_next(1);
        let start = Instant::now();
        let outcomes = sender.send(vec![push(&hex_token(1), 0)]).await;
        ensure!(outcomes == vec![DeviceOutcome::Delivered], "{outcomes:?}");
        ensure!(start.elapsed() >= Duration::from_secs(1), "waited {:?}, Retry-After is 1 s", start.elapsed());
        ensure!(fake.throttled_answers() == 1 && fake.requests() == 2);
        ensure!(counters(sender.stats()) == [1, 0, 0, 1, 1, 1], "{:?}", counters(sender.stats()));

        fake.throttle_next(5);
        let outcomes = sender.send(vec![push(&hex_token(2), 1)]).await;
        ensure!(matches!(&outcomes[..], [DeviceOutcome::Failed(why)] if why.contains("429")), "{outcomes:?}");
        ensure!(fake.requests() == 4, "two attempts: {}", fake.requests());
        ensure!(counters(sender.stats()) == [1, 0, 1, 2, 3, 1], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn apns_expired_provider_token_is_signed_anew_and_the_push_delivered() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = apns(3).await?;
        ensure!(sender.send(vec![push(&hex_token(1), 0)]).await == vec![DeviceOutcome::Delivered]);
        // A new token must carry a later `iat` than the expired one.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        fake.expire_current_tokens();
        let outcomes = sender.send(vec![push(&hex_token(2), 1), push(&hex_token(3), 2)]).await;
        ensure!(outcomes == vec![DeviceOutcome::Delivered; 2], "{outcomes:?}");
        ensure!((1..=2).contains(&fake.expired_answers()), "{}", fake.expired_answers());
        ensure!(fake.distinct_jwts() == 2, "signed once more, shared by both pushes: {}", fake.distinct_jwts());
        ensure!(fake.accepted_count() == 3);
        let c = counters(sender.stats());
        ensure!(c[..3] == [3, 0, 0] && c[5] == 2, "{c:?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn apns_batch_is_sent_concurrently_with_outcomes_in_order() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = apns(3).await?;
        for i in (0..200).step_by(10) {
            fake.unregister(&hex_token(i));
        }
        let pushes: Vec<_> = (0..200).map(|i| push(&hex_token(i), i)).collect();
        let outcomes = sender.send(pushes).await;
        ensure!(outcomes.len() == 200);
        for (i, outcome) in outcomes.iter().enumerate() {
            let expected = if i % 10 == 0 { DeviceOutcome::InvalidToken } else { DeviceOutcome::Delivered };
            ensure!(*outcome == expected, "push {i}: {outcome:?}");
        }
        ensure!(fake.accepted_count() == 180 && fake.non_http2_requests() == 0);
        ensure!(counters(sender.stats()) == [180, 20, 0, 0, 0, 1], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn fcm_delivers_with_message_fields_and_one_access_token() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = fcm(Duration::from_secs(3600)).await?;
        let outcomes = sender.send(vec![push("fcm-token:a", 0), push("fcm-token:b", 1)]).await;
        ensure!(outcomes == vec![DeviceOutcome::Delivered; 2], "{outcomes:?}");
        let mut got = fake.accepted();
        got.sort_by(|a, b| a.token.cmp(&b.token));
        ensure!(got.len() == 2, "{got:?}");
        let (high, low) = (&got[0].message, &got[1].message);
        ensure!(high["notification"]["title"] == "Ann 0" && high["notification"]["body"] == "hello 0", "{high}");
        ensure!(high["data"]["conv"] == "c_0" && high["data"]["seq"] == "0", "{high}");
        ensure!(high["android"]["priority"] == "HIGH" && low["android"]["priority"] == "NORMAL");
        ensure!(high["android"]["collapse_key"] == "m_0");
        ensure!(high["android"]["notification"]["tag"] == "c_0");
        ensure!(high["android"]["notification"]["notification_count"] == 1);
        ensure!(low["apns"]["payload"]["aps"]["badge"] == 2);
        ensure!(got[0].access_token == got[1].access_token);
        ensure!(fake.token_requests() == 1);
        ensure!(counters(sender.stats()) == [2, 0, 0, 0, 0, 1], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn fcm_unregistered_tokens_are_reported_and_counted() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = fcm(Duration::from_secs(3600)).await?;
        fake.unregister("gone");
        let outcomes = sender.send(vec![push("gone", 0), push("here", 1)]).await;
        ensure!(outcomes == vec![DeviceOutcome::InvalidToken, DeviceOutcome::Delivered], "{outcomes:?}");
        ensure!(fake.requests() == 2, "not retried: {}", fake.requests());
        ensure!(counters(sender.stats())[..4] == [1, 1, 0, 0], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn fcm_throttling_waits_for_retry_after() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = fcm(Duration::from_secs(3600)).await?;
        fake.throttle_next(1);
        let start = Instant::now();
        let outcomes = sender.send(vec![push("t1", 0)]).await;
        ensure!(outcomes == vec![DeviceOutcome::Delivered], "{outcomes:?}");
        ensure!(start.elapsed() >= Duration::from_secs(1), "waited {:?}, Retry-After is 1 s", start.elapsed());
        ensure!(fake.throttled_answers() == 1 && fake.requests() == 2);
        ensure!(counters(sender.stats()) == [1, 0, 0, 1, 1, 1], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn fcm_revoked_access_token_is_fetched_anew_and_the_push_delivered() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = fcm(Duration::from_secs(3600)).await?;
        ensure!(sender.send(vec![push("t1", 0)]).await == vec![DeviceOutcome::Delivered]);
        fake.revoke_access_tokens();
        let outcomes = sender.send(vec![push("t2", 1), push("t3", 2), push("t4", 3)]).await;
        ensure!(outcomes == vec![DeviceOutcome::Delivered; 3], "{outcomes:?}");
        ensure!((1..=3).contains(&fake.unauthorized_answers()), "{}", fake.unauthorized_answers());
        ensure!(fake.token_requests() == 2, "one fetch for all three: {}", fake.token_requests());
        let c = counters(sender.stats());
        ensure!(c[..3] == [4, 0, 0] && c[5] == 2, "{c:?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn fcm_short_lived_access_token_is_refreshed_before_it_expires() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = fcm(Duration::from_secs(2)).await?;
        ensure!(sender.send(vec![push("t1", 0)]).await == vec![DeviceOutcome::Delivered]);
        tokio::time::sleep(Duration::from_millis(500)).await;
        ensure!(sender.send(vec![push("t2", 1)]).await == vec![DeviceOutcome::Delivered]);
        ensure!(fake.token_requests() == 1, "still fresh: {}", fake.token_requests());
        tokio::time::sleep(Duration::from_millis(1700)).await;
        ensure!(sender.send(vec![push("t3", 2)]).await == vec![DeviceOutcome::Delivered]);
        ensure!(fake.token_requests() == 2, "refreshed: {}", fake.token_requests());
        ensure!(fake.unauthorized_answers() == 0, "refreshed before FCM refused it");
        ensure!(counters(sender.stats()) == [3, 0, 0, 0, 0, 2], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn fcm_batch_is_sent_concurrently_with_outcomes_in_order() -> anyhow::Result<()> {
    bounded(async {
        let (fake, sender) = fcm(Duration::from_secs(3600)).await?;
        for i in (0..200).step_by(7) {
            fake.unregister(&format!("tok-{i}"));
        }
        let pushes: Vec<_> = (0..200).map(|i| push(&format!("tok-{i}"), i)).collect();
        let outcomes = sender.send(pushes).await;
        ensure!(outcomes.len() == 200);
        for (i, outcome) in outcomes.iter().enumerate() {
            let expected = if i % 7 == 0 { DeviceOutcome::InvalidToken } else { DeviceOutcome::Delivered };
            ensure!(*outcome == expected, "push {i}: {outcome:?}");
        }
        let invalid = (0..200).step_by(7).count() as u64;
        ensure!(fake.accepted_count() == 200 - invalid);
        ensure!(fake.token_requests() == 1, "one token for the batch: {}", fake.token_requests());
        ensure!(counters(sender.stats()) == [200 - invalid, invalid, 0, 0, 0, 1], "{:?}", counters(sender.stats()));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn bad_credentials_are_refused_at_construction() -> anyhow::Result<()> {
    let config = ApnsConfig::new("not a key".into(), KEY_ID.into(), TEAM_ID.into(), TOPIC.into());
    ensure!(matches!(ApnsSender::new(config), Err(PushSetupError::ApnsKey(_))));
    let missing = r#"{"project_id":"p","private_key":"x","token_uri":"http://127.0.0.1:1/token"}"#;
    match FcmSender::new(FcmConfig::new(missing.into())) {
        Err(e @ PushSetupError::ServiceAccount(_)) => ensure!(e.to_string().contains("client_email"), "{e}"),
        Err(e) => anyhow::bail!("wrong error: {e}"),
        Ok(_) => anyhow::bail!("accepted a service account without client_email"),
    }
    let bad_key = r#"{"project_id":"p","private_key":"x","client_email":"a@b","token_uri":"http://127.0.0.1:1/token"}"#;
    ensure!(matches!(FcmSender::new(FcmConfig::new(bad_key.into())), Err(PushSetupError::FcmKey(_))));
    Ok(())
}
