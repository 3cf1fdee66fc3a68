//! Small steps the end-to-end stories share, so that no suite keeps its own copy: reading an
//! error code or seqs out of a JSON answer, sending any kind of message and making a group over
//! REST, waiting for a group notice, and the settings of a first admin.

use serde_json::{Value, json};
use tidings_interfaces::Settings;

use crate::client::{Api, Login, PASSWORD, WsClient};

/// The user name of the first admin that [`with_initial_admin`] sets up.
pub const ADMIN: &str = "root";

/// The stable error code of an error answer (`{"error": {"code": …}}`); `None` for any other body.
pub fn code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

/// The `seq` of each message, in order.
pub fn seqs(messages: &[Value]) -> Vec<u64> {
    messages.iter().map(|m| m["seq"].as_u64().unwrap_or_else(|| panic!("a message without a seq: {m}"))).collect()
}

/// Settings whose first admin is [`ADMIN`] with the test password, so a test can log in as it.
pub fn with_initial_admin(s: &mut Settings) {
    s.admin.initial_username = Some(ADMIN.into());
    s.admin.initial_password = Some(PASSWORD.into());
}

/// Sends a message of any `kind` over REST (`POST /api/v1/conversations/{conv}/messages`):
/// status and body.
pub async fn send(api: &Api, who: &Login, conv: &str, client_msg_id: &str, kind: &str, body: Value) -> (u16, Value) {
    let req = json!({"client_msg_id": client_msg_id, "kind": kind, "body": body});
    api.call("POST", &format!("/api/v1/conversations/{conv}/messages"), Some(&who.access_token), Some(req)).await
}

/// Creates a group named "Team" owned by `owner` with `members`, plus (or instead) the fields of
/// `extra`; returns its id.
pub async fn create_group(api: &Api, owner: &Login, members: &[&Login], extra: Value) -> String {
    let mut body = json!({"name": "Team", "members": members.iter().map(|m| m.user_id.clone()).collect::<Vec<_>>()});
    if let (Some(obj), Some(more)) = (body.as_object_mut(), extra.as_object()) {
        obj.extend(more.clone());
    }
    let (status, group) = api.call("POST", "/api/v1/groups", Some(&owner.access_token), Some(body)).await;
    assert_eq!(status, 201, "{group}");
    group["group_id"].as_str().unwrap_or_else(|| panic!("a group without an id: {group}")).to_owned()
}

/// Skips pushes until the group notice of `event` (`created`, `joined`, `kicked`, …); returns
/// that message.
pub async fn until_notice(ws: &mut WsClient, event: &str) -> Value {
    loop {
        let (frame, _) = ws.wait_for("msg").await;
        if frame["message"]["body"]["event"] == event {
            return frame["message"].clone();
        }
    }
}

/// Runs `cmd` to its end, killed once `limit` has passed: (whether it succeeded in time, its
/// stdout and stderr together, with a closing line when it was killed). For the tests that drive
/// another toolchain (the Python and Kotlin bindings, the browser suite).
pub fn run_bounded(mut cmd: std::process::Command, limit: std::time::Duration) -> (bool, String) {
    use std::process::Stdio;
    let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return (false, format!("cannot start {:?}: {e}", cmd.get_program())),
    };
    let started = std::time::Instant::now();
    while matches!(child.try_wait(), Ok(None)) && started.elapsed() < limit {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let timed_out = matches!(child.try_wait(), Ok(None));
    if timed_out {
        let _ = child.kill();
    }
    let Ok(out) = child.wait_with_output() else {
        return (false, "lost the child process".into());
    };
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if timed_out { (false, format!("{text}\n(killed after {limit:?})")) } else { (out.status.success(), text) }
}
