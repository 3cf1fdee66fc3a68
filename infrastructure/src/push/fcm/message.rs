//! What FCM is sent and what its answers mean: the HTTP v1 message, and the status and
//! `errorCode` of an answer turned into a verdict.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use tidings_domain::device_push::{DeviceOutcome, DevicePush};

use crate::push::retry::Verdict;

/// The `messages:send` body: notification, data, Android priority, collapse key, tag and
/// count, and the badge for iOS apps that use FCM too.
pub(super) fn body(push: &DevicePush) -> Vec<u8> {
    let data: Map<String, Value> = push.data.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let count = i32::try_from(push.badge).unwrap_or(i32::MAX);
    let message = json!({
        "message": {
            "token": push.token,
            "notification": { "title": push.title, "body": push.body },
            "data": data,
            "android": {
                "priority": if push.high_priority { "HIGH" } else { "NORMAL" },
                "collapse_key": push.collapse_id,
                "notification": { "tag": push.thread, "notification_count": count },
            },
            "apns": { "payload": { "aps": { "badge": push.badge } } },
        }
    });
    serde_json::to_vec(&message).unwrap_or_default()
}

/// FCM's error answer: `{"error":{"code","status","message","details":[{"errorCode"}]}}`.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorInfo,
}

#[derive(Deserialize, Default)]
struct ErrorInfo {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default, rename = "errorCode")]
    error_code: Option<String>,
}

/// What an answer means for the push (`body` is only read for errors).
pub(super) fn classify(status: u16, body: &[u8], wait: Option<Duration>) -> Verdict {
    if status == 200 {
        return Verdict::Done(DeviceOutcome::Delivered);
    }
    let error = serde_json::from_slice::<ErrorBody>(body).unwrap_or_default().error;
    let code = error.details.iter().find_map(|d| d.error_code.clone()).unwrap_or_default();
    let why = format!("FCM answered {status} {} {}: {}", error.status, code, error.message);
    // Only FCM's own word removes a token: a bare 404 may mean a wrong project id or URL, which
    // would otherwise erase every good token of the deployment.
    match status {
        _ if code == "UNREGISTERED" => Verdict::Done(DeviceOutcome::InvalidToken),
        401 => Verdict::Reauthenticate(why),
        429 => Verdict::Retry { reason: why, throttled: true, wait },
        500..=599 => Verdict::Retry { reason: why, throttled: false, wait },
        _ => Verdict::Done(DeviceOutcome::Failed(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(v: Verdict) -> Option<DeviceOutcome> {
        match v {
            Verdict::Done(o) => Some(o),
            _ => None,
        }
    }

    #[test]
    fn answers_are_classified() {
        let unregistered = br#"{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#;
        let invalid =
            br#"{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"errorCode":"INVALID_ARGUMENT"}]}}"#;
        assert_eq!(done(classify(200, b"{}", None)), Some(DeviceOutcome::Delivered));
        assert_eq!(done(classify(400, unregistered, None)), Some(DeviceOutcome::InvalidToken));
        let gone = br#"{"error":{"code":404,"status":"NOT_FOUND","details":[{"errorCode":"UNREGISTERED"}]}}"#;
        assert_eq!(done(classify(404, gone, None)), Some(DeviceOutcome::InvalidToken));
        assert!(
            matches!(done(classify(404, b"not found", None)), Some(DeviceOutcome::Failed(_))),
            "a bare 404 keeps the token"
        );
        assert!(matches!(done(classify(400, invalid, None)), Some(DeviceOutcome::Failed(_))));
        assert!(matches!(classify(401, b"", None), Verdict::Reauthenticate(_)));
        assert!(matches!(classify(429, b"", None), Verdict::Retry { throttled: true, .. }));
        assert!(matches!(classify(503, b"", None), Verdict::Retry { throttled: false, .. }));
    }

    #[test]
    fn body_carries_priority_badge_and_data() {
        let push = DevicePush {
            token: "t1".into(),
            title: "Ann".into(),
            body: "hi".into(),
            badge: 7,
            high_priority: false,
            thread: "c_1".into(),
            collapse_id: "m_1".into(),
            data: vec![("conv".into(), "c_1".into())],
        };
        let v: Value = serde_json::from_slice(&body(&push)).unwrap_or_default();
        assert_eq!(v["message"]["token"], "t1");
        assert_eq!(v["message"]["android"]["priority"], "NORMAL");
        assert_eq!(v["message"]["android"]["notification"]["notification_count"], 7);
        assert_eq!(v["message"]["data"]["conv"], "c_1");
        assert_eq!(v["message"]["apns"]["payload"]["aps"]["badge"], 7);
    }
}
