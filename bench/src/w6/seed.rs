//! W6's seeding: the users register and connect, every conversation gets its messages through
//! the gateway (each user's socket keeps a window of unacknowledged sends, message `k` of every
//! conversation before message `k + 1` of any, the two members taking turns), and a last marker
//! message tells the query phase when the index has caught up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::time::Instant as Deadline;
use tokio_tungstenite::tungstenite::Message;

use super::W6Params;
use super::corpus;
use crate::client::{self, Device};

/// What seeding left for the query phase.
pub(super) struct Seeded {
    pub(super) searcher_token: String,
    /// A word found only in the last message sent.
    pub(super) last_marker: String,
    pub(super) acked: u64,
    pub(super) refused: u64,
    pub(super) seconds: f64,
}

/// One send: conversation, global message number, whether the searcher is in it.
type Send = (Arc<str>, u64, bool);

/// Users 0 (the searcher) and 1..=searcher_convs; conversations: the searcher with each of the
/// others, then the others pairwise. Each conversation as `(a, b, mine)`.
fn conversations(p: &W6Params) -> anyhow::Result<Vec<(usize, usize, bool)>> {
    let peers = p.searcher_convs.max(2);
    let mut convs: Vec<(usize, usize, bool)> = (1..=peers).map(|i| (0, i, true)).collect();
    'pairs: for i in 1..=peers {
        for j in i + 1..=peers {
            if convs.len() >= p.conversations {
                break 'pairs;
            }
            convs.push((i, j, false));
        }
    }
    anyhow::ensure!(convs.len() >= p.conversations, "{peers} peers make too few conversations");
    Ok(convs)
}

pub(super) async fn seed(p: &W6Params, deadline: Deadline) -> anyhow::Result<Seeded> {
    let convs = conversations(p)?;
    let users = 1 + p.searcher_convs.max(2);
    let base = p.servers.first().ok_or_else(|| anyhow!("no server"))?;
    let devices = client::devices(base, &p.prefix, users, 1, 32).await.context("logins")?;
    let per_conv = (p.messages / p.conversations.max(1)).max(1) as u64;
    let mut sends: Vec<Vec<Send>> = vec![Vec::new(); users];
    for k in 0..per_conv {
        for (c, &(a, b, mine)) in convs.iter().enumerate() {
            let conv: Arc<str> = client::direct(&devices[a].user_id, &devices[b].user_id).into();
            let sender = if k % 2 == 0 { a } else { b };
            sends[sender].push((conv, c as u64 * per_conv + k, mine));
        }
    }
    let (acked, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut sockets = Vec::with_capacity(users);
    for (i, d) in devices.iter().enumerate() {
        let server = &p.servers[i % p.servers.len()];
        sockets.push(client::connect(server, &d.token, u8::try_from(1 + i % 200).unwrap_or(1)).await?);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (ws, list) in sockets.into_iter().zip(sends) {
        let (acked, refused) = (acked.clone(), refused.clone());
        tasks.push(tokio::spawn(send_all(ws, list, p.window.max(1), deadline, acked, refused)));
    }
    for t in tasks {
        t.await??;
    }
    let seconds = start.elapsed().as_secs_f64();
    let last_marker = format!("{}end", p.prefix);
    mark_last(base, &devices, &convs, &last_marker).await?;
    Ok(Seeded {
        searcher_token: devices[0].token.clone(),
        last_marker,
        acked: acked.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        seconds,
    })
}

/// Sends `list` over `ws` with at most `window` unanswered, then waits for the last answers.
async fn send_all(
    ws: client::Ws,
    list: Vec<Send>,
    window: usize,
    deadline: Deadline,
    acked: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let (mut write, mut read) = ws.split();
    let permits = Arc::new(Semaphore::new(window));
    let expected = list.len() as u64;
    let reader_permits = permits.clone();
    let reader = tokio::spawn(async move {
        let mut answered = 0u64;
        while answered < expected {
            let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, read.next()).await else { break };
            let Message::Text(text) = msg else { continue };
            // Pushes of the peers' messages pass by; only answers to this socket's sends count.
            if text.contains("\"type\":\"ack\"") {
                acked.fetch_add(1, Ordering::Relaxed);
            } else if text.contains("\"type\":\"error\"") {
                refused.fetch_add(1, Ordering::Relaxed);
            } else {
                continue;
            }
            answered += 1;
            reader_permits.add_permits(1);
        }
        // The socket closed or the deadline passed: the sender stops instead of waiting for
        // answers that cannot come.
        reader_permits.close();
        read
    });
    for (conv, n, mine) in list {
        let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, permits.acquire()).await else { break };
        permit.forget();
        let frame = json!({"type": "send", "id": n.to_string(), "conv": &*conv, "client_msg_id": format!("w{n}"),
                           "kind": "text", "body": {"text": corpus::message(n, mine)}});
        write.send(Message::text(frame.to_string())).await?;
    }
    // Dropped together, the halves close the connection.
    let _read = reader.await?;
    Ok(())
}

/// The searcher sends the marker into their first conversation, after everything else.
async fn mark_last(base: &str, devices: &[Device], convs: &[(usize, usize, bool)], marker: &str) -> anyhow::Result<()> {
    let (a, b, _) = convs[0];
    let conv = client::direct(&devices[a].user_id, &devices[b].user_id);
    let body = json!({"client_msg_id": marker, "kind": "text", "body": {"text": format!("{marker} done")}});
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/conversations/{conv}/messages"))
        .bearer_auth(&devices[0].token)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(resp.status().is_success(), "marker: {}", resp.status());
    Ok(())
}
