//! The authorization matrix: for every id-taking route and frame of friends and groups, a caller
//! who is not allowed (outsider, removed member, plain member, admin acting above their role,
//! muted, blocked, someone else's request) gets the right error, learns nothing, and changes
//! nothing.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::{Backend, spawn_server};

/// Text that only members may ever see; no error may carry it.
const SECRET: &str = "SECRET-ANNOUNCEMENT-7f3a";
const SECRET_TEXT: &str = "SECRET-MESSAGE-19c2";

/// Everything a refused call could have changed, as the people allowed to see it see it.
async fn snapshot(api: &Api, owner: &Login, member: &Login, gid: &str) -> Value {
    let get = |path: String, who: &Login| {
        let token = who.access_token.clone();
        async move { api.call("GET", &path, Some(&token), None).await.1 }
    };
    json!({
        "group": get(format!("/api/v1/groups/{gid}"), owner).await,
        "members": get(format!("/api/v1/groups/{gid}/members?limit=200"), owner).await,
        "requests": get(format!("/api/v1/groups/{gid}/requests"), owner).await,
        "history": api.all_messages(owner, &format!("g:{gid}")).await,
        "owner_friends": get("/api/v1/friends".into(), owner).await,
        "owner_blocks": get("/api/v1/blocks".into(), owner).await,
        "member_requests": get("/api/v1/friends/requests?direction=incoming".into(), member).await,
        "direct": api.all_messages(owner, &direct(&owner.user_id, &member.user_id)).await,
    })
}

/// One refused call: label, caller, method (`NOAUTH` for a GET without a token), path, body,
/// and the expected status and code.
type Case<'a> = (&'a str, &'a Login, &'a str, String, Option<Value>, (u16, &'a str));

fn assert_refusal(label: &str, status: u16, body: &Value, want: (u16, &str)) {
    assert_eq!((status, body["error"]["code"].as_str()), (want.0, Some(want.1)), "{label}: {body}");
    let keys: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    assert_eq!(keys, vec!["error"], "{label}: an error carries nothing else: {body}");
    let text = body.to_string();
    assert!(!text.contains(SECRET) && !text.contains(SECRET_TEXT), "{label}: leaked: {body}");
}

async fn authorization_matrix(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let owner = api.user("owner", "o1").await;
    let admin = api.user("admin", "a1").await;
    let member = api.user("member", "m1").await;
    let muted = api.user("muted", "u1").await;
    let removed = api.user("removed", "r1").await;
    let outsider = api.user("outsider", "x1").await;
    let blocker = api.user("blocker", "b1").await;
    let other_owner = api.user("other-owner", "p1").await;

    // The group: owner, an admin, a member, a muted member, and one removed member.
    let (_, g) = api
        .call(
            "POST",
            "/api/v1/groups",
            Some(&owner.access_token),
            Some(json!({"name": "Secret club", "members": [admin.user_id, member.user_id, muted.user_id, removed.user_id]})),
        )
        .await;
    let gid = g["group_id"].as_str().unwrap().to_owned();
    let conv = format!("g:{gid}");
    let base = format!("/api/v1/groups/{gid}");
    let ok = |(s, b): (u16, Value)| assert!((200..300).contains(&s), "setup: {b}");
    ok(api
        .call(
            "PATCH",
            &format!("{base}/members/{}", admin.user_id),
            Some(&owner.access_token),
            Some(json!({"role": "admin"})),
        )
        .await);
    ok(api
        .call(
            "PATCH",
            &format!("{base}/members/{}", muted.user_id),
            Some(&owner.access_token),
            Some(json!({"mute_secs": 3600})),
        )
        .await);
    ok(api.call("DELETE", &format!("{base}/members/{}", removed.user_id), Some(&owner.access_token), None).await);
    ok(api.call("PATCH", &base, Some(&owner.access_token), Some(json!({"announcement": SECRET}))).await);
    ok(api
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&member.access_token),
            Some(json!({"client_msg_id": "secret-1", "kind": "text", "body": {"text": SECRET_TEXT}})),
        )
        .await);
    // The outsider's pending join request, and another group with its own manager.
    let (_, join) = api.call("POST", &format!("{base}/join"), Some(&outsider.access_token), None).await;
    let rid = join["request"]["request_id"].as_str().unwrap().to_owned();
    let (_, g2) =
        api.call("POST", "/api/v1/groups", Some(&other_owner.access_token), Some(json!({"name": "Other"}))).await;
    let gid2 = g2["group_id"].as_str().unwrap().to_owned();
    // A friend request from the owner to the member; the blocker blocks the owner.
    let (_, fr) = api
        .call("POST", "/api/v1/friends/requests", Some(&owner.access_token), Some(json!({"user_id": member.user_id})))
        .await;
    let frid = fr["request"]["request_id"].as_str().unwrap().to_owned();
    ok(api.call("PUT", &format!("/api/v1/blocks/{}", owner.user_id), Some(&blocker.access_token), None).await);

    let before = snapshot(api, &owner, &member, &gid).await;

    let send = |cmid: &str| json!({"client_msg_id": cmid, "kind": "text", "body": {"text": "nope"}});
    let cases: Vec<Case> = vec![
        ("outsider lists members", &outsider, "GET", format!("{base}/members"), None, (403, "not_member")),
        ("removed lists members", &removed, "GET", format!("{base}/members"), None, (403, "not_member")),
        ("member edits group", &member, "PATCH", base.clone(), Some(json!({"name": "x"})), (403, "forbidden")),
        ("outsider edits group", &outsider, "PATCH", base.clone(), Some(json!({"name": "x"})), (403, "not_member")),
        ("removed edits group", &removed, "PATCH", base.clone(), Some(json!({"name": "x"})), (403, "not_member")),
        ("admin dissolves", &admin, "DELETE", base.clone(), None, (403, "forbidden")),
        ("member dissolves", &member, "DELETE", base.clone(), None, (403, "forbidden")),
        ("outsider dissolves", &outsider, "DELETE", base.clone(), None, (403, "not_member")),
        ("other group's owner dissolves", &other_owner, "DELETE", base.clone(), None, (403, "not_member")),
        (
            "outsider invites",
            &outsider,
            "POST",
            format!("{base}/members"),
            Some(json!({"user_ids": [blocker.user_id]})),
            (403, "not_member"),
        ),
        (
            "removed invites",
            &removed,
            "POST",
            format!("{base}/members"),
            Some(json!({"user_ids": [removed.user_id]})),
            (403, "not_member"),
        ),
        (
            "owner invites someone who blocked them",
            &owner,
            "POST",
            format!("{base}/members"),
            Some(json!({"user_ids": [blocker.user_id]})),
            (403, "blocked"),
        ),
        (
            "admin sets a role",
            &admin,
            "PATCH",
            format!("{base}/members/{}", member.user_id),
            Some(json!({"role": "admin"})),
            (403, "forbidden"),
        ),
        (
            "member sets a role",
            &member,
            "PATCH",
            format!("{base}/members/{}", member.user_id),
            Some(json!({"role": "admin"})),
            (403, "forbidden"),
        ),
        (
            "outsider sets a role",
            &outsider,
            "PATCH",
            format!("{base}/members/{}", member.user_id),
            Some(json!({"role": "admin"})),
            (403, "not_member"),
        ),
        (
            "admin mutes the owner",
            &admin,
            "PATCH",
            format!("{base}/members/{}", owner.user_id),
            Some(json!({"mute_secs": 60})),
            (403, "forbidden"),
        ),
        (
            "member mutes a member",
            &member,
            "PATCH",
            format!("{base}/members/{}", muted.user_id),
            Some(json!({"mute_secs": 0})),
            (403, "forbidden"),
        ),
        (
            "admin kicks the owner",
            &admin,
            "DELETE",
            format!("{base}/members/{}", owner.user_id),
            None,
            (403, "forbidden"),
        ),
        (
            "member kicks an admin",
            &member,
            "DELETE",
            format!("{base}/members/{}", admin.user_id),
            None,
            (403, "forbidden"),
        ),
        (
            "member kicks a member",
            &member,
            "DELETE",
            format!("{base}/members/{}", muted.user_id),
            None,
            (403, "forbidden"),
        ),
        (
            "outsider kicks",
            &outsider,
            "DELETE",
            format!("{base}/members/{}", member.user_id),
            None,
            (403, "not_member"),
        ),
        (
            "outsider sets a nickname",
            &outsider,
            "PATCH",
            format!("{base}/me"),
            Some(json!({"nickname": "x"})),
            (403, "not_member"),
        ),
        (
            "removed sets a nickname",
            &removed,
            "PATCH",
            format!("{base}/me"),
            Some(json!({"nickname": "x"})),
            (403, "not_member"),
        ),
        (
            "admin transfers",
            &admin,
            "POST",
            format!("{base}/transfer"),
            Some(json!({"user_id": admin.user_id})),
            (403, "forbidden"),
        ),
        (
            "outsider transfers",
            &outsider,
            "POST",
            format!("{base}/transfer"),
            Some(json!({"user_id": outsider.user_id})),
            (403, "not_member"),
        ),
        ("member lists join requests", &member, "GET", format!("{base}/requests"), None, (403, "forbidden")),
        ("outsider lists join requests", &outsider, "GET", format!("{base}/requests"), None, (403, "not_member")),
        ("member approves", &member, "POST", format!("{base}/requests/{rid}/approve"), None, (403, "forbidden")),
        (
            "requester approves self",
            &outsider,
            "POST",
            format!("{base}/requests/{rid}/approve"),
            None,
            (403, "not_member"),
        ),
        (
            "other group's owner approves via their group",
            &other_owner,
            "POST",
            format!("/api/v1/groups/{gid2}/requests/{rid}/approve"),
            None,
            (404, "not_found"),
        ),
        ("outsider leaves", &outsider, "POST", format!("{base}/leave"), None, (403, "not_member")),
        ("owner leaves", &owner, "POST", format!("{base}/leave"), None, (403, "forbidden")),
        (
            "no such group",
            &owner,
            "GET",
            "/api/v1/groups/g_00000000000000000000000000".into(),
            None,
            (404, "not_found"),
        ),
        (
            "outsider reads history",
            &outsider,
            "GET",
            format!("/api/v1/conversations/{conv}/messages"),
            None,
            (403, "not_member"),
        ),
        (
            "outsider posts",
            &outsider,
            "POST",
            format!("/api/v1/conversations/{conv}/messages"),
            Some(send("x-post")),
            (403, "not_member"),
        ),
        (
            "outsider marks read",
            &outsider,
            "POST",
            format!("/api/v1/conversations/{conv}/read"),
            Some(json!({"seq": 1})),
            (403, "not_member"),
        ),
        (
            "removed posts",
            &removed,
            "POST",
            format!("/api/v1/conversations/{conv}/messages"),
            Some(send("r-post")),
            (403, "not_member"),
        ),
        (
            "muted posts",
            &muted,
            "POST",
            format!("/api/v1/conversations/{conv}/messages"),
            Some(send("u-post")),
            (403, "muted"),
        ),
        (
            "no such group conversation",
            &owner,
            "GET",
            "/api/v1/conversations/g:g_00000000000000000000000000/messages".into(),
            None,
            (404, "unknown_conversation"),
        ),
        (
            "outsider reads a direct chat of others",
            &outsider,
            "GET",
            format!("/api/v1/conversations/{}/messages", direct(&owner.user_id, &member.user_id)),
            None,
            (403, "not_member"),
        ),
        (
            "third party accepts a request",
            &outsider,
            "POST",
            format!("/api/v1/friends/requests/{frid}/accept"),
            None,
            (404, "not_found"),
        ),
        (
            "asker accepts own request",
            &owner,
            "POST",
            format!("/api/v1/friends/requests/{frid}/accept"),
            None,
            (404, "not_found"),
        ),
        (
            "third party rejects a request",
            &outsider,
            "POST",
            format!("/api/v1/friends/requests/{frid}/reject"),
            None,
            (404, "not_found"),
        ),
        (
            "remark on a non-friend",
            &owner,
            "PATCH",
            format!("/api/v1/friends/{}", outsider.user_id),
            Some(json!({"remark": "x"})),
            (404, "not_found"),
        ),
        (
            "unfriend a non-friend",
            &owner,
            "DELETE",
            format!("/api/v1/friends/{}", outsider.user_id),
            None,
            (404, "not_found"),
        ),
        (
            "unblock a non-blocked user",
            &owner,
            "DELETE",
            format!("/api/v1/blocks/{}", outsider.user_id),
            None,
            (404, "not_found"),
        ),
        (
            "blocked asks for friendship",
            &owner,
            "POST",
            "/api/v1/friends/requests".into(),
            Some(json!({"user_id": blocker.user_id})),
            (403, "blocked"),
        ),
        (
            "blocked sends a message",
            &owner,
            "POST",
            format!("/api/v1/conversations/{}/messages", direct(&owner.user_id, &blocker.user_id)),
            Some(send("o-blocked")),
            (403, "blocked"),
        ),
        ("no token", &outsider, "NOAUTH", format!("{base}/members"), None, (401, "unauthorized")),
    ];
    for (label, who, method, path, body, want) in &cases {
        let (method, token) = match *method {
            "NOAUTH" => ("GET", None),
            m => (m, Some(who.access_token.as_str())),
        };
        let (status, resp) = api.call(method, path, token, body.clone()).await;
        assert_refusal(label, status, &resp, *want);
    }

    // The same rules hold for frames.
    let frames: Vec<(&str, &Login, Value, &str)> = vec![
        (
            "outsider sends",
            &outsider,
            json!({"type": "send", "id": "1", "conv": conv, "client_msg_id": "xf", "kind": "text", "body": {"text": "x"}}),
            "not_member",
        ),
        (
            "outsider syncs",
            &outsider,
            json!({"type": "sync", "id": "2", "conv": conv, "after_seq": 0, "limit": 50}),
            "not_member",
        ),
        ("outsider reads", &outsider, json!({"type": "read", "conv": conv, "seq": 1}), "not_member"),
        (
            "removed sends",
            &removed,
            json!({"type": "send", "id": "3", "conv": conv, "client_msg_id": "rf", "kind": "text", "body": {"text": "x"}}),
            "not_member",
        ),
        (
            "muted sends",
            &muted,
            json!({"type": "send", "id": "4", "conv": conv, "client_msg_id": "uf", "kind": "text", "body": {"text": "x"}}),
            "muted",
        ),
        (
            "outsider syncs a direct chat of others",
            &outsider,
            json!({"type": "sync", "id": "5", "conv": direct(&owner.user_id, &member.user_id), "after_seq": 0, "limit": 50}),
            "not_member",
        ),
        (
            "blocked sends a direct message",
            &owner,
            json!({"type": "send", "id": "6", "conv": direct(&owner.user_id, &blocker.user_id), "client_msg_id": "of", "kind": "text", "body": {"text": "x"}}),
            "blocked",
        ),
    ];
    for (label, who, frame, want) in frames {
        let mut ws = WsClient::connect(&srv.ws_url(), &who.access_token).await;
        ws.send(frame).await;
        let (err, _) = ws.wait_for("error").await;
        assert_eq!(err["code"].as_str(), Some(want), "{label}: {err}");
        assert!(!err.to_string().contains(SECRET_TEXT), "{label}: leaked {err}");
        ws.close().await;
    }

    // The removed member syncing past their removal gets nothing new.
    let seen = api.all_messages(&removed, &conv).await;
    assert!(seen.iter().all(|m| m["body"]["text"] != SECRET_TEXT), "removed member saw a later message");

    let after = snapshot(api, &owner, &member, &gid).await;
    assert_eq!(before, after, "refused calls changed something");
}

tidings_tests::both_modes!(authorization_matrix);
