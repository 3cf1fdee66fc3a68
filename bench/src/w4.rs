//! W4, reconnect storm: N clients are offline while K messages each arrive, then all reconnect
//! at once and sync. Measures the time until every client has caught up, and checks each got
//! exactly its K messages, in order.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::client::{self, Device};
use crate::stats;

/// What to run.
#[derive(Debug, Clone)]
pub struct W4Params {
    /// Servers; reconnecting clients are spread over them.
    pub servers: Vec<String>,
    /// Clients that were offline.
    pub clients: usize,
    /// Messages waiting for each.
    pub messages: usize,
    /// Sending users (each writes to `clients / senders` of the offline clients).
    pub senders: usize,
    /// Clients reconnecting at once.
    pub parallel: usize,
    /// Hard limit for the whole run.
    pub timeout: Duration,
    /// Usernames start with this.
    pub prefix: String,
}

/// Results.
#[derive(Debug, Clone, Serialize)]
pub struct W4Report {
    /// Always "w4".
    pub workload: &'static str,
    /// Offline clients.
    pub clients: usize,
    /// Messages waiting for each.
    pub messages_each: usize,
    /// Time to send (and persist) all waiting messages.
    pub fill_s: f64,
    /// From the first reconnect to the last client caught up.
    pub catch_up_s: f64,
    /// Clients that got all their messages, in order, once.
    pub caught_up: usize,
    /// Clients that did not (timeout, error, wrong content).
    pub incomplete: usize,
    /// The load generator's CPU use during the storm (100 = one core).
    pub client_cpu_pct: f64,
}

/// Runs W4.
pub async fn run(p: W4Params) -> anyhow::Result<W4Report> {
    for s in &p.servers {
        crate::check_loopback(s)?;
    }
    anyhow::ensure!(!p.servers.is_empty() && p.clients > 0 && p.messages > 0, "need servers, clients and messages");
    let senders = p.senders.clamp(1, p.clients);
    let receivers = client::devices(&p.servers[0], &format!("{}r", p.prefix), p.clients, 1, 64).await?;
    let writers = client::devices(&p.servers[0], &format!("{}s", p.prefix), senders, 1, 64).await?;
    let deadline = tokio::time::Instant::now() + p.timeout;
    let writer_ids: Vec<String> = writers.iter().map(|w| w.user_id.clone()).collect();

    // Fill: each sender writes `messages` to each of its receivers, 64 sends in flight.
    let fill_start = Instant::now();
    let mut fills = Vec::new();
    for (j, w) in writers.into_iter().enumerate() {
        let targets: Vec<Device> = receivers.iter().skip(j).step_by(senders).cloned().collect();
        let server = p.servers[j % p.servers.len()].clone();
        let messages = p.messages;
        fills.push(tokio::spawn(async move { fill(&server, &w, &targets, messages, deadline).await }));
    }
    for f in fills {
        f.await??;
    }
    let fill_s = fill_start.elapsed().as_secs_f64();

    // Storm: everyone reconnects and syncs their conversation from the start.
    let cpu_start = stats::own_cpu_secs();
    let start = Instant::now();
    let results: Vec<bool> = futures_util::stream::iter(receivers.into_iter().enumerate())
        .map(|(i, r)| {
            let server = p.servers[i % p.servers.len()].clone();
            let conv = client::direct(&r.user_id, &writer_ids[i % senders]);
            let messages = p.messages;
            async move { catch_up(&server, &r, &conv, messages, i, deadline).await.unwrap_or(false) }
        })
        .buffer_unordered(p.parallel.max(1))
        .collect()
        .await;
    let catch_up_s = start.elapsed().as_secs_f64().max(1e-9);
    let caught_up = results.iter().filter(|ok| **ok).count();
    Ok(W4Report {
        workload: "w4",
        clients: p.clients,
        messages_each: p.messages,
        fill_s,
        catch_up_s,
        caught_up,
        incomplete: p.clients - caught_up,
        client_cpu_pct: 100.0 * (stats::own_cpu_secs() - cpu_start) / catch_up_s,
    })
}

/// Most times one message of the fill is sent again after an `error` (`busy`, as a client would
/// retry it with the same `client_msg_id`).
const FILL_RETRIES: u32 = 5;

async fn fill(
    server: &str,
    writer: &Device,
    targets: &[Device],
    messages: usize,
    deadline: tokio::time::Instant,
) -> anyhow::Result<()> {
    let ws = client::connect(server, &writer.token, 1).await?;
    let (mut write, mut read) = ws.split();
    let total = targets.len() * messages;
    let mut sent = 0usize;
    let mut acked = 0usize;
    // Frames waiting for their ack, by request id, with how often each was sent again.
    let mut unacked: std::collections::HashMap<String, (String, u32)> = std::collections::HashMap::new();
    let mut pending = targets.iter().flat_map(|t| (0..messages).map(move |k| (t, k)));
    while acked < total {
        while sent < total && sent - acked < 64 {
            let Some((target, k)) = pending.next() else { break };
            let conv = client::direct(&writer.user_id, &target.user_id);
            let id = sent.to_string();
            let frame = json!({"type": "send", "id": id, "conv": conv,
                               "client_msg_id": format!("{}-{k}", target.user_id), "kind": "custom", "body": {"k": k}})
            .to_string();
            write.send(Message::text(frame.clone())).await?;
            unacked.insert(id, (frame, 0));
            sent += 1;
        }
        let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, read.next()).await else {
            anyhow::bail!("fill stalled at {acked}/{total} acks");
        };
        let Message::Text(t) = msg else { continue };
        let Ok(frame) = serde_json::from_str::<Value>(t.as_str()) else { continue };
        let id = frame["id"].as_str().unwrap_or_default();
        match frame["type"].as_str() {
            Some("ack") if unacked.remove(id).is_some() => acked += 1,
            Some("error") => {
                let code = frame["code"].as_str().unwrap_or("?").to_owned();
                let Some((again, tries)) = unacked.get_mut(id) else { continue };
                *tries += 1;
                if *tries > FILL_RETRIES {
                    anyhow::bail!("fill: a send was refused {FILL_RETRIES} times in a row ({code})");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                write.send(Message::text(again.clone())).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reconnects one client and syncs its conversation; true when it got exactly `messages`
/// messages, with seqs 1..=messages in order.
async fn catch_up(
    server: &str,
    who: &Device,
    conv: &str,
    messages: usize,
    i: usize,
    deadline: tokio::time::Instant,
) -> anyhow::Result<bool> {
    let ws = client::connect(server, &who.token, u8::try_from(1 + i % 200).unwrap_or(1)).await?;
    let (mut write, mut read) = ws.split();
    let mut seqs: Vec<u64> = Vec::with_capacity(messages);
    let mut cursor = 0u64;
    loop {
        let frame = json!({"type": "sync", "id": "s", "conv": conv, "after_seq": cursor, "limit": 200});
        write.send(Message::text(frame.to_string())).await?;
        let page = loop {
            let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, read.next()).await else { return Ok(false) };
            let Message::Text(t) = msg else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
            if v["type"] == "sync_result" {
                break v;
            }
        };
        for m in page["messages"].as_array().into_iter().flatten() {
            seqs.push(m["seq"].as_u64().unwrap_or(0));
        }
        cursor = seqs.last().copied().unwrap_or(cursor);
        if !page["has_more"].as_bool().unwrap_or(false) {
            break;
        }
    }
    let _ = write.close().await;
    Ok(seqs == (1..=messages as u64).collect::<Vec<u64>>())
}
