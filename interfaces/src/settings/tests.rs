//! Loading (file and environment, old keys and new), the rules across sections, and that
//! secrets never print.

// figment's Jail fixes the closures' error type.
#![allow(clippy::result_large_err)]

use std::time::Duration;

use super::*;

fn with(f: impl FnOnce(&mut Settings)) -> Result<(), SettingsError> {
    let mut s = Settings::default();
    f(&mut s);
    s.check()
}

fn reason(f: fn(&mut Settings)) -> String {
    with(f).err().map(|e| e.to_string()).unwrap_or_default()
}

const MYSQL: &str = "mysql://root@127.0.0.1/x";

#[test]
fn mixes_that_make_sense_are_accepted() {
    assert!(with(|_| {}).is_ok(), "embedded");
    assert!(with(|s| s.database_url = Some(MYSQL.into())).is_ok(), "MySQL with in-process routing");
    assert!(
        with(|s| {
            s.database_url = Some(MYSQL.into());
            s.redis_url = Some("redis://r".into());
            s.amqp_url = Some("amqp://a".into());
            s.signing_key = Some("k".into());
            s.instance_id = Some("node-1".into());
        })
        .is_ok(),
        "full cluster"
    );
    assert!(with(|s| s.drain.reconnect_hint = Some("https://a:1, http://b:2".into())).is_ok());
}

#[test]
fn mixes_that_cannot_work_are_refused_with_a_reason() {
    assert!(reason(|s| s.redis_url = Some("redis://r".into())).contains("needs both"));
    assert!(reason(|s| s.amqp_url = Some("amqp://a".into())).contains("needs both"));
    assert!(
        reason(|s| {
            s.redis_url = Some("redis://r".into());
            s.amqp_url = Some("amqp://a".into());
            s.signing_key = Some("k".into());
        })
        .contains("shared MySQL-compatible database")
    );
    assert!(
        reason(|s| {
            s.database_url = Some(MYSQL.into());
            s.redis_url = Some("redis://r".into());
            s.amqp_url = Some("amqp://a".into());
        })
        .contains("TIDINGS_SIGNING_KEY")
    );
    assert!(reason(|s| s.instance_id = Some("n1".into())).contains("several instances need"));
    assert!(
        reason(|s| {
            s.database_url = Some(MYSQL.into());
            s.redis_url = Some("redis://r".into());
            s.amqp_url = Some("amqp://a".into());
            s.signing_key = Some("k".into());
            s.instance_id = Some("bad id!".into());
        })
        .contains("TIDINGS_INSTANCE_ID")
    );
}

#[test]
fn each_section_refuses_what_cannot_work() {
    assert!(reason(|s| s.ws.idle_timeout = s.ws.heartbeat).contains("idle_timeout"));
    assert!(reason(|s| s.admin.initial_username = Some("root".into())).contains("give both or neither"));
    assert!(reason(|s| s.admin.initial_password = Some("long-enough".into())).contains("give both or neither"));
    assert!(
        reason(|s| {
            s.admin.initial_username = Some("Root!".into());
            s.admin.initial_password = Some("long-enough".into());
        })
        .contains("initial_username")
    );
    assert!(
        reason(|s| {
            s.admin.initial_username = Some("root".into());
            s.admin.initial_password = Some("short".into());
        })
        .contains("initial_password")
    );
    assert!(reason(|s| s.webhooks.retry_cap = Duration::from_millis(1)).contains("retry_cap"));
    assert!(reason(|s| s.push.provider = PushProviderKind::Webhook).contains("push.url"));
    assert!(
        reason(|s| {
            s.push.provider = PushProviderKind::Webhook;
            s.push.url = Some("http://127.0.0.1:9/push".into());
        })
        .contains("push.secret")
    );
    assert!(
        reason(|s| {
            s.retention.max_age = Duration::from_secs(60);
            s.retention.interval = Duration::ZERO;
        })
        .contains("retention.interval")
    );
    assert!(reason(|s| s.media.store = MediaStoreKind::S3).contains("s3_bucket"));
    assert!(reason(|s| s.drain.timeout = Duration::ZERO).contains("drain.timeout"));
    assert!(reason(|s| s.drain.reconnect_hint = Some("ws://a:1".into())).contains("ws://a:1"));
    assert!(
        reason(|s| s.auth.access_ttl = Duration::from_millis(1500)).contains("auth.access_ttl counts whole seconds")
    );
    assert!(reason(|s| s.cluster.route_ttl = Duration::from_secs(2)).contains("cluster.route_ttl"));
    assert!(reason(|s| s.cluster.dependency_timeout = Duration::ZERO).contains("cluster.dependency_timeout"));
}

#[test]
fn secrets_never_print() {
    let s = Settings {
        database_url: Some("mysql://root:db-pass-1@h/x".into()),
        redis_url: Some("redis://:redis-pass-2@h".into()),
        amqp_url: Some("amqp://u:amqp-pass-3@h/%2f".into()),
        signing_key: Some("signing-key-4".into()),
        admin: AdminSettings { initial_password: Some("admin-pass-5".into()), ..Default::default() },
        media: MediaSettings { s3_secret_access_key: "s3-secret-6".into(), ..Default::default() },
        push: PushSettings { secret: Some("push-secret-7".into()), ..Default::default() },
        ..Default::default()
    };
    let printed = format!("{s:?}\n{}", serde_json::to_string(&s).unwrap_or_default());
    for secret in
        ["db-pass-1", "redis-pass-2", "amqp-pass-3", "signing-key-4", "admin-pass-5", "s3-secret-6", "push-secret-7"]
    {
        assert!(!printed.contains(secret), "{secret} printed");
    }
    assert!(printed.contains("[redacted]"));
    assert_eq!(s.effective_database_url(), "mysql://root:db-pass-1@h/x", "the connection still gets it");
}

/// `Settings::load` in a jail: its own working dir and environment.
fn jailed(f: impl FnOnce(&mut figment::Jail) -> figment::error::Result<()>) {
    figment::Jail::expect_with(f);
}

fn load() -> Result<Settings, String> {
    Settings::load(None).map_err(|e| e.to_string())
}

#[test]
fn environment_overrides_with_nested_keys() {
    jailed(|jail| {
        jail.set_env("TIDINGS_HTTP_ADDR", "127.0.0.1:9999");
        jail.set_env("TIDINGS_LIMITS__MAX_TEXT_CHARS", "77");
        jail.create_file("tidings.toml", "log = \"debug\"\n[ws]\nheartbeat_secs = 5\n")?;
        let s = load()?;
        assert_eq!((s.http_addr.as_str(), s.limits.max_text_chars), ("127.0.0.1:9999", 77));
        assert_eq!((s.log.as_str(), s.ws.heartbeat), ("debug", Duration::from_secs(5)));
        jail.set_env("TIDINGS_GATEWAY__DENY", "[\"10.0.0.0/8\", \"192.0.2.1\"]");
        let s = load()?;
        assert_eq!(s.gateway.deny, vec!["10.0.0.0/8".to_owned(), "192.0.2.1".to_owned()]);
        jail.set_env("TIDINGS_GATEWAY__DENY", "[\"10.0.0.0/40\"]");
        assert!(load().is_err(), "a bad CIDR block fails at start");
        jail.set_env("TIDINGS_GATEWAY__DENY", "[]");
        jail.set_env("TIDINGS_NOT_A_SETTING", "1");
        assert!(load().is_err(), "unknown keys fail loudly");
        Ok(())
    });
}

#[test]
fn durations_in_a_file_take_old_integer_keys_and_new_humantime_ones() {
    jailed(|jail| {
        jail.create_file(
            "tidings.toml",
            "[ws]\nheartbeat_secs = 7\ntyping_interval = \"250ms\"\n[webhooks]\nretention_days = 2\n\
             [cluster]\ndependency_timeout_ms = 100\npush_order_wait = \"2s\"\n[limits]\nmax_file_bytes = 9\n",
        )?;
        let s = load()?;
        assert_eq!(s.ws.heartbeat, Duration::from_secs(7));
        assert_eq!(s.ws.typing_interval, Duration::from_millis(250));
        assert_eq!(s.webhooks.retention, Duration::from_secs(2 * 86_400));
        assert_eq!(s.cluster.dependency_timeout, Duration::from_millis(100));
        assert_eq!(s.cluster.push_order_wait, Duration::from_secs(2));
        assert_eq!(s.limits.max_declared_file_bytes, 9, "the old name of the renamed limit");
        assert_eq!(s.ws.idle_timeout, Duration::from_secs(60), "untouched keys keep their defaults");
        Ok(())
    });
}

#[test]
fn durations_in_the_environment_take_both_forms() {
    jailed(|jail| {
        jail.set_env("TIDINGS_WS__HEARTBEAT_SECS", "3");
        jail.set_env("TIDINGS_WS__IDLE_TIMEOUT", "1m 30s");
        jail.set_env("TIDINGS_DRAIN__RECONNECT_SPREAD_MS", "400");
        jail.set_env("TIDINGS_RETENTION__MAX_AGE", "7d");
        jail.set_env("TIDINGS_GROUPS__MAX_MUTE", "1h");
        let s = load()?;
        assert_eq!((s.ws.heartbeat, s.ws.idle_timeout), (Duration::from_secs(3), Duration::from_secs(90)));
        assert_eq!(s.drain.reconnect_spread, Duration::from_millis(400));
        assert_eq!(s.retention.max_age, Duration::from_secs(7 * 86_400));
        assert_eq!(s.groups.max_mute, Duration::from_secs(3600));
        // A file under the new name and the environment under the old one: the environment wins.
        jail.create_file("tidings.toml", "[ws]\nheartbeat = \"10s\"\n")?;
        assert_eq!(load()?.ws.heartbeat, Duration::from_secs(3));
        Ok(())
    });
}

#[test]
fn bad_values_name_the_key() {
    jailed(|jail| {
        jail.create_file("tidings.toml", "[ws]\nidle_timeout = \"a while\"\n")?;
        let err = load().unwrap_err();
        assert!(err.contains("ws.idle_timeout") && err.contains("tidings.toml") && err.contains("\"20s\""), "{err}");
        jail.create_file("tidings.toml", "")?;
        jail.set_env("TIDINGS_WS__HEARTBEAT", "soon");
        let err = load().unwrap_err();
        assert!(err.contains("TIDINGS_WS__HEARTBEAT") && err.contains("`soon`") && err.contains("\"20s\""), "{err}");
        jail.set_env("TIDINGS_WS__HEARTBEAT", "20s");
        jail.set_env("TIDINGS_DB__ACQUIRE_TIMEOUT_SECS", "-3");
        let err = load().unwrap_err();
        assert!(
            err.contains("TIDINGS_DB__ACQUIRE_TIMEOUT (or its old name TIDINGS_DB__ACQUIRE_TIMEOUT_SECS)"),
            "{err}"
        );
        jail.set_env("TIDINGS_DB__ACQUIRE_TIMEOUT_SECS", "3");
        jail.set_env("TIDINGS_MEDIA__STORE", "ftp");
        let err = load().unwrap_err();
        assert!(err.contains("TIDINGS_MEDIA__STORE") && err.contains("ftp") && err.contains("`s3`"), "{err}");
        jail.set_env("TIDINGS_MEDIA__STORE", "s3");
        jail.set_env("TIDINGS_MEDIA__S3_BUCKET", "b");
        jail.set_env("TIDINGS_PUSH__PROVIDER", "fcm");
        let err = load().unwrap_err();
        assert!(err.contains("TIDINGS_PUSH__PROVIDER") && err.contains("`webhook`"), "{err}");
        jail.set_env("TIDINGS_PUSH__PROVIDER", "none");
        jail.set_env("TIDINGS_SOCIAL__DEFAULT_DM_POLICY", "nobody");
        let err = load().unwrap_err();
        assert!(err.contains("TIDINGS_SOCIAL__DEFAULT_DM_POLICY") && err.contains("`friends`"), "{err}");
        jail.set_env("TIDINGS_SOCIAL__DEFAULT_DM_POLICY", "friends");
        let s = load()?;
        assert_eq!((s.media.store, s.push.provider), (MediaStoreKind::S3, PushProviderKind::None));
        assert_eq!(s.social.default_dm_policy, tidings_domain::social::DmPolicy::Friends);
        Ok(())
    });
}

#[test]
fn an_old_and_a_new_name_together_are_refused() {
    jailed(|jail| {
        jail.create_file("tidings.toml", "[ws]\nheartbeat = \"10s\"\nheartbeat_secs = 10\n")?;
        let err = load().unwrap_err();
        assert!(err.contains("ws.heartbeat and ws.heartbeat_secs (its old name) are both set"), "{err}");
        jail.create_file("tidings.toml", "")?;
        jail.set_env("TIDINGS_DRAIN__TIMEOUT", "5s");
        jail.set_env("TIDINGS_DRAIN__TIMEOUT_SECS", "5");
        let err = load().unwrap_err();
        assert!(err.contains("TIDINGS_DRAIN__TIMEOUT and TIDINGS_DRAIN__TIMEOUT_SECS (its old name)"), "{err}");
        Ok(())
    });
}
