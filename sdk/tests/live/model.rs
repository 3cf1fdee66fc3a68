//! A property of the whole, against the log: after a random sequence of sends (some mentioning
//! the app's user, some replying, some in threads), edits, reactions, recalls, pins and unpins,
//! reads of conversations and of threads, and reconnects, the server's conversation list and
//! history and the SDK's store (online, and offline after a restart) all equal what the log says:
//! the same entries, the same unread, mention and unread-thread counts, the same pins (replayed
//! from the log's `pin` entries), reaction totals and thread summaries, every quote of a recalled
//! message erased.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tidings_sdk::Client;
use tidings_tests::{Api, Backend, Login, both_modes, spawn_server};

use crate::model_views::{
    Totals, counts_from_log, mentions, pins_from_log, reactions_from_log, threads_from_log, unread_threads_from_log,
};
use crate::support::{App, until};

/// Actions per seed.
const STEPS: usize = 60;

/// The first actions of every sequence: posts, an edit, a post by the other member, the app's
/// own send, a recall, a pin, a reaction, a read, a reconnect.
const FIRST_ROLLS: [u32; 11] = [0, 0, 0, 24, 34, 46, 56, 63, 70, 80, 95];

/// The emoji the sequence reacts with (few, so toggles meet).
const EMOJI: [&str; 3] = ["👍", "❤️", ":party:"];

struct World<'a> {
    api: &'a Api,
    bob: Login,
    carol: Login,
    me: String,
    convs: [String; 2],
    rng: StdRng,
    n: usize,
    /// The app's explicit thread reads that the server took (it follows the thread), by
    /// (conv, root): the highest seq read.
    thread_reads: BTreeMap<(String, u64), u64>,
}

impl World<'_> {
    /// Content messages of `conv` not recalled, as the server has them now.
    async fn live(&self, conv: &str) -> Vec<Value> {
        let all = self.api.all_messages(&self.bob, conv).await;
        all.into_iter().filter(|m| tidings_domain::message::is_content_kind(m["kind"].as_str().unwrap())).collect()
    }

    async fn post(&mut self, who_is_bob: bool, conv: &str) {
        self.n += 1;
        let mut body = json!({"text": format!("m{}", self.n)});
        // The first posts mention and reply for sure, so every rule below is exercised.
        if self.n <= 2 || self.rng.random_bool(0.3) {
            body["mentions"] = json!([self.me]);
        } else if who_is_bob && conv.starts_with("g:") && self.rng.random_bool(0.15) {
            body["mention_all"] = json!(true);
        }
        if self.n == 2 || self.rng.random_bool(0.25) {
            body["thread_root"] = json!(self.pick_root(conv).await);
        }
        if self.n == 3 || self.rng.random_bool(0.25) {
            let live = self.live(conv).await;
            if !live.is_empty() {
                let quoted = &live[self.rng.random_range(0..live.len())];
                body["reply_to"] = json!({"seq": quoted["seq"]});
            }
        }
        let who = if who_is_bob { &self.bob } else { &self.carol };
        let req = json!({"client_msg_id": format!("p{}", self.n), "kind": "text", "body": body});
        let (status, ack) = self
            .api
            .call("POST", &format!("/api/v1/conversations/{conv}/messages"), Some(&who.access_token), Some(req))
            .await;
        assert_eq!(status, 201, "{ack}");
    }

    /// A message that may root a thread (not a reply in one); `null` when there is none yet.
    async fn pick_root(&mut self, conv: &str) -> Option<u64> {
        let roots: Vec<u64> = self
            .live(conv)
            .await
            .iter()
            .filter(|m| m["body"].get("thread_root").is_none())
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        pick(&mut self.rng, &roots)
    }

    /// Someone (bob, carol in the group, or the app) turns an emoji on or off.
    async fn react(&mut self, conv: &str, app: &Client, online: bool) {
        let live: Vec<u64> = self.live(conv).await.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
        let Some(seq) = pick(&mut self.rng, &live) else { return };
        let emoji = EMOJI[self.rng.random_range(0..EMOJI.len())].to_owned();
        let on = self.rng.random_bool(0.7);
        match self.rng.random_range(0..3) {
            0 if online => app.react(conv.to_owned(), seq, emoji, on).await.unwrap(),
            who => {
                let who = if who == 1 && conv.starts_with("g:") { &self.carol } else { &self.bob };
                let path = format!("/api/v1/conversations/{conv}/messages/{seq}/reactions");
                let req = json!({"emoji": emoji, "on": on});
                let (status, body) = self.api.call("POST", &path, Some(&who.access_token), Some(req)).await;
                assert!(status == 200 || status == 201, "{body}");
            }
        }
    }

    /// The app reads one thread of `conv` up to a random seq.
    async fn read_thread(&mut self, conv: &str, app: &Client) {
        let log = self.api.all_messages(&self.bob, conv).await;
        let roots: Vec<u64> = threads_from_log(&log).into_keys().collect();
        let (Some(root), Some(max)) = (pick(&mut self.rng, &roots), log.last().and_then(|m| m["seq"].as_u64())) else {
            return;
        };
        let upto = self.rng.random_range(root..=max);
        let now = app.read_thread(conv.to_owned(), root, upto).await.unwrap();
        if now > 0 {
            let read = self.thread_reads.entry((conv.to_owned(), root)).or_default();
            *read = (*read).max(upto);
            assert!(now >= *read, "a thread position never moves back");
        }
    }

    async fn recall_one(&mut self, conv: &str) {
        let mine: Vec<u64> = self
            .live(conv)
            .await
            .iter()
            .filter(|m| m["sender"] == self.bob.user_id.as_str())
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        if let Some(seq) = pick(&mut self.rng, &mine) {
            let path = format!("/api/v1/conversations/{conv}/messages/{seq}/recall");
            let (status, body) = self.api.call("POST", &path, Some(&self.bob.access_token), None).await;
            assert_eq!(status, 201, "{body}");
        }
    }

    /// Bob edits one of his texts, adding or dropping a mention of the app's user.
    async fn edit_one(&mut self, conv: &str) {
        let mine: Vec<u64> = self
            .live(conv)
            .await
            .iter()
            .filter(|m| m["sender"] == self.bob.user_id.as_str() && m["kind"] == "text")
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        let Some(seq) = pick(&mut self.rng, &mine) else { return };
        self.n += 1;
        let mut body = json!({"text": format!("edited {}", self.n)});
        if self.rng.random_bool(0.5) {
            body["mentions"] = json!([self.me]);
        }
        let path = format!("/api/v1/conversations/{conv}/messages/{seq}/edit");
        let (status, ack) =
            self.api.call("POST", &path, Some(&self.bob.access_token), Some(json!({"body": body}))).await;
        assert_eq!(status, 201, "{ack}");
    }

    async fn toggle_pin(&mut self, conv: &str) {
        let live: Vec<u64> = self.live(conv).await.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
        let Some(seq) = pick(&mut self.rng, &live) else { return };
        let token = Some(self.bob.access_token.as_str());
        let (status, _) = self
            .api
            .call("POST", &format!("/api/v1/conversations/{conv}/pins"), token, Some(json!({"seq": seq})))
            .await;
        if status == 409 {
            let (status, body) =
                self.api.call("DELETE", &format!("/api/v1/conversations/{conv}/pins/{seq}"), token, None).await;
            assert_eq!(status, 200, "{body}");
        } else {
            assert_eq!(status, 201);
        }
    }
}

fn pick(rng: &mut StdRng, from: &[u64]) -> Option<u64> {
    (!from.is_empty()).then(|| from[rng.random_range(0..from.len())])
}

/// Every stored message of `conv` in the SDK's store.
async fn store_log(client: &Client, conv: &str) -> Vec<Entry> {
    let page = client.history(conv.to_owned(), Some(u64::MAX / 4), 200).await.unwrap();
    page.iter()
        .filter_map(|m| Some((m.seq?, m.kind.clone(), serde_json::from_str(&m.body).unwrap(), m.edited_at)))
        .collect()
}

/// `(seq, kind, body, edited_at)` of one entry.
type Entry = (u64, String, Value, Option<i64>);

fn server_log(log: &[Value]) -> Vec<Entry> {
    log.iter()
        .map(|m| {
            let seq = m["seq"].as_u64().unwrap();
            (seq, m["kind"].as_str().unwrap().to_owned(), m["body"].clone(), m["edited_at"].as_i64())
        })
        .collect()
}

both_modes!(every_view_equals_the_log_after_random_actions);
async fn every_view_equals_the_log_after_random_actions(backend: Backend) {
    let srv = spawn_server(backend).await;
    let base = format!("http://127.0.0.1:{}", srv.port());
    let mut unread_threads_seen = false;
    for seed in [7_u64, 2026] {
        let api = &srv.api;
        let bob = api.user(&format!("bob{seed}"), "b1").await;
        let carol = api.user(&format!("carol{seed}"), "c1").await;
        let alice = api.user(&format!("alice{seed}"), "a-rest").await;
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::new(vec![base.clone()], dir.path(), "a-phone").await;
        app.login_and_connect(&format!("alice{seed}")).await;
        let gid = tidings_tests::helpers::create_group(api, &bob, &[&alice, &carol], json!({})).await;
        let direct = tidings_tests::client::direct(&alice.user_id, &bob.user_id);
        let convs = [direct, format!("g:{gid}")];
        let rng = StdRng::seed_from_u64(seed);
        let mut w =
            World { api, bob, carol, me: alice.user_id.clone(), convs, rng, n: 0, thread_reads: BTreeMap::new() };
        let mut online = true;

        for step in 0..STEPS {
            let conv = w.convs[w.rng.random_range(0..2)].clone();
            // Every kind of action comes once first (bob posts thrice), then chance decides.
            let roll = FIRST_ROLLS.get(step).copied().unwrap_or_else(|| w.rng.random_range(0..100));
            match roll {
                0..24 => w.post(true, &conv).await,
                24..34 => w.edit_one(&conv).await,
                34..46 => w.post(false, &w.convs[1].clone()).await,
                46..56 => {
                    w.n += 1;
                    let text = format!("mine {}", w.n);
                    match w.pick_root(&conv).await {
                        Some(root) if w.rng.random_bool(0.5) => {
                            app.client.send_thread_reply(conv, root, text).await.unwrap();
                        }
                        _ => {
                            app.client.send_text(conv, text).await.unwrap();
                        }
                    }
                }
                56..63 => w.recall_one(&conv).await,
                63..70 => w.toggle_pin(&conv).await,
                70..80 => w.react(&conv, &app.client, online).await,
                80..90 => {
                    if online && w.rng.random_bool(0.5) {
                        w.read_thread(&conv, &app.client).await;
                    } else if let Some(c) = app.client.conversation(conv.clone()).await.unwrap() {
                        let upto = w.rng.random_range(0..=c.max_seq);
                        if upto > 0 {
                            app.client.mark_read(conv, upto).await.unwrap();
                        }
                    }
                }
                _ => {
                    if online {
                        app.client.disconnect().await;
                    } else {
                        app.connect().await;
                    }
                    online = !online;
                }
            }
        }
        if !online {
            app.connect().await;
        }
        // Every sequence ends with an unread followed thread, whatever chance did before: the
        // app replies in a thread of the group, then Bob does.
        let group = w.convs[1].clone();
        if let Some(root) = w.pick_root(&group).await {
            app.client.send_thread_reply(group.clone(), root, "last word".into()).await.unwrap();
            let client = app.client.clone();
            until("the app's thread reply is acked", || {
                let client = client.clone();
                async move { client.outbox_len().await.unwrap() == 0 }
            })
            .await;
            let req =
                json!({"client_msg_id": "last-bob", "kind": "text", "body": {"text": "and mine", "thread_root": root}});
            let path = format!("/api/v1/conversations/{group}/messages");
            let (status, ack) = api.call("POST", &path, Some(&w.bob.access_token), Some(req)).await;
            assert_eq!(status, 201, "{ack}");
        }
        // A reconnect at the end: the SDK takes the server's list (the `threads` counts) anew.
        app.client.disconnect().await;
        app.connect().await;

        // Settled: the outbox is empty, the store has every entry the server has, and the
        // server every read.
        let client = app.client.clone();
        until("the outbox empties", || {
            let client = client.clone();
            async move { client.outbox_len().await.unwrap() == 0 }
        })
        .await;
        for conv in w.convs.clone() {
            let me = alice.clone();
            until(&format!("{conv} synced"), || {
                let (client, conv, me) = (client.clone(), conv.clone(), me.clone());
                async move {
                    let want = server_log(&api.all_messages(&me, &conv).await);
                    store_log(&client, &conv).await.iter().map(|e| e.0).eq(want.iter().map(|e| e.0))
                }
            })
            .await;
            let local = app.client.conversation(conv.clone()).await.unwrap().unwrap();
            let me = alice.clone();
            until(&format!("{conv} read position on the server"), || {
                let conv = conv.clone();
                let me = me.clone();
                async move {
                    let rows = api.conversations(&me).await;
                    rows.iter().any(|r| r["conv"] == conv.as_str() && r["read_seq"] == local.read_seq)
                }
            })
            .await;
        }

        // The sequence did exercise every rule checked below.
        let mut whole = Vec::new();
        for conv in &w.convs {
            whole.extend(api.all_messages(&alice, conv).await);
        }
        let seen = |what: &dyn Fn(&Value) -> bool| whole.iter().any(what);
        assert!(seen(&|m| m["kind"] == "recalled") && seen(&|m| m["kind"] == "pin"), "seed {seed}");
        assert!(seen(&|m| m["kind"] == "edit") && seen(&|m| m["edited_at"].is_i64()), "seed {seed}");
        assert!(seen(&|m| m["body"]["reply_to"].is_object()) && seen(&|m| mentions(m, &alice.user_id)), "seed {seed}");
        assert!(seen(&|m| m["sender"] == alice.user_id.as_str()), "seed {seed}");
        assert!(seen(&|m| m["kind"] == "reaction") && seen(&|m| m["body"]["thread_root"].is_u64()), "seed {seed}");

        let mut expected = Vec::new();
        for conv in &w.convs {
            let log = api.all_messages(&alice, conv).await;
            assert_eq!(store_log(&app.client, conv).await, server_log(&log), "seed {seed}: the store is the log");
            // Every quote of a recalled message is erased, on the server and so in the store.
            let recalled: BTreeSet<u64> =
                log.iter().filter(|m| m["kind"] == "recalled").map(|m| m["seq"].as_u64().unwrap()).collect();
            for m in log.iter().filter(|m| m["body"]["reply_to"]["seq"].as_u64().is_some_and(|s| recalled.contains(&s)))
            {
                assert_eq!(m["body"]["reply_to"]["quote"], json!({"recalled": true}), "seed {seed}: {m}");
            }
            let row = api.conversations(&alice).await.into_iter().find(|r| r["conv"] == conv.as_str()).unwrap();
            let read_seq = row["read_seq"].as_u64().unwrap();
            let (unread, mention_count) = counts_from_log(&log, &alice.user_id, read_seq);
            assert_eq!(
                (row["unread"].as_u64(), row["mention_count"].as_u64()),
                (Some(unread), Some(mention_count)),
                "seed {seed}: server list of {conv}"
            );
            let reads: BTreeMap<u64, u64> =
                w.thread_reads.iter().filter(|((c, _), _)| c == conv).map(|((_, root), s)| (*root, *s)).collect();
            let threads = unread_threads_from_log(&log, &alice.user_id, &reads);
            assert_eq!(row["threads"].as_u64(), Some(threads), "seed {seed}: server threads of {conv}");
            // The SDK's row follows pushes; in a cluster a thread's update can come from the
            // other instance a moment after the messages. It must get there, within a bound.
            let mut local = app.client.conversation(conv.clone()).await.unwrap().unwrap();
            for _ in 0..50 {
                if (local.unread, local.mention_count, local.threads) == (unread, mention_count, threads) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                local = app.client.conversation(conv.clone()).await.unwrap().unwrap();
            }
            assert_eq!(
                (local.unread, local.mention_count, local.threads),
                (unread, mention_count, threads),
                "seed {seed}: SDK row of {conv} (5 s after the server's)"
            );
            let (reactions, summaries) = (reactions_from_log(&log, &alice.user_id), threads_from_log(&log));
            assert_eq!(server_annotations(&log), (reactions.clone(), summaries.clone()), "seed {seed}: server {conv}");
            let stored = app.client.history(conv.clone(), Some(u64::MAX / 4), 200).await.unwrap();
            assert_eq!(sdk_annotations(&stored), (reactions, summaries), "seed {seed}: SDK store of {conv}");
            let pins = pins_from_log(&log);
            let (status, listed) =
                api.call("GET", &format!("/api/v1/conversations/{conv}/pins"), Some(&alice.access_token), None).await;
            assert_eq!(status, 200);
            let listed: BTreeSet<u64> =
                listed["pins"].as_array().unwrap().iter().map(|p| p["message"]["seq"].as_u64().unwrap()).collect();
            assert_eq!(listed, pins, "seed {seed}: server pins of {conv}");
            unread_threads_seen |= threads > 0;
            expected.push((conv.clone(), unread, mention_count, threads, pins));
        }

        // Offline after a restart, the store alone gives the same view (pins from entries).
        app.client.shutdown().await;
        let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), "a-phone").await;
        for (conv, unread, mention_count, threads, pins) in expected {
            let row = offline.client.conversation(conv.clone()).await.unwrap().unwrap();
            let counts = (row.unread, row.mention_count, row.threads);
            assert_eq!(counts, (unread, mention_count, threads), "seed {seed}: offline row of {conv}");
            let stored: BTreeSet<u64> =
                offline.client.pins(conv.clone()).await.unwrap().iter().filter_map(|p| p.message.seq).collect();
            assert_eq!(stored, pins, "seed {seed}: offline pins of {conv}");
        }
        offline.client.shutdown().await;
    }
    assert!(unread_threads_seen, "some sequence left the app an unread followed thread");
}

/// Reaction totals (sorted by emoji) and thread summaries of the messages that have them, as
/// the server's history shows them.
fn server_annotations(log: &[Value]) -> (BTreeMap<u64, Totals>, BTreeMap<u64, Value>) {
    let mut reactions = BTreeMap::new();
    let mut threads = BTreeMap::new();
    for m in log {
        let seq = m["seq"].as_u64().unwrap();
        if let Some(rs) = m["reactions"].as_array() {
            let counts: Vec<u64> = rs.iter().map(|r| r["count"].as_u64().unwrap()).collect();
            assert!(counts.windows(2).all(|w| w[0] >= w[1]), "most used first: {m}");
            let mut totals: Totals = rs
                .iter()
                .map(|r| (r["emoji"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap(), r["me"] == true))
                .collect();
            totals.sort();
            reactions.insert(seq, totals);
        }
        if m["thread"].is_object() {
            threads.insert(seq, m["thread"].clone());
        }
    }
    (reactions, threads)
}

/// The same from the SDK's store.
fn sdk_annotations(stored: &[tidings_sdk::Message]) -> (BTreeMap<u64, Totals>, BTreeMap<u64, Value>) {
    let mut reactions = BTreeMap::new();
    let mut threads = BTreeMap::new();
    for m in stored {
        let seq = m.seq.unwrap();
        if !m.reactions.is_empty() {
            let mut totals: Totals = m.reactions.iter().map(|r| (r.emoji.clone(), r.count, r.me)).collect();
            totals.sort();
            reactions.insert(seq, totals);
        }
        if let Some(t) = &m.thread {
            let summary = json!({"replies": t.replies, "last_ts": t.last_ts, "last_seq": t.last_seq,
                "participants": t.participants});
            threads.insert(seq, summary);
        }
    }
    (reactions, threads)
}
