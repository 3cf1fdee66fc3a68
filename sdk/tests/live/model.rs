//! A property of the whole, against the log: after a random sequence of sends (some mentioning
//! the app's user, some replying), edits, recalls, pins and unpins, reads and reconnects, the server's
//! conversation list and the SDK's store (online, and offline after a restart) both equal what
//! the log says: the same entries, the same unread and mention counts, the same pins (replayed
//! from the log's `pin` entries), every quote of a recalled message erased.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tidings_domain::message::NOT_UNREAD_KINDS;
use tidings_sdk::Client;
use tidings_tests::{Api, Backend, Login, both_modes, spawn_server};

use crate::support::{App, until};

/// Actions per seed.
const STEPS: usize = 60;

/// The first actions of every sequence: posts, an edit, a post by the other member, the app's
/// own send, a recall, a pin, a read, a reconnect.
const FIRST_ROLLS: [u32; 10] = [0, 0, 0, 30, 45, 60, 70, 75, 85, 95];

struct World<'a> {
    api: &'a Api,
    bob: Login,
    carol: Login,
    me: String,
    convs: [String; 2],
    rng: StdRng,
    n: usize,
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

/// Whether a stored body mentions `me` (the server's rule).
fn mentions(m: &Value, me: &str) -> bool {
    m["body"]["mention_all"] == true
        || m["body"]["mentions"].as_array().is_some_and(|ids| ids.iter().any(|id| id == me))
}

/// `(unread, mention_count)` the log gives for a reader at `read_seq`.
fn counts_from_log(log: &[Value], me: &str, read_seq: u64) -> (u64, u64) {
    let unread: Vec<&Value> = log
        .iter()
        .filter(|m| m["seq"].as_u64().unwrap() > read_seq && m["sender"] != me)
        .filter(|m| !NOT_UNREAD_KINDS.iter().any(|k| m["kind"] == *k))
        .collect();
    (unread.len() as u64, unread.iter().filter(|m| mentions(m, me)).count() as u64)
}

/// The pins the log's `pin` entries leave, in order, less the messages recalled since.
fn pins_from_log(log: &[Value]) -> BTreeSet<u64> {
    let mut pinned = BTreeSet::new();
    for m in log.iter().filter(|m| m["kind"] == "pin") {
        let seq = m["body"]["seq"].as_u64().unwrap();
        if m["body"]["on"] == true {
            pinned.insert(seq)
        } else {
            pinned.remove(&seq)
        };
    }
    let recalled: BTreeSet<u64> =
        log.iter().filter(|m| m["kind"] == "recalled").map(|m| m["seq"].as_u64().unwrap()).collect();
    &pinned - &recalled
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
        let mut w = World { api, bob, carol, me: alice.user_id.clone(), convs, rng: StdRng::seed_from_u64(seed), n: 0 };
        let mut online = true;

        for step in 0..STEPS {
            let conv = w.convs[w.rng.random_range(0..2)].clone();
            // Every kind of action comes once first (bob posts thrice), then chance decides.
            let roll = FIRST_ROLLS.get(step).copied().unwrap_or_else(|| w.rng.random_range(0..100));
            match roll {
                0..28 => w.post(true, &conv).await,
                28..40 => w.edit_one(&conv).await,
                40..55 => w.post(false, &w.convs[1].clone()).await,
                55..65 => {
                    w.n += 1;
                    app.client.send_text(conv, format!("mine {}", w.n)).await.unwrap();
                }
                65..73 => w.recall_one(&conv).await,
                73..83 => w.toggle_pin(&conv).await,
                83..93 => {
                    if let Some(c) = app.client.conversation(conv.clone()).await.unwrap() {
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
            let local = app.client.conversation(conv.clone()).await.unwrap().unwrap();
            assert_eq!((local.unread, local.mention_count), (unread, mention_count), "seed {seed}: SDK row of {conv}");
            let pins = pins_from_log(&log);
            let (status, listed) =
                api.call("GET", &format!("/api/v1/conversations/{conv}/pins"), Some(&alice.access_token), None).await;
            assert_eq!(status, 200);
            let listed: BTreeSet<u64> =
                listed["pins"].as_array().unwrap().iter().map(|p| p["message"]["seq"].as_u64().unwrap()).collect();
            assert_eq!(listed, pins, "seed {seed}: server pins of {conv}");
            expected.push((conv.clone(), unread, mention_count, pins));
        }

        // Offline after a restart, the store alone gives the same view (pins from entries).
        app.client.shutdown().await;
        let offline = App::new(vec!["http://127.0.0.1:9".into()], dir.path(), "a-phone").await;
        for (conv, unread, mention_count, pins) in expected {
            let row = offline.client.conversation(conv.clone()).await.unwrap().unwrap();
            assert_eq!((row.unread, row.mention_count), (unread, mention_count), "seed {seed}: offline row of {conv}");
            let stored: BTreeSet<u64> =
                offline.client.pins(conv.clone()).await.unwrap().iter().filter_map(|p| p.message.seq).collect();
            assert_eq!(stored, pins, "seed {seed}: offline pins of {conv}");
        }
        offline.client.shutdown().await;
    }
}
