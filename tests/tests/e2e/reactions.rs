//! Reactions: every member and every device of the reactor get each change as a `reaction`
//! entry; history, sync and the conversation list carry the totals with `me` right per reader;
//! repeating a state writes nothing; the distinct-emoji cap; every refusal changes nothing; a
//! recall takes the reactions with it; reactions never count as unread.

use serde_json::{Value, json};
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::helpers::{code, create_group, send};
use tidings_tests::{Backend, spawn_server, spawn_server_with};

async fn sent(api: &Api, who: &Login, conv: &str, id: &str, text: &str) -> u64 {
    let (status, ack) = send(api, who, conv, id, "text", json!({"text": text})).await;
    assert_eq!(status, 201, "{ack}");
    ack["seq"].as_u64().unwrap()
}

/// `POST .../reactions` over REST: status and body.
async fn react(api: &Api, who: &Login, conv: &str, seq: u64, emoji: &str, on: bool) -> (u16, Value) {
    let path = format!("/api/v1/conversations/{conv}/messages/{seq}/reactions");
    api.call("POST", &path, Some(&who.access_token), Some(json!({"emoji": emoji, "on": on}))).await
}

/// The `react` frame over a socket; returns the answer (`ack` or `error`) with the same id.
async fn react_ws(ws: &mut WsClient, conv: &str, seq: u64, emoji: &str, on: bool) -> Value {
    react_ws_seeing(ws, conv, seq, emoji, on).await.0
}

/// [`react_ws`], also returning the pushes that came before the answer (the entry's own push
/// to the asking device may overtake its ack).
async fn react_ws_seeing(ws: &mut WsClient, conv: &str, seq: u64, emoji: &str, on: bool) -> (Value, Vec<Value>) {
    let id = ws.next_id();
    ws.send(json!({"type": "react", "id": id, "conv": conv, "seq": seq, "emoji": emoji, "on": on})).await;
    let mut seen = Vec::new();
    loop {
        let (frame, before) = ws.wait_for_any(&["ack", "error"]).await;
        seen.extend(before);
        if frame["id"] == id.as_str() {
            return (frame, seen);
        }
        seen.push(frame);
    }
}

/// A `sync` over the socket, skipping the pushes that arrive before its answer.
async fn sync(ws: &mut WsClient, conv: &str, after_seq: u64) -> Value {
    let id = ws.next_id();
    ws.send(json!({"type": "sync", "id": id, "conv": conv, "after_seq": after_seq, "limit": 50})).await;
    loop {
        let (frame, _) = ws.wait_for("sync_result").await;
        if frame["id"] == id.as_str() {
            return frame;
        }
    }
}

/// Skips pushes until the `reaction` entry of seq `entry`; returns that message.
async fn until_entry(ws: &mut WsClient, entry: u64) -> Value {
    loop {
        let (frame, _) = ws.wait_for("msg").await;
        if frame["message"]["seq"] == entry {
            assert_eq!(frame["message"]["kind"], "reaction", "{frame}");
            assert!(frame["message"].get("reactions").is_none(), "pushes carry no totals: {frame}");
            return frame["message"].clone();
        }
    }
}

async fn message(api: &Api, who: &Login, conv: &str, seq: u64) -> Value {
    let all = api.all_messages(who, conv).await;
    all.into_iter().find(|m| m["seq"] == seq).unwrap_or_else(|| panic!("no message {seq} in {conv}"))
}

/// The reactions of message `seq` as `who` reads them in history.
async fn totals(api: &Api, who: &Login, conv: &str, seq: u64) -> Value {
    message(api, who, conv, seq).await.get("reactions").cloned().unwrap_or(json!([]))
}

async fn max_seq(api: &Api, who: &Login, conv: &str) -> u64 {
    api.all_messages(who, conv).await.last().map_or(0, |m| m["seq"].as_u64().unwrap())
}

/// `who`'s row of `conv` in the conversation list.
async fn row(api: &Api, who: &Login, conv: &str) -> Value {
    let rows = api.conversations(who).await;
    rows.into_iter().find(|r| r["conv"] == conv).unwrap_or_else(|| panic!("{conv} not listed"))
}

async fn reactions_reach_everyone_and_show_on_every_read_path(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let alice_2 = api.login("alice", "a2").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let conv = format!("g:{}", create_group(api, &alice, &[&bob, &carol], json!({})).await);
    let mut a1 = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let mut a2 = WsClient::connect(&srv.ws_url(), &alice_2.access_token).await;
    let mut b1 = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let mut c1 = WsClient::connect(&srv.ws_url(), &carol.access_token).await;

    let hello = sent(api, &bob, &conv, "b-1", "hello").await;
    let unread_before = row(api, &carol, &conv).await["unread"].clone();
    let alice_unread_before = row(api, &alice, &conv).await["unread"].clone();

    // Alice reacts from her first device: everyone, her other device included, gets the entry.
    let (ack, seen) = react_ws_seeing(&mut a1, &conv, hello, "👍", true).await;
    assert_eq!((ack["type"].as_str(), ack["duplicate"].as_bool()), (Some("ack"), Some(false)), "{ack}");
    let first = ack["seq"].as_u64().unwrap();
    let expected = json!({"seq": hello, "emoji": "👍", "on": true, "by": alice.user_id});
    // The asking device gets the entry too, before or after its ack.
    let own = match seen.iter().find(|f| f["type"] == "msg" && f["message"]["seq"] == first) {
        Some(frame) => frame["message"].clone(),
        None => until_entry(&mut a1, first).await,
    };
    assert_eq!(own["body"], expected);
    for ws in [&mut a2, &mut b1, &mut c1] {
        let entry = until_entry(ws, first).await;
        assert_eq!((entry["body"].clone(), entry["sender"].clone()), (expected.clone(), json!(alice.user_id)));
    }
    let (status, body) = react(api, &carol, &conv, hello, "👍", true).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = react(api, &bob, &conv, hello, "❤️", true).await;
    assert_eq!(status, 201, "{body}");

    // Totals, most used first, `me` per reader, in history, sync and the list.
    let seen_by = |me_thumb: bool, me_heart: bool| json!([{"emoji": "👍", "count": 2, "me": me_thumb}, {"emoji": "❤️", "count": 1, "me": me_heart}]);
    assert_eq!(totals(api, &alice, &conv, hello).await, seen_by(true, false));
    assert_eq!(totals(api, &bob, &conv, hello).await, seen_by(false, true));
    let page = sync(&mut c1, &conv, hello - 1).await;
    let synced = page["messages"].as_array().unwrap().iter().find(|m| m["seq"] == hello).unwrap().clone();
    assert_eq!(synced["reactions"], seen_by(true, false));
    let listed = row(api, &bob, &conv).await;
    assert_eq!(listed["last_message"]["seq"], hello, "a reaction does not become the preview: {listed}");
    assert_eq!(listed["last_message"]["reactions"], seen_by(false, true));
    // Reactions never count as unread.
    assert_eq!(row(api, &carol, &conv).await["unread"], unread_before);
    assert_eq!(row(api, &alice, &conv).await["unread"], alice_unread_before);
    // A message without reactions has no `reactions` field.
    let plain = sent(api, &carol, &conv, "c-1", "plain").await;
    assert!(message(api, &alice, &conv, plain).await.get("reactions").is_none());

    // Doing it again writes nothing: the answer is the entry that set it, `duplicate`.
    let top = max_seq(api, &alice, &conv).await;
    let (status, again) = react(api, &alice, &conv, hello, "👍", true).await;
    assert_eq!((status, again["seq"].as_u64(), again["duplicate"].as_bool()), (200, Some(first), Some(true)));
    let again = react_ws(&mut a2, &conv, hello, "👍", true).await;
    assert_eq!((again["seq"].as_u64(), again["duplicate"].as_bool()), (Some(first), Some(true)), "{again}");
    assert_eq!(max_seq(api, &alice, &conv).await, top);

    // Off, then off again (nothing), and off for an emoji never on (nothing, seq 0).
    let off = react_ws(&mut a2, &conv, hello, "👍", false).await;
    assert_eq!(off["duplicate"], false, "{off}");
    let off_seq = off["seq"].as_u64().unwrap();
    let entry = until_entry(&mut b1, off_seq).await;
    assert_eq!(entry["body"]["on"], false);
    assert_eq!(
        totals(api, &alice, &conv, hello).await,
        json!([{"emoji": "👍", "count": 1, "me": false}, {"emoji": "❤️", "count": 1, "me": false}])
    );
    let (status, again) = react(api, &alice, &conv, hello, "👍", false).await;
    assert_eq!((status, again["seq"].as_u64(), again["duplicate"].as_bool()), (200, Some(off_seq), Some(true)));
    let (status, never) = react(api, &carol, &conv, hello, "❤️", false).await;
    assert_eq!((status, never["seq"].as_u64(), never["duplicate"].as_bool()), (200, Some(0), Some(true)));
    assert_eq!(max_seq(api, &alice, &conv).await, off_seq);

    // A direct chat: the peer's reaction reaches both of Alice's devices.
    let dm = direct(&alice.user_id, &bob.user_id);
    let note = sent(api, &alice, &dm, "a-dm-1", "lunch?").await;
    let ack = react_ws(&mut b1, &dm, note, "😂", true).await;
    let entry_seq = ack["seq"].as_u64().unwrap_or_else(|| panic!("{ack}"));
    for ws in [&mut a1, &mut a2] {
        assert_eq!(until_entry(ws, entry_seq).await["body"]["emoji"], "😂");
    }
    assert_eq!(totals(api, &alice, &dm, note).await, json!([{"emoji": "😂", "count": 1, "me": false}]));
    let page = sync(&mut b1, &dm, 0).await;
    let synced = page["messages"].as_array().unwrap().iter().find(|m| m["seq"] == note).unwrap().clone();
    assert_eq!(synced["reactions"], json!([{"emoji": "😂", "count": 1, "me": true}]));
    assert_eq!(row(api, &alice, &dm).await["unread"], json!(0), "bob's reaction is no unread message");
    assert_eq!(row(api, &alice, &dm).await["last_message"]["seq"], note);
}

async fn refusals_change_nothing_and_a_recall_takes_the_reactions(backend: Backend) {
    let srv = spawn_server_with(backend, |s| s.limits.max_reaction_kinds = 3).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let carol = api.user("carol", "c1").await;
    let dave = api.user("dave", "d1").await;
    let gid = create_group(api, &alice, &[&bob, &carol], json!({})).await;
    let conv = format!("g:{gid}");
    let mut b1 = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    let hello = sent(api, &alice, &conv, "a-1", "hello").await;
    let notice = api.all_messages(&alice, &conv).await.into_iter().find(|m| m["kind"] != "text").unwrap();
    let notice = notice["seq"].as_u64().unwrap();
    let (status, entry) = react(api, &bob, &conv, hello, "👍", true).await;
    assert_eq!(status, 201, "{entry}");
    let entry = entry["seq"].as_u64().unwrap();
    let top = max_seq(api, &alice, &conv).await;

    // Bad input and refusals, each with its code; the log does not move.
    let long = "x".repeat(65);
    let cases: Vec<(&Login, u64, &str, u16, &str)> = vec![
        (&bob, hello, "", 400, "invalid_field"),
        (&bob, hello, "a b", 400, "invalid_field"),
        (&bob, hello, "\u{7}", 400, "invalid_field"),
        (&bob, hello, &long, 400, "invalid_field"),
        (&bob, 999, "👍", 400, "seq_out_of_range"),
        (&bob, notice, "👍", 403, "forbidden"),
        (&bob, entry, "👍", 403, "forbidden"),
        (&dave, hello, "👍", 403, "not_member"),
    ];
    for (who, seq, emoji, status, want) in cases {
        let (got, body) = react(api, who, &conv, seq, emoji, true).await;
        assert_eq!((got, code(&body)), (status, Some(want)), "{emoji:?} on {seq}: {body}");
    }
    let frame = react_ws(&mut b1, &conv, hello, " ", true).await;
    assert_eq!((frame["type"].as_str(), frame["code"].as_str()), (Some("error"), Some("invalid_field")), "{frame}");
    let frame = react_ws(&mut b1, &conv, 999, "👍", true).await;
    assert_eq!(frame["code"], "seq_out_of_range", "{frame}");
    assert_eq!(max_seq(api, &alice, &conv).await, top);
    assert_eq!(totals(api, &alice, &conv, hello).await, json!([{"emoji": "👍", "count": 1, "me": false}]));

    // The cap on distinct emoji: a new one past it is refused, those there still toggle.
    for (who, emoji) in [(&carol, "❤️"), (&alice, "🎉")] {
        assert_eq!(react(api, who, &conv, hello, emoji, true).await.0, 201);
    }
    let top = max_seq(api, &alice, &conv).await;
    let (status, body) = react(api, &carol, &conv, hello, "🚀", true).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")), "{body}");
    assert_eq!(max_seq(api, &alice, &conv).await, top);
    assert_eq!(react(api, &alice, &conv, hello, "👍", true).await.0, 201);
    assert_eq!(react(api, &bob, &conv, hello, "👍", false).await.0, 201);
    // Once an emoji is gone, a new one fits again.
    assert_eq!(react(api, &alice, &conv, hello, "🎉", false).await.0, 201);
    assert_eq!(react(api, &carol, &conv, hello, "🚀", true).await.0, 201);
    let counts: Vec<(String, u64)> = totals(api, &bob, &conv, hello)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["emoji"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap()))
        .collect();
    // Ties: the emoji whose reactions are on longest first (Alice's 👍 is newer than the ❤️).
    assert_eq!(counts, [("❤️".into(), 1), ("👍".into(), 1), ("🚀".into(), 1)]);

    // A recall takes the reactions with it; a recalled message takes none.
    let path = format!("/api/v1/conversations/{conv}/messages/{hello}/recall");
    assert_eq!(api.call("POST", &path, Some(&alice.access_token), None).await.0, 201);
    for who in [&alice, &bob, &carol] {
        let m = message(api, who, &conv, hello).await;
        assert_eq!((m["kind"].as_str(), m.get("reactions")), (Some("recalled"), None), "{m}");
    }
    let top = max_seq(api, &alice, &conv).await;
    let (status, body) = react(api, &bob, &conv, hello, "👍", true).await;
    assert_eq!((status, code(&body)), (409, Some("conflict")), "{body}");
    assert_eq!(max_seq(api, &alice, &conv).await, top);

    // Someone who left may not react; nobody may in a dissolved group.
    let other = sent(api, &alice, &conv, "a-2", "still here").await;
    let (status, _) = api.call("POST", &format!("/api/v1/groups/{gid}/leave"), Some(&carol.access_token), None).await;
    assert_eq!(status, 204);
    let (status, body) = react(api, &carol, &conv, other, "👍", true).await;
    assert_eq!((status, code(&body)), (403, Some("not_member")), "{body}");
    let (status, _) = api.call("DELETE", &format!("/api/v1/groups/{gid}"), Some(&alice.access_token), None).await;
    assert_eq!(status, 204);
    let top = max_seq(api, &alice, &conv).await;
    let (status, body) = react(api, &bob, &conv, other, "👍", true).await;
    assert_eq!((status, code(&body)), (410, Some("group_dissolved")), "{body}");
    assert_eq!(max_seq(api, &alice, &conv).await, top);
}

/// Two devices of one user toggle one emoji as fast as they can: the entries alternate (no two
/// in a row say the same), and the totals end as the last entry says.
async fn racing_toggles_end_as_the_log_says(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let alice_2 = api.login("alice", "a2").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let target = sent(api, &bob, &conv, "b-1", "race me").await;
    let toggles = |who: Login| {
        let api = api.clone();
        let conv = conv.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let (status, body) = react(&api, &who, &conv, target, "🔥", i % 2 == 0).await;
                assert!(status == 200 || status == 201, "{body}");
            }
        })
    };
    let (one, two) = (toggles(alice.clone()), toggles(alice_2.clone()));
    one.await.unwrap();
    two.await.unwrap();
    let entries: Vec<bool> = api
        .all_messages(&bob, &conv)
        .await
        .iter()
        .filter(|m| m["kind"] == "reaction")
        .map(|m| m["body"]["on"].as_bool().unwrap())
        .collect();
    assert!(!entries.is_empty());
    assert!(entries.windows(2).all(|w| w[0] != w[1]), "an entry that changed nothing: {entries:?}");
    assert!(entries[0], "the first change turns it on");
    let expected =
        if *entries.last().unwrap() { json!([{"emoji": "🔥", "count": 1, "me": true}]) } else { json!([]) };
    assert_eq!(totals(api, &alice, &conv, target).await, expected);
}

/// Reactions spend the user's send budget: past it, `rate_limited` and nothing written.
async fn reactions_spend_the_send_budget(backend: Backend) {
    let srv = spawn_server_with(backend, |s| {
        s.limits.send_burst = 2;
        s.limits.send_per_sec = 0.001;
    })
    .await;
    let api = &srv.api;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let conv = direct(&alice.user_id, &bob.user_id);
    let target = sent(api, &bob, &conv, "b-1", "hi").await;
    assert_eq!(sent(api, &alice, &conv, "a-1", "hello").await, target + 1);
    assert_eq!(react(api, &alice, &conv, target, "👍", true).await.0, 201);
    let top = max_seq(api, &bob, &conv).await;
    let (status, body) = react(api, &alice, &conv, target, "❤️", true).await;
    assert_eq!((status, code(&body)), (429, Some("rate_limited")), "{body}");
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let frame = react_ws(&mut ws, &conv, target, "❤️", true).await;
    assert_eq!(frame["code"], "rate_limited", "{frame}");
    assert_eq!(max_seq(api, &bob, &conv).await, top);
    assert_eq!(totals(api, &bob, &conv, target).await, json!([{"emoji": "👍", "count": 1, "me": false}]));
}

tidings_tests::both_modes!(
    reactions_spend_the_send_budget,
    reactions_reach_everyone_and_show_on_every_read_path,
    refusals_change_nothing_and_a_recall_takes_the_reactions,
    racing_toggles_end_as_the_log_says,
);
