//! Pinned messages: who may pin, the `pin` entries every device gets, the listing, refusals that
//! change nothing, the cap, and recall unpinning.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::{Backend, spawn_server};

async fn pin(api: &Api, who: &Login, conv: &str, seq: u64) -> (u16, Value) {
    api.call("POST", &format!("/api/v1/conversations/{conv}/pins"), Some(&who.access_token), Some(json!({"seq": seq})))
        .await
}

async fn unpin(api: &Api, who: &Login, conv: &str, seq: u64) -> (u16, Value) {
    api.call("DELETE", &format!("/api/v1/conversations/{conv}/pins/{seq}"), Some(&who.access_token), None).await
}

/// `(seq, pinned_by)` of the listing, in its order.
async fn pinned(api: &Api, who: &Login, conv: &str) -> Vec<(u64, String)> {
    let (status, list) =
        api.call("GET", &format!("/api/v1/conversations/{conv}/pins"), Some(&who.access_token), None).await;
    assert_eq!(status, 200, "{list}");
    list["pins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["message"]["seq"].as_u64().unwrap(), p["pinned_by"].as_str().unwrap().to_owned()))
        .collect()
}

async fn text(api: &Api, who: &Login, conv: &str, id: &str) -> u64 {
    let (status, ack) = send(api, who, conv, id, "text", json!({"text": id})).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

/// The next `pin` entry pushed to `ws`.
async fn pin_entry(ws: &mut WsClient) -> Value {
    loop {
        let (frame, _) = ws.wait_for("msg").await;
        if frame["message"]["kind"] == "pin" {
            return frame["message"].clone();
        }
    }
}

async fn managers_pin_for_everyone(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let alice2 = api.login("alice", "a2").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    let conv = format!("g:{gid}");
    let path = format!("/api/v1/groups/{gid}/members/{}", carol.user_id);
    assert_eq!(api.call("PATCH", &path, Some(&alice.access_token), Some(json!({"role": "admin"}))).await.0, 200);
    let mut bob_ws = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let mut alice2_ws = WsClient::connect(&srv.ws_url(), &alice2.access_token).await;
    let first = text(api, &alice, &conv, "a-1").await;
    let second = text(api, &bob, &conv, "b-1").await;

    // The owner pins: every member and every device of hers get the entry.
    let (status, ack) = pin(api, &alice, &conv, first).await;
    assert_eq!(status, 201, "{ack}");
    for ws in [&mut bob_ws, &mut alice2_ws] {
        let entry = pin_entry(ws).await;
        assert_eq!(entry["seq"], ack["seq"]);
        assert_eq!(
            (&entry["body"]["seq"], &entry["body"]["on"], &entry["body"]["by"]),
            (&json!(first), &json!(true), &json!(alice.user_id))
        );
    }
    assert_eq!(pinned(api, &bob, &conv).await, vec![(first, alice.user_id.clone())]);

    // An admin pins too; a plain member may not; the newest pin comes first.
    let (status, err) = pin(api, &bob, &conv, second).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    assert_eq!(pin(api, &carol, &conv, second).await.0, 201);
    let both = vec![(second, carol.user_id.clone()), (first, alice.user_id.clone())];
    assert_eq!(pinned(api, &alice, &conv).await, both);

    // Refusals change nothing: no entry is written.
    let before = api.all_messages(&alice, &conv).await.len();
    let notice = api.all_messages(&alice, &conv).await.iter().find(|m| m["kind"] == "group_notice").unwrap()["seq"]
        .as_u64()
        .unwrap();
    for (who, seq, want) in [
        (&alice, first, (409, "conflict")),
        (&alice, notice, (403, "forbidden")),
        (&alice, 999, (400, "seq_out_of_range")),
        (&dave, first, (403, "not_member")),
    ] {
        let (status, err) = pin(api, who, &conv, seq).await;
        assert_eq!((status, code(&err)), (want.0, Some(want.1)), "pin {seq}: {err}");
    }
    let (status, err) = unpin(api, &bob, &conv, first).await;
    assert_eq!((status, code(&err)), (403, Some("forbidden")), "{err}");
    let (status, err) =
        api.call("GET", &format!("/api/v1/conversations/{conv}/pins"), Some(&dave.access_token), None).await;
    assert_eq!((status, code(&err)), (403, Some("not_member")), "{err}");
    assert_eq!(api.all_messages(&alice, &conv).await.len(), before, "refusals wrote nothing");
    assert_eq!(pinned(api, &alice, &conv).await, both);

    // Unpin; unpinning again is a conflict. A recall unpins.
    let (status, ack) = unpin(api, &carol, &conv, second).await;
    assert_eq!(status, 200, "{ack}");
    let entry = pin_entry(&mut bob_ws).await;
    let entry = if entry["body"]["on"] == true { pin_entry(&mut bob_ws).await } else { entry };
    assert_eq!((&entry["body"]["seq"], &entry["body"]["on"]), (&json!(second), &json!(false)));
    assert_eq!(code(&unpin(api, &carol, &conv, second).await.1), Some("conflict"));
    let path = format!("/api/v1/conversations/{conv}/messages/{first}/recall");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), None).await.0, 201);
    assert!(pinned(api, &bob, &conv).await.is_empty());
    assert_eq!(code(&pin(api, &alice, &conv, first).await.1), Some("conflict"), "a recalled message");

    // Pin entries never count as unread.
    let row = api.conversations(&bob).await.into_iter().find(|r| r["conv"] == conv).unwrap();
    let read = row["read_seq"].as_u64().unwrap();
    assert_eq!(row["unread"].as_u64(), Some(api.unread_from_log(&bob, &conv, read).await));
    let pins_in_log = api.all_messages(&bob, &conv).await.iter().filter(|m| m["kind"] == "pin").count();
    assert_eq!(pins_in_log, 3, "two pins and one unpin");

    // A dissolved group's pins stay listed, and nothing more changes.
    assert_eq!(api.call("DELETE", &format!("/api/v1/groups/{gid}"), Some(&alice.access_token), None).await.0, 204);
    assert_eq!(code(&pin(api, &alice, &conv, second).await.1), Some("group_dissolved"));
}

async fn either_side_pins_a_direct_chat_up_to_the_cap(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let mut seqs = Vec::new();
    for i in 0..51 {
        seqs.push(text(api, &alice, &conv, &format!("a-{i}")).await);
    }
    for (i, seq) in seqs.iter().take(50).enumerate() {
        let who = if i % 2 == 0 { &alice } else { &bob };
        let (status, ack) = pin(api, who, &conv, *seq).await;
        assert_eq!(status, 201, "pin {i}: {ack}");
    }
    let (status, err) = pin(api, &bob, &conv, seqs[50]).await;
    assert_eq!((status, code(&err)), (409, Some("conflict")), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("50"), "{err}");
    let list = pinned(api, &alice, &conv).await;
    assert_eq!(list.len(), 50);
    assert_eq!(list[0], (seqs[49], bob.user_id.clone()), "the newest pin first");
    // Unpinning one makes room.
    assert_eq!(unpin(api, &alice, &conv, seqs[49]).await.0, 200);
    assert_eq!(pin(api, &bob, &conv, seqs[50]).await.0, 201);
}

/// The group's `pin` rule: managers only by default; `members` lets everyone pin and unpin;
/// the rule shows on the group, its change is a notice, bad rules change nothing.
async fn a_group_rule_lets_members_pin(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let gid = create_group(api, &alice, &[&bob], json!({})).await;
    let conv = format!("g:{gid}");
    let group = format!("/api/v1/groups/{gid}");
    let seq = text(api, &alice, &conv, "a-1").await;
    let (status, info) = api.call("GET", &group, Some(&bob.access_token), None).await;
    assert_eq!((status, &info["policies"]), (200, &json!({"pin": "managers"})), "{info}");
    assert_eq!(code(&pin(api, &bob, &conv, seq).await.1), Some("forbidden"));

    // A plain member may not change the rules; unknown rules and values are refused whole.
    let open = json!({"policies": {"pin": "members"}});
    let (status, err) = api.call("PATCH", &group, Some(&bob.access_token), Some(open.clone())).await;
    assert_eq!(status, 403, "{err}");
    for bad in [json!({"pin": "everyone"}), json!({"pin": true}), json!({"pin": "members", "kick": "members"})] {
        let (status, err) = api.call("PATCH", &group, Some(&alice.access_token), Some(json!({"policies": bad}))).await;
        assert_eq!((status, code(&err)), (400, Some("invalid_field")), "{bad}: {err}");
    }
    assert_eq!(api.call("GET", &group, Some(&bob.access_token), None).await.1["policies"], json!({"pin": "managers"}));

    // The owner opens pinning to members: the change is announced in the log.
    let mut bob_ws = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let (status, info) = api.call("PATCH", &group, Some(&alice.access_token), Some(open)).await;
    assert_eq!((status, &info["policies"]), (200, &json!({"pin": "members"})), "{info}");
    let notice = loop {
        let (frame, _) = bob_ws.wait_for("msg").await;
        if frame["message"]["kind"] == "group_notice" {
            break frame["message"]["body"].clone();
        }
    };
    assert_eq!(
        (&notice["event"], &notice["changes"]["policies"]),
        (&json!("info_updated"), &json!({"pin": "members"}))
    );
    let (status, ack) = pin(api, &bob, &conv, seq).await;
    assert_eq!(status, 201, "{ack}");
    assert_eq!(pinned(api, &alice, &conv).await, vec![(seq, bob.user_id.clone())]);
    assert_eq!(unpin(api, &bob, &conv, seq).await.0, 200);

    // Back to managers: the member is refused again and nothing changes.
    let managers = json!({"policies": {"pin": "managers"}});
    assert_eq!(api.call("PATCH", &group, Some(&alice.access_token), Some(managers)).await.0, 200);
    assert_eq!(code(&pin(api, &bob, &conv, seq).await.1), Some("forbidden"));
    assert!(pinned(api, &alice, &conv).await.is_empty());
}

tidings_tests::both_modes!(
    managers_pin_for_everyone,
    either_side_pins_a_direct_chat_up_to_the_cap,
    a_group_rule_lets_members_pin
);
