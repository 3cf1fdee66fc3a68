//! What APNs is sent and what its answers mean: the JSON payload, the collapse id within
//! Apple's 64 bytes, and the status and `reason` of an answer turned into a verdict.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use tidings_domain::device_push::{DeviceOutcome, DevicePush};

use crate::push::retry::Verdict;

/// Apple's limit on `apns-collapse-id`.
const MAX_COLLAPSE_ID: usize = 64;

/// The JSON body: `aps` (alert, badge, sound, thread, mutable content so a notification
/// service extension may rework it) and the app's data keys at the top level.
pub(super) fn payload(push: &DevicePush) -> Vec<u8> {
    let mut root = Map::new();
    for (key, value) in &push.data {
        if key != "aps" {
            root.insert(key.clone(), Value::String(value.clone()));
        }
    }
    root.insert(
        "aps".into(),
        json!({
            "alert": { "title": push.title, "body": push.body },
            "badge": push.badge,
            "sound": "default",
            "thread-id": push.thread,
            "mutable-content": 1,
        }),
    );
    serde_json::to_vec(&Value::Object(root)).unwrap_or_default()
}

/// The collapse id cut to Apple's 64 bytes (on a character boundary).
pub(super) fn collapse_id(id: &str) -> &str {
    if id.len() <= MAX_COLLAPSE_ID {
        return id;
    }
    let mut end = MAX_COLLAPSE_ID;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    &id[..end]
}

/// APNs device tokens are hex; anything else would not even make a valid path, and APNs would
/// answer `BadDeviceToken` for it.
pub(super) fn token_looks_valid(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An error answer's body.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    reason: String,
}

/// The `reason` of an error answer ("" when the body is not APNs JSON).
pub(super) fn reason(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body).map(|b| b.reason).unwrap_or_default()
}

/// What an answer means for the push.
pub(super) fn classify(status: u16, reason: &str, wait: Option<Duration>) -> Verdict {
    let why = || format!("APNs answered {status} {reason}").trim_end().to_owned();
    match (status, reason) {
        (200, _) => Verdict::Done(DeviceOutcome::Delivered),
        (410, _) | (400, "BadDeviceToken" | "DeviceTokenNotForTopic") | (_, "Unregistered") => {
            Verdict::Done(DeviceOutcome::InvalidToken)
        }
        (403, "ExpiredProviderToken" | "InvalidProviderToken") => Verdict::Reauthenticate(why()),
        (429, _) => Verdict::Retry { reason: why(), throttled: true, wait },
        (500..=599, _) => Verdict::Retry { reason: why(), throttled: false, wait },
        _ => Verdict::Done(DeviceOutcome::Failed(why())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push() -> DevicePush {
        DevicePush {
            token: "ab12".into(),
            title: "Ann".into(),
            body: "hi".into(),
            badge: 3,
            high_priority: true,
            thread: "c_1".into(),
            collapse_id: "m_1".into(),
            data: vec![("conv".into(), "c_1".into()), ("aps".into(), "ignored".into())],
        }
    }

    #[test]
    fn payload_has_aps_and_data_at_the_top() {
        let v: Value = serde_json::from_slice(&payload(&push())).unwrap_or_default();
        assert_eq!(v["aps"]["alert"]["title"], "Ann");
        assert_eq!(v["aps"]["badge"], 3);
        assert_eq!(v["aps"]["thread-id"], "c_1");
        assert_eq!(v["conv"], "c_1");
        assert!(v["aps"].is_object());
    }

    #[test]
    fn collapse_ids_are_cut_on_a_char_boundary() {
        assert_eq!(collapse_id("m_1"), "m_1");
        let long = "é".repeat(40);
        let cut = collapse_id(&long);
        assert!(cut.len() <= 64 && cut.len() >= 63);
        assert!(long.starts_with(cut));
    }

    #[test]
    fn answers_are_classified() {
        let done = |v: Verdict| match v {
            Verdict::Done(o) => Some(o),
            _ => None,
        };
        assert_eq!(done(classify(200, "", None)), Some(DeviceOutcome::Delivered));
        assert_eq!(done(classify(410, "Unregistered", None)), Some(DeviceOutcome::InvalidToken));
        assert_eq!(done(classify(400, "BadDeviceToken", None)), Some(DeviceOutcome::InvalidToken));
        assert!(matches!(classify(403, "ExpiredProviderToken", None), Verdict::Reauthenticate(_)));
        assert!(matches!(classify(429, "TooManyRequests", None), Verdict::Retry { throttled: true, .. }));
        assert!(matches!(classify(503, "ServiceUnavailable", None), Verdict::Retry { throttled: false, .. }));
        assert!(matches!(done(classify(400, "BadTopic", None)), Some(DeviceOutcome::Failed(_))));
    }
}
