//! Local search through the SDK: messages received from a real server (pushed, edited,
//! recalled, an own upload) are found in the device's store once the server is gone, and again
//! after the app restarts offline.

use serde_json::json;
use tidings_sdk::{Client, ClientConfig, ClientEvent, Highlight, LocalSearchPage, SdkError};
use tidings_tests::helpers::create_group;
use tidings_tests::{Backend, both_modes, spawn_server};

use crate::support::{App, post_text};

/// `(seq, text or file name)` of each result, newest first.
fn found(page: &LocalSearchPage) -> Vec<(u64, String)> {
    page.results
        .iter()
        .map(|h| {
            let body: serde_json::Value = serde_json::from_str(&h.message.body).unwrap();
            let text = body.get("text").or_else(|| body.get("name")).and_then(|t| t.as_str()).unwrap_or_default();
            (h.message.seq.unwrap(), text.to_owned())
        })
        .collect()
}

async fn search(client: &Client, query: &str, conv: Option<&str>, limit: Option<u32>) -> LocalSearchPage {
    client.search_local(query.into(), conv.map(str::to_owned), limit, None).await.unwrap()
}

both_modes!(messages_from_the_server_are_found_offline);
async fn messages_from_the_server_are_found_offline(backend: Backend) {
    let srv = spawn_server(backend).await;
    let api = &srv.api;
    let bob = api.user("bob", "b1").await;
    let alice = api.user("alice", "a-rest").await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(vec![format!("http://127.0.0.1:{}", srv.port())], dir.path(), "a-phone").await;
    app.login_and_connect("alice").await;
    let conv = format!("g:{}", create_group(api, &bob, &[&alice], json!({})).await);

    // Bob writes; one message he edits, one he recalls. The app receives all of it by push.
    let plan = post_text(api, &bob, &conv, "b-1", "新的部署方案已经发布").await;
    let draft = post_text(api, &bob, &conv, "b-2", "draft checklist").await;
    let secret = post_text(api, &bob, &conv, "b-3", "secret deployment date").await;
    let review = post_text(api, &bob, &conv, "b-4", "部署方案 review tomorrow").await;
    for text in ["新的部署方案已经发布", "draft checklist", "secret deployment date", "部署方案 review tomorrow"]
    {
        app.new_text(text).await;
    }
    let path = format!("/api/v1/conversations/{conv}/messages/{draft}/edit");
    let body = json!({"body": {"text": "final checklist: Deployment v2"}});
    let (status, ack) = api.call("POST", &path, Some(&bob.access_token), Some(body)).await;
    assert_eq!(status, 201, "{ack}");
    app.wait("the edit", |e| matches!(e, ClientEvent::Edited { seq, .. } if *seq == draft)).await;
    let path = format!("/api/v1/conversations/{conv}/messages/{secret}/recall");
    let (status, ack) = api.call("POST", &path, Some(&bob.access_token), None).await;
    assert_eq!(status, 201, "{ack}");
    app.wait("the recall", |e| matches!(e, ClientEvent::Recalled { seq, .. } if *seq == secret)).await;
    // The app sends a file of its own.
    let up = app
        .client
        .upload_media("file".into(), "text/plain".into(), b"q3".to_vec(), Some("季度报告 Q3.txt".into()))
        .await
        .unwrap();
    let file = app.client.send_media(conv.clone(), up, None).await.unwrap();
    let file = app.sent(&file.client_msg_id).await;

    // The server goes away; the store answers, and again after the app restarts.
    app.client.disconnect().await;
    srv.stop().await;
    let seqs = Seqs { plan, draft, review, file };
    finds_offline(&app.client, &conv, &seqs).await;
    app.client.shutdown().await;
    let config = ClientConfig::new(
        vec!["http://127.0.0.1:9".to_owned()],
        dir.path().to_string_lossy().into_owned(),
        "a-phone".into(),
        "desktop".into(),
    );
    let restarted = Client::new(config).await.unwrap();
    finds_offline(&restarted, &conv, &seqs).await;
    restarted.shutdown().await;
}

/// The seqs of the story's messages that search should find.
struct Seqs {
    plan: u64,
    draft: u64,
    review: u64,
    file: u64,
}

/// What the story left in the store, found with no server to ask.
async fn finds_offline(client: &Client, conv: &str, s: &Seqs) {
    let hits = search(client, "部署方案", None, None).await;
    let plan = (s.plan, "新的部署方案已经发布".to_owned());
    assert_eq!(found(&hits), [(s.review, "部署方案 review tomorrow".to_owned()), plan.clone()]);
    assert_eq!(hits.results[1].highlights, [Highlight { start: 2, end: 6 }]);
    assert_eq!(hits.results[1].snippet, "新的部署方案已经发布");
    let deploy = search(client, "deploy", Some(conv), None).await;
    assert_eq!(found(&deploy), [(s.draft, "final checklist: Deployment v2".to_owned())], "the recalled one is gone");
    assert!(deploy.results[0].message.edited_at.is_some());
    assert!(search(client, "draft", None, None).await.results.is_empty(), "the text before the edit");
    assert!(search(client, "secret", None, None).await.results.is_empty());
    assert_eq!(found(&search(client, "报告", None, None).await), [(s.file, "季度报告 Q3.txt".to_owned())]);
    assert!(search(client, "报告 OR 部署方案", None, None).await.results.is_empty(), "OR is a word");
    // A page at a time, newest first.
    let first = search(client, "部署方案", Some(conv), Some(1)).await;
    let cursor = first.next_cursor.clone();
    assert!(cursor.is_some());
    let second = client.search_local("部署方案".into(), Some(conv.to_owned()), Some(1), cursor).await.unwrap();
    assert_eq!((found(&first)[0].0, found(&second), second.next_cursor), (s.review, vec![plan], None));
    match client.search_local("  !! ".into(), None, None, None).await {
        Err(SdkError::InvalidQuery { message }) => assert!(message.contains("nothing"), "{message}"),
        other => panic!("an empty query: {other:?}"),
    }
}
