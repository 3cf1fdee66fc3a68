//! AI assistant bots against a fake OpenAI-compatible API on loopback: an admin creates a bot;
//! it answers direct messages (streamed and whole answers), group messages that mention it and
//! nothing else, shows `typing` while the model works, sends what it asked with the
//! conversation as context, turns model failures into a short message, refuses politely past
//! its budgets, and never answers a bot or a conversation it may not read.

use std::time::Duration;

use serde_json::{Value, json};
use tidings_app::bots::{SAY_BUDGET, SAY_ERROR, SAY_TIMEOUT};
use tidings_domain::social::DmPolicy;
use tidings_tests::client::{Api, Login, WsClient, direct};
use tidings_tests::fake_llm::{FakeLlm, LlmReply, last_user_text};
use tidings_tests::helpers::{create_group, with_initial_admin};
use tidings_tests::{Backend, TestServer, spawn_server_with};

const KEY: &str = "sk-test-key-123";

/// The fake model: echoes the last user line, or fails as the line asks.
fn decide(req: &Value) -> LlmReply {
    let text = last_user_text(req);
    match text.as_str() {
        "fail500" => LlmReply::Status(500),
        "fail401" => LlmReply::Status(401),
        "garbage" => LlmReply::Garbage,
        "slow" => LlmReply::Slow(Duration::from_secs(3), "too late".into()),
        _ => LlmReply::Text(format!("echo: {text}")),
    }
}

async fn server(backend: Backend) -> (TestServer, Login, FakeLlm) {
    let llm = FakeLlm::start(decide).await;
    let srv = spawn_server_with(backend, |s| {
        with_initial_admin(s);
        s.bots.timeout = Duration::from_secs(1);
        // Users accept direct messages from friends only: a bot is written to and answers anyway.
        s.social.default_dm_policy = DmPolicy::Friends;
    })
    .await;
    let root = srv.api.login("root", "console").await;
    (srv, root, llm)
}

/// Creates a bot with `extra` fields; returns its id.
async fn create_bot(api: &Api, root: &Login, username: &str, llm: &FakeLlm, extra: Value) -> String {
    let mut body = json!({
        "username": username,
        "display_name": "Helper",
        "base_url": llm.base_url,
        "model": "fake-model-1",
        "api_key": KEY,
        "system_prompt": "You are terse.",
        "temperature": 0.25,
    });
    if let (Some(obj), Some(more)) = (body.as_object_mut(), extra.as_object()) {
        obj.extend(more.clone());
    }
    let (status, bot) = api.call("POST", "/admin/v1/bots", Some(&root.access_token), Some(body)).await;
    assert_eq!(status, 201, "{bot}");
    assert!(!bot.to_string().contains(KEY), "the key was returned: {bot}");
    bot["bot_id"].as_str().unwrap().to_owned()
}

/// Waits for the next message from `bot` on `ws`; returns it and the frames before it.
async fn bot_message(ws: &mut WsClient, bot: &str) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    loop {
        let (frame, skipped) = ws.wait_for("msg").await;
        before.extend(skipped);
        if frame["message"]["sender"] == bot {
            return (frame["message"].clone(), before);
        }
        before.push(frame);
    }
}

/// The value of a counter line in /metrics.
async fn metric(srv: &TestServer, line: &str) -> u64 {
    let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", srv.port())).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(line).and_then(|v| v.trim().parse::<f64>().ok()))
        .unwrap_or_else(|| panic!("no {line} in /metrics")) as u64
}

async fn a_bot_answers_direct_messages(backend: Backend) {
    let (srv, root, mut llm) = server(backend).await;
    let api = &srv.api;
    let bot = create_bot(api, &root, "helper", &llm, json!({})).await;
    let (status, one) = api.call("GET", &format!("/admin/v1/bots/{bot}"), Some(&root.access_token), None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        (one["model"].as_str(), one["has_api_key"].as_bool(), one["stream"].as_bool()),
        (Some("fake-model-1"), Some(true), Some(true))
    );
    let (_, list) = api.call("GET", "/admin/v1/bots", Some(&root.access_token), None).await;
    assert_eq!(list["bots"].as_array().unwrap().len(), 1, "{list}");
    assert!(!list.to_string().contains(KEY), "the key was listed: {list}");

    // Anyone may write to a bot, and hears its answer, though the server's default is friends only.
    let alice = api.user("alice", "a1").await;
    let conv = direct(&alice.user_id, &bot);
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let (status, ack) = api.send_text(&alice, &conv, "q1", "hello bot").await;
    assert_eq!(status, 201, "{ack}");
    let (answer, before) = bot_message(&mut ws, &bot).await;
    assert_eq!(answer["body"]["text"], "echo: hello bot", "{answer}");
    assert_eq!(answer["conv"], conv.as_str());
    assert!(
        before.iter().any(|f| f["type"] == "typing" && f["user_id"] == bot.as_str() && f["conv"] == conv.as_str()),
        "no typing before the answer: {before:?}"
    );

    let asked = llm.drain();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].request_line.starts_with("POST /v1/chat/completions "), "{}", asked[0].request_line);
    assert_eq!(asked[0].header("authorization"), format!("Bearer {KEY}"));
    let req = asked[0].json();
    assert_eq!(req["model"], "fake-model-1");
    assert_eq!(req["stream"], true);
    assert!((req["temperature"].as_f64().unwrap() - 0.25).abs() < 1e-6, "{req}");
    assert_eq!(
        req["messages"],
        json!([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "hello bot"}])
    );

    // The second question carries the first exchange, in order, as user and assistant.
    let (status, _) = api.send_text(&alice, &conv, "q2", "and again").await;
    assert_eq!(status, 201);
    let (answer, _) = bot_message(&mut ws, &bot).await;
    assert_eq!(answer["body"]["text"], "echo: and again");
    let req = llm.drain().pop().unwrap().json();
    assert_eq!(
        req["messages"],
        json!([
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "hello bot"},
            {"role": "assistant", "content": "echo: hello bot"},
            {"role": "user", "content": "and again"},
        ])
    );

    // Whole (not streamed) answers, after a change.
    let (status, changed) = api
        .call("PATCH", &format!("/admin/v1/bots/{bot}"), Some(&root.access_token), Some(json!({"stream": false})))
        .await;
    assert_eq!((status, changed["stream"].as_bool()), (200, Some(false)), "{changed}");
    api.send_text(&alice, &conv, "q3", "whole please").await;
    let (answer, _) = bot_message(&mut ws, &bot).await;
    assert_eq!(answer["body"]["text"], "echo: whole please");
    assert_eq!(llm.drain().pop().unwrap().json()["stream"], false);

    // Stored in the conversation, from the bot.
    let log = api.all_messages(&alice, &conv).await;
    let from_bot: Vec<&str> =
        log.iter().filter(|m| m["sender"] == bot.as_str()).map(|m| m["body"]["text"].as_str().unwrap()).collect();
    assert_eq!(from_bot, ["echo: hello bot", "echo: and again", "echo: whole please"]);

    let (status, usage) = api
        .call("GET", &format!("/admin/v1/bots/{bot}/usage?user_id={}", alice.user_id), Some(&root.access_token), None)
        .await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(
        (usage["total"]["requests"].as_u64(), usage["user"]["requests"].as_u64()),
        (Some(3), Some(3)),
        "{usage}"
    );
    // The whole answer's reported usage (11 in, 7 out) is counted as reported.
    assert!(usage["total"]["tokens_in"].as_u64().unwrap() >= 11 && usage["total"]["tokens_out"].as_u64().unwrap() >= 7);
    assert!(metric(&srv, "tidings_bot_requests_total{outcome=\"answered\"} ").await >= 3);
    assert!(metric(&srv, "tidings_bot_tokens_out_total ").await >= 7);

    // Deleted: the account is disabled and answers no more.
    let (status, _) = api.call("DELETE", &format!("/admin/v1/bots/{bot}"), Some(&root.access_token), None).await;
    assert_eq!(status, 204);
    let (status, _) = api.call("GET", &format!("/admin/v1/bots/{bot}"), Some(&root.access_token), None).await;
    assert_eq!(status, 404);
    let (status, user) = api.call("GET", &format!("/admin/v1/users/{bot}"), Some(&root.access_token), None).await;
    assert_eq!(status, 200);
    assert!(!user["disabled_at"].is_null(), "{user}");
}

async fn model_failures_become_short_messages(backend: Backend) {
    let (srv, root, mut llm) = server(backend).await;
    let api = &srv.api;
    let bot = create_bot(api, &root, "helper", &llm, json!({"stream": false})).await;
    let alice = api.user("alice", "a1").await;
    let conv = direct(&alice.user_id, &bot);
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    for (i, (ask, say)) in
        [("fail500", SAY_ERROR), ("fail401", SAY_ERROR), ("garbage", SAY_ERROR), ("slow", SAY_TIMEOUT)]
            .iter()
            .enumerate()
    {
        let (status, _) = api.send_text(&alice, &conv, &format!("f{i}"), ask).await;
        assert_eq!(status, 201);
        let (answer, _) = bot_message(&mut ws, &bot).await;
        assert_eq!(answer["body"]["text"], *say, "{ask}");
    }
    // Streamed answers fail the same way.
    let (status, _) = api
        .call("PATCH", &format!("/admin/v1/bots/{bot}"), Some(&root.access_token), Some(json!({"stream": true})))
        .await;
    assert_eq!(status, 200);
    api.send_text(&alice, &conv, "s1", "garbage").await;
    let (answer, _) = bot_message(&mut ws, &bot).await;
    assert_eq!(answer["body"]["text"], SAY_ERROR);
    assert_eq!(llm.drain().len(), 5);
    assert!(metric(&srv, "tidings_bot_requests_total{outcome=\"error\"} ").await >= 4);
    assert!(metric(&srv, "tidings_bot_requests_total{outcome=\"timeout\"} ").await >= 1);
    let (_, usage) = api.call("GET", &format!("/admin/v1/bots/{bot}/usage"), Some(&root.access_token), None).await;
    assert_eq!((usage["total"]["requests"].as_u64(), usage["total"]["errors"].as_u64()), (Some(5), Some(5)), "{usage}");
}

async fn groups_answer_mentions_only_and_no_bot_is_answered(backend: Backend) {
    let (srv, root, mut llm) = server(backend).await;
    let api = &srv.api;
    let bot = create_bot(api, &root, "helper", &llm, json!({})).await;
    let outsider = create_bot(api, &root, "outsider", &llm, json!({})).await;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let group = create_group(api, &alice, &[&bob], json!({"members": [bob.user_id, bot]})).await;
    let conv = format!("g:{group}");
    let mut ws = WsClient::connect(&srv.ws_url(), &bob.access_token).await;

    let (status, _) = api.send_text(&alice, &conv, "g1", "no mention here").await;
    assert_eq!(status, 201);
    // A bot that may not read the group cannot be asked there: mentioning a non-member is refused
    // before anything is stored, so no bot hears of it.
    let body = json!({"client_msg_id": "g2", "kind": "text", "body": {"text": "outsider?", "mentions": [outsider]}});
    let (status, err) = api
        .call("POST", &format!("/api/v1/conversations/{conv}/messages"), Some(&alice.access_token), Some(body))
        .await;
    assert_eq!((status, err["error"]["code"].as_str()), (400, Some("invalid_field")), "{err}");
    assert!(llm.next_within(Duration::from_millis(800)).await.is_none(), "a bot was asked without a mention");

    let body = json!({"client_msg_id": "g3", "kind": "text", "body": {"text": "what is up", "mentions": [bot]}});
    let (status, ack) = api
        .call("POST", &format!("/api/v1/conversations/{conv}/messages"), Some(&alice.access_token), Some(body))
        .await;
    assert_eq!(status, 201, "{ack}");
    let (answer, _) = bot_message(&mut ws, &bot).await;
    assert_eq!(
        (answer["body"]["text"].as_str(), answer["conv"].as_str()),
        (Some("echo: what is up"), Some(conv.as_str()))
    );
    let asked = llm.drain();
    assert_eq!(asked.len(), 1, "only the mention is answered: {asked:?}");
    let lines: Vec<Value> =
        asked[0].json()["messages"].as_array().unwrap().iter().map(|l| l["content"].clone()).collect();
    assert_eq!(lines, [json!("You are terse."), json!("no mention here"), json!("what is up")]);

    // A bot writing to a bot gets no answer (no loops): the outsider, through the integration API.
    let (_, key) = api
        .call(
            "POST",
            "/admin/v1/api-keys",
            Some(&root.access_token),
            Some(json!({"name": "t", "scopes": ["messages:send"]})),
        )
        .await;
    let key = key["key"].as_str().unwrap();
    let (status, ack) = api
        .call(
            "POST",
            "/integration/v1/messages",
            Some(key),
            Some(json!({"sender": outsider, "to_user": bot, "client_msg_id": "b1", "kind": "text", "body": {"text": "hi bot"}})),
        )
        .await;
    assert_eq!(status, 201, "{ack}");
    assert!(llm.next_within(Duration::from_millis(800)).await.is_none(), "a bot answered a bot");
    let log = api.all_messages(&alice, &conv).await;
    assert_eq!(log.iter().filter(|m| m["sender"] == bot.as_str()).count(), 1, "{log:?}");
}

async fn budgets_refuse_politely(backend: Backend) {
    let (srv, root, mut llm) = server(backend).await;
    let api = &srv.api;
    let bot = create_bot(api, &root, "helper", &llm, json!({"budgets": {"user_requests_per_day": 1}})).await;
    let alice = api.user("alice", "a1").await;
    let bob = api.user("bob", "b1").await;
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    let conv = direct(&alice.user_id, &bot);
    api.send_text(&alice, &conv, "q1", "one").await;
    assert_eq!(bot_message(&mut ws, &bot).await.0["body"]["text"], "echo: one");
    api.send_text(&alice, &conv, "q2", "two").await;
    assert_eq!(bot_message(&mut ws, &bot).await.0["body"]["text"], SAY_BUDGET);
    assert_eq!(llm.drain().len(), 1, "the model was asked past the budget");

    // Another user has a budget of their own.
    let mut bws = WsClient::connect(&srv.ws_url(), &bob.access_token).await;
    api.send_text(&bob, &direct(&bob.user_id, &bot), "q1", "three").await;
    assert_eq!(bot_message(&mut bws, &bot).await.0["body"]["text"], "echo: three");

    // The bot's own budget: spent after those two requests.
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/admin/v1/bots/{bot}"),
            Some(&root.access_token),
            Some(json!({"budgets": {"requests_per_day": 2, "user_requests_per_day": 0}})),
        )
        .await;
    assert_eq!(status, 200);
    api.send_text(&bob, &direct(&bob.user_id, &bot), "q2", "four").await;
    assert_eq!(bot_message(&mut bws, &bot).await.0["body"]["text"], SAY_BUDGET);
    assert_eq!(llm.drain().len(), 1);
    let (_, usage) = api
        .call("GET", &format!("/admin/v1/bots/{bot}/usage?user_id={}", alice.user_id), Some(&root.access_token), None)
        .await;
    assert_eq!(
        (usage["total"]["requests"].as_u64(), usage["user"]["requests"].as_u64()),
        (Some(2), Some(1)),
        "{usage}"
    );
    assert_eq!(usage["budgets"]["requests_per_day"], 2, "{usage}");
    assert!(metric(&srv, "tidings_bot_requests_total{outcome=\"over_budget\"} ").await >= 2);
}

async fn the_admin_routes_check_their_input(backend: Backend) {
    let (srv, root, mut llm) = server(backend).await;
    let api = &srv.api;
    let admin = |method: &'static str, path: String, body: Option<Value>| {
        let token = root.access_token.clone();
        async move { api.call(method, &path, Some(&token), body).await }
    };
    let base = json!({"username": "helper", "base_url": llm.base_url, "model": "m"});
    for (field, bad) in [
        ("base_url", json!("ftp://x")),
        ("temperature", json!(3.0)),
        ("model", json!("")),
        ("username", json!("No Caps")),
    ] {
        let mut body = base.clone();
        body[field] = bad;
        let (status, err) = admin("POST", "/admin/v1/bots".into(), Some(body)).await;
        assert_eq!((status, err["error"]["code"].as_str()), (400, Some("invalid_field")), "{field}: {err}");
    }
    let (status, made) = admin("POST", "/admin/v1/bots".into(), Some(base.clone())).await;
    assert_eq!(
        (status, made["has_api_key"].as_bool(), made["stream"].as_bool()),
        (201, Some(false), Some(true)),
        "{made}"
    );
    let bot = made["bot_id"].as_str().unwrap().to_owned();
    let (status, err) = admin("POST", "/admin/v1/bots".into(), Some(base)).await;
    assert_eq!((status, err["error"]["code"].as_str()), (409, Some("username_taken")), "{err}");
    let (status, _) = admin("GET", "/admin/v1/bots/u_nobody".into(), None).await;
    assert_eq!(status, 404);
    let (status, _) = admin("PATCH", "/admin/v1/bots/u_nobody".into(), Some(json!({"model": "x"}))).await;
    assert_eq!(status, 404);

    // Not for users; and the bot's account is a bot that cannot log in.
    let alice = api.user("alice", "a1").await;
    let (status, _) = api.call("GET", "/admin/v1/bots", Some(&alice.access_token), None).await;
    assert_eq!(status, 403);
    let (_, user) = admin("GET", format!("/admin/v1/users/{bot}"), None).await;
    assert_eq!(user["role"], "bot", "{user}");
    let login = json!({"username": "helper", "password": "some-password", "device_id": "d1", "platform": "web"});
    let (status, _) = api.call("POST", "/api/v1/auth/login", None, Some(login)).await;
    assert_eq!(status, 401);

    // A key given later is used, and still never shown.
    let (status, changed) =
        admin("PATCH", format!("/admin/v1/bots/{bot}"), Some(json!({"api_key": "sk-later", "display_name": "Later"})))
            .await;
    assert_eq!(
        (status, changed["has_api_key"].as_bool(), changed["display_name"].as_str()),
        (200, Some(true), Some("Later"))
    );
    assert!(!changed.to_string().contains("sk-later"), "{changed}");
    let mut ws = WsClient::connect(&srv.ws_url(), &alice.access_token).await;
    api.send_text(&alice, &direct(&alice.user_id, &bot), "q1", "with a key").await;
    assert_eq!(bot_message(&mut ws, &bot).await.0["body"]["text"], "echo: with a key");
    let asked = llm.drain();
    assert_eq!(asked[0].header("authorization"), "Bearer sk-later");
    assert_eq!(
        asked[0].json()["messages"][0],
        json!({"role": "user", "content": "with a key"}),
        "no prompt, no system line"
    );
}

tidings_tests::both_modes!(
    the_admin_routes_check_their_input,
    a_bot_answers_direct_messages,
    model_failures_become_short_messages,
    groups_answer_mentions_only_and_no_bot_is_answered,
    budgets_refuse_politely
);
