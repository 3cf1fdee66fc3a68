//! The group lifecycle over HTTP and WebSocket: create, notices, roles, kicks and the visible
//! range, join policies, mutes, member settings, ownership, the member cap, dissolution, and
//! fan-out to many online members.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient};
use tidings_tests::helpers::{code, create_group, until_notice};
use tidings_tests::{Backend, spawn_server, spawn_server_with};

/// Waits for the next group notice and returns its body.
async fn notice(ws: &mut WsClient) -> Value {
    let (frame, _) = ws.wait_for("msg").await;
    assert_eq!(frame["message"]["kind"], "group_notice", "{frame}");
    frame["message"]["body"].clone()
}

async fn patch(api: &Api, who: &Login, path: &str, body: Value) -> (u16, Value) {
    api.call("PATCH", path, Some(&who.access_token), Some(body)).await
}

async fn group_lifecycle(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let owner = api.user("owner", "o1").await;
    let ann = api.user("ann", "a1").await;
    let ben = api.user("ben", "b1").await;
    let xena = api.user("xena", "x1").await;
    let yuri = api.user("yuri", "y1").await;
    let mut ann_ws = WsClient::connect(&srv.ws_url(), &ann.access_token).await;
    let mut ben_ws = WsClient::connect(&srv.ws_url(), &ben.access_token).await;
    let mut xena_ws = WsClient::connect(&srv.ws_url(), &xena.access_token).await;

    // Create: members learn it from the log.
    let gid = create_group(api, &owner, &[&ann, &ben], json!({"introduction": "our team"})).await;
    let conv = format!("g:{gid}");
    let base = format!("/api/v1/groups/{gid}");
    let created = notice(&mut ann_ws).await;
    assert_eq!((created["event"].as_str(), created["actor"].as_str()), (Some("created"), Some(owner.user_id.as_str())));
    assert_eq!(created["users"].as_array().unwrap().len(), 3);
    notice(&mut ben_ws).await;
    let (_, info) = api.call("GET", &base, Some(&owner.access_token), None).await;
    assert_eq!((info["member_count"].as_u64(), info["me"]["role"].as_str()), (Some(3), Some("owner")), "{info}");
    let (_, mine) = api.call("GET", "/api/v1/groups", Some(&ann.access_token), None).await;
    assert_eq!(mine["groups"][0]["group_id"].as_str(), Some(gid.as_str()));

    // Members chat; outsiders learn nothing.
    ann_ws.send_text(&conv, "ann-1", "hello team").await;
    let ack = ann_ws.expect("ack").await;
    let first_seq = ack["seq"].as_u64().unwrap();
    assert_eq!(ben_ws.expect("msg").await["message"]["body"]["text"], "hello team");
    xena_ws.send_text(&conv, "x-1", "let me in").await;
    assert_eq!(xena_ws.expect_error().await, "not_member");
    xena_ws.send(json!({"type": "sync", "id": "s1", "conv": conv, "after_seq": 0, "limit": 10})).await;
    assert_eq!(xena_ws.expect_error().await, "not_member");
    let (status, body) =
        api.call("GET", &format!("/api/v1/conversations/{conv}/messages"), Some(&xena.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("not_member")));
    let (status, card) = api.call("GET", &base, Some(&xena.access_token), None).await;
    assert_eq!(status, 200);
    assert!(card.get("me").is_none() && card.get("owner").is_none() && card.get("announcement").is_none(), "{card}");
    assert_eq!(card["introduction"], "our team");
    let (status, body) = api.call("GET", &format!("{base}/members"), Some(&xena.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("not_member")));

    // Settings: owners and admins only; each change is a notice.
    let (status, body) = patch(api, &ann, &base, json!({"announcement": "ship it"})).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")));
    let (status, body) = patch(api, &owner, &base, json!({"announcement": "ship it", "name": "Core team"})).await;
    assert_eq!(
        (status, body["announcement"].as_str(), body["name"].as_str()),
        (200, Some("ship it"), Some("Core team"))
    );
    assert_eq!(notice(&mut ann_ws).await["event"], "announcement");
    let changed = notice(&mut ann_ws).await;
    assert_eq!(
        (changed["event"].as_str(), changed["changes"]["name"].as_str()),
        (Some("info_updated"), Some("Core team"))
    );

    // Roles: the owner makes Ann an admin; an admin removes Ben.
    let (status, body) = patch(api, &ann, &format!("{base}/members/{}", ben.user_id), json!({"role": "admin"})).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")), "only the owner sets roles");
    let (status, body) = patch(api, &owner, &format!("{base}/members/{}", ann.user_id), json!({"role": "admin"})).await;
    assert_eq!((status, body["role"].as_str()), (200, Some("admin")), "{body}");
    assert_eq!(notice(&mut ben_ws).await["event"], "announcement");
    assert_eq!(notice(&mut ben_ws).await["event"], "info_updated");
    let role = notice(&mut ben_ws).await;
    assert_eq!((role["event"].as_str(), role["role"].as_str()), (Some("role_changed"), Some("admin")));
    let (status, _) =
        api.call("DELETE", &format!("{base}/members/{}", ben.user_id), Some(&ann.access_token), None).await;
    assert_eq!(status, 204);
    let kicked = notice(&mut ben_ws).await;
    assert_eq!((kicked["event"].as_str(), kicked["users"][0].as_str()), (Some("kicked"), Some(ben.user_id.as_str())));
    let (status, body) =
        api.call("DELETE", &format!("{base}/members/{}", owner.user_id), Some(&ann.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")), "an admin cannot remove the owner");

    // Ben's visible range ends at the notice of his removal.
    let kicked_seq = until_notice(&mut ann_ws, "kicked").await["seq"].as_u64().unwrap();
    ann_ws.send_text(&conv, "ann-2", "after ben left").await;
    ann_ws.expect("ack").await;
    let seen: Vec<u64> = api.all_messages(&ben, &conv).await.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert_eq!(seen.last().copied(), Some(kicked_seq), "{seen:?}");
    assert!(seen.contains(&first_seq));
    let sync = ben_ws.sync(&conv, kicked_seq, 50).await;
    assert_eq!((sync["messages"].as_array().unwrap().len(), sync["has_more"].as_bool()), (0, Some(false)));
    ben_ws.send(json!({"type": "sync", "id": "far", "conv": conv, "after_seq": kicked_seq + 1, "limit": 10})).await;
    assert_eq!(ben_ws.expect_error().await, "seq_out_of_range");
    ben_ws.send_text(&conv, "ben-late", "still here?").await;
    assert_eq!(ben_ws.expect_error().await, "not_member");
    ben_ws.expect_silence(Duration::from_millis(200)).await;
    let ben_row = api.conversations(&ben).await.into_iter().find(|c| c["conv"] == conv.as_str()).unwrap();
    assert_eq!(ben_row["max_seq"].as_u64(), Some(kicked_seq), "the list shows only what Ben may see: {ben_row}");

    // Approval (the default): Xena asks, an admin approves; she sees from her join on.
    let (status, body) =
        api.call("POST", &format!("{base}/join"), Some(&xena.access_token), Some(json!({"message": "hi"}))).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("pending")), "{body}");
    let rid = body["request"]["request_id"].as_str().unwrap().to_owned();
    let (status, body) = api.call("GET", &format!("{base}/requests"), Some(&xena.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("not_member")));
    let (_, list) = api.call("GET", &format!("{base}/requests"), Some(&ann.access_token), None).await;
    assert_eq!(list["requests"][0]["request_id"].as_str(), Some(rid.as_str()));
    let (status, body) =
        api.call("POST", &format!("{base}/requests/{rid}/approve"), Some(&ann.access_token), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("accepted")), "{body}");
    let joined = notice(&mut xena_ws).await;
    assert_eq!((joined["event"].as_str(), joined["via"].as_str()), (Some("joined"), Some("approval")));
    let history = api.all_messages(&xena, &conv).await;
    assert_eq!(history.len(), 1, "a newcomer sees from the notice of their joining: {history:?}");
    let (status, body) =
        api.call("POST", &format!("{base}/requests/{rid}/approve"), Some(&ann.access_token), None).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")));

    // Open and invite-only policies.
    assert_eq!(patch(api, &owner, &base, json!({"join_policy": "open"})).await.0, 200);
    let (status, body) = api.call("POST", &format!("{base}/join"), Some(&yuri.access_token), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("joined")), "{body}");
    let (status, body) = api.call("POST", &format!("{base}/join"), Some(&yuri.access_token), None).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")));
    assert_eq!(patch(api, &owner, &base, json!({"join_policy": "invite_only"})).await.0, 200);
    let (status, body) = api.call("POST", &format!("{base}/join"), Some(&ben.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")));
    let (status, body) = api
        .call("POST", &format!("{base}/members"), Some(&yuri.access_token), Some(json!({"user_ids": [ben.user_id]})))
        .await;
    assert_eq!((status, body["added"][0].as_str()), (200, Some(ben.user_id.as_str())), "members invite: {body}");
    let history = api.all_messages(&ben, &conv).await;
    assert_eq!(history.len(), 1, "a returning member is a newcomer again: {history:?}");
    assert_eq!(history[0]["body"]["event"], "joined");

    // Mutes: one member, then everyone but managers.
    let (status, body) = patch(api, &ann, &format!("{base}/members/{}", xena.user_id), json!({"mute_secs": 600})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["muted_until"].as_i64().is_some());
    xena_ws.send_text(&conv, "x-muted", "mmmph").await;
    assert_eq!(xena_ws.wait_for("error").await.0["code"], "muted");
    patch(api, &ann, &format!("{base}/members/{}", xena.user_id), json!({"mute_secs": 0})).await;
    xena_ws.send_text(&conv, "x-free", "free").await;
    xena_ws.wait_for("ack").await;
    let (status, body) = patch(api, &xena, &format!("{base}/members/{}", ann.user_id), json!({"mute_secs": 60})).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")));
    patch(api, &owner, &base, json!({"mute_all": true})).await;
    xena_ws.send_text(&conv, "x-all", "hello?").await;
    assert_eq!(xena_ws.wait_for("error").await.0["code"], "muted");
    ann_ws.send_text(&conv, "ann-admin", "admins may speak").await;
    ann_ws.wait_for("ack").await;
    patch(api, &owner, &base, json!({"mute_all": false})).await;

    // My nickname and private remark.
    let (status, body) =
        patch(api, &xena, &format!("{base}/me"), json!({"nickname": "X", "remark": "the good one"})).await;
    assert_eq!(
        (status, body["me"]["nickname"].as_str(), body["me"]["remark"].as_str()),
        (200, Some("X"), Some("the good one"))
    );
    let (_, members) = api.call("GET", &format!("{base}/members?limit=100"), Some(&ann.access_token), None).await;
    let x = members["members"].as_array().unwrap().iter().find(|m| m["user_id"] == xena.user_id.as_str()).unwrap();
    assert_eq!(x["nickname"], "X");
    assert!(x.get("remark").is_none(), "remarks are private: {x}");
    let (_, page) = api.call("GET", &format!("{base}/members?limit=2"), Some(&ann.access_token), None).await;
    let next = page["next_after"].as_str().unwrap().to_owned();
    let (_, rest) =
        api.call("GET", &format!("{base}/members?limit=100&after={next}"), Some(&ann.access_token), None).await;
    assert_eq!(page["members"].as_array().unwrap().len() + rest["members"].as_array().unwrap().len(), 5);

    // Ownership moves; the owner cannot simply leave.
    let (status, body) = api.call("POST", &format!("{base}/leave"), Some(&owner.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")));
    let (status, body) = api
        .call("POST", &format!("{base}/transfer"), Some(&owner.access_token), Some(json!({"user_id": ann.user_id})))
        .await;
    assert_eq!((status, body["me"]["role"].as_str()), (200, Some("admin")), "{body}");
    let (status, body) = api.call("DELETE", &base, Some(&owner.access_token), None).await;
    assert_eq!((status, code(&body)), (403, Some("forbidden")));
    let (status, _) = api.call("POST", &format!("{base}/leave"), Some(&owner.access_token), None).await;
    assert_eq!(status, 204);

    // Dissolve: history stays readable, nothing else works.
    let (status, _) = api.call("DELETE", &base, Some(&ann.access_token), None).await;
    assert_eq!(status, 204);
    until_notice(&mut xena_ws, "dissolved").await;
    xena_ws.send_text(&conv, "x-after", "anyone?").await;
    assert_eq!(xena_ws.wait_for("error").await.0["code"], "group_dissolved");
    let (status, body) = api
        .call("POST", &format!("{base}/members"), Some(&xena.access_token), Some(json!({"user_ids": [owner.user_id]})))
        .await;
    assert_eq!((status, code(&body)), (410, Some("group_dissolved")));
    assert!(!api.all_messages(&xena, &conv).await.is_empty());
    // Leaving a dissolved group takes it off the member's list.
    let (status, _) = api.call("POST", &format!("{base}/leave"), Some(&xena.access_token), None).await;
    assert_eq!(status, 204);
    let (_, mine) = api.call("GET", "/api/v1/groups", Some(&xena.access_token), None).await;
    assert!(mine["groups"].as_array().unwrap().iter().all(|g| g["group_id"] != gid.as_str()), "{mine}");
}

async fn member_cap_and_bad_input(backend: Backend) {
    let srv = spawn_server_with(backend, |s| s.groups.max_members = 3).await;
    let api = &srv.api;
    let owner = api.user("owner", "o1").await;
    let a = api.user("a-user", "a1").await;
    let b = api.user("b-user", "b1").await;
    let c = api.user("c-user", "c1").await;
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/groups",
            Some(&owner.access_token),
            Some(json!({"name": "big", "members": [a.user_id, b.user_id, c.user_id]})),
        )
        .await;
    assert_eq!((status, code(&body)), (409, Some("group_full")));
    let gid = create_group(api, &owner, &[&a, &b], json!({"join_policy": "open"})).await;
    let base = format!("/api/v1/groups/{gid}");
    let (status, body) = api
        .call("POST", &format!("{base}/members"), Some(&owner.access_token), Some(json!({"user_ids": [c.user_id]})))
        .await;
    assert_eq!((status, code(&body)), (409, Some("group_full")));
    let (status, body) = api.call("POST", &format!("{base}/join"), Some(&c.access_token), None).await;
    assert_eq!((status, code(&body)), (409, Some("group_full")));
    let (status, body) =
        api.call_raw(&format!("{base}/join"), Some(&c.access_token), "application/json", b"{not json".to_vec()).await;
    assert_eq!((status, code(&body)), (400, Some("bad_json")));
    let (status, body) = api
        .call_raw(&format!("{base}/join"), Some(&c.access_token), "application/json", br#"{"message": 5}"#.to_vec())
        .await;
    assert_eq!((status, code(&body)), (400, Some("invalid_field")));
    let (_, info) = api.call("GET", &base, Some(&owner.access_token), None).await;
    assert_eq!(info["member_count"].as_u64(), Some(3));

    for body in [
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": "n".repeat(65)}),
        json!({"name": "ok", "join_policy": "sometimes"}),
        json!({"name": "ok", "members": ["not an id"]}),
        json!({"name": "ok", "members": "u_x"}),
        json!({"name": "ok", "colour": "red"}),
    ] {
        let (status, resp) = api.call("POST", "/api/v1/groups", Some(&owner.access_token), Some(body.clone())).await;
        assert_eq!((status, code(&resp)), (400, Some("invalid_field")), "{body}: {resp}");
    }
    let (status, body) = api
        .call("POST", "/api/v1/groups", Some(&owner.access_token), Some(json!({"name": "ok", "members": ["u_NOBODY"]})))
        .await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));
    let (status, body) = api.call("GET", "/api/v1/groups/g_NOPE", Some(&owner.access_token), None).await;
    assert_eq!((status, code(&body)), (404, Some("not_found")));
    let member = format!("{base}/members/{}", a.user_id);
    for patch in [json!({}), json!({"role": "owner"}), json!({"mute_secs": 10_000_000_000u64})] {
        let (status, body) = api.call("PATCH", &member, Some(&owner.access_token), Some(patch.clone())).await;
        assert_eq!((status, code(&body)), (400, Some("invalid_field")), "{patch}: {body}");
    }
    let (_, info_after) = api.call("GET", &base, Some(&owner.access_token), None).await;
    assert_eq!(info, info_after, "rejected requests changed nothing");
}

/// Fan-out: 200 online members each receive every group message exactly once, in order.
async fn fan_out_to_200_members(backend: Backend) {
    const MEMBERS: usize = 200;
    const SENDERS: usize = 4;
    const PER_SENDER: usize = 5;
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let mut logins = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        logins.push(api.user(&format!("member{i:03}"), "d1").await);
    }
    let mut sockets = Vec::with_capacity(MEMBERS);
    for l in &logins {
        sockets.push(WsClient::connect(&srv.ws_url(), &l.access_token).await);
    }
    let others: Vec<&Login> = logins[1..].iter().collect();
    let gid = create_group(api, &logins[0], &others, json!({})).await;
    let conv = format!("g:{gid}");

    for round in 0..PER_SENDER {
        for (s, ws) in sockets.iter_mut().take(SENDERS).enumerate() {
            ws.send_text(&conv, &format!("s{s}-r{round}"), &format!("message {round} from {s}")).await;
        }
    }
    let total = 1 + SENDERS * PER_SENDER;
    let collectors = sockets.into_iter().enumerate().map(|(i, mut ws)| {
        tokio::spawn(async move {
            // Senders get acks for their own messages, pushes for everyone else's.
            let own = if i < SENDERS { PER_SENDER } else { 0 };
            let mut seqs = Vec::new();
            let mut acks = 0;
            while seqs.len() + acks < total {
                let frame = ws.next().await.unwrap_or_else(|| panic!("member {i}: closed"));
                match frame["type"].as_str() {
                    Some("msg") => seqs.push(frame["message"]["seq"].as_u64().unwrap()),
                    Some("ack") => acks += 1,
                    other => panic!("member {i}: unexpected {other:?}: {frame}"),
                }
            }
            ws.expect_silence(Duration::from_millis(300)).await;
            (i, seqs, acks, own)
        })
    });
    let mut deliveries: HashMap<u64, usize> = HashMap::new();
    for c in collectors.collect::<Vec<_>>() {
        let (i, seqs, acks, own) = c.await.unwrap();
        assert_eq!(acks, own, "member {i}");
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "member {i}: out of order or duplicated: {seqs:?}");
        for s in seqs {
            *deliveries.entry(s).or_default() += 1;
        }
    }
    assert_eq!(deliveries.len(), total, "{deliveries:?}");
    // The creation notice has no sending device to skip, so all 200 get it; each chat message
    // reaches the 199 others (its sender has the ack).
    let everyone = deliveries.values().filter(|&&n| n == MEMBERS).count();
    let others_only = deliveries.values().filter(|&&n| n == MEMBERS - 1).count();
    assert_eq!((everyone, others_only), (1, SENDERS * PER_SENDER), "{deliveries:?}");
}

tidings_tests::both_modes!(group_lifecycle, member_cap_and_bad_input, fan_out_to_200_members);
