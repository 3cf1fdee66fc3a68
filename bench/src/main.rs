//! The `tidings-bench` command: run one workload against running servers and print one JSON
//! line of results, then a readable summary.

// A command-line tool: printing results is its job.
#![allow(clippy::print_stdout)]

use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tidings_bench::{stats, w1, w2, w3, w4, w5, w6, w7, w8};

/// mimalloc, as the server has: a held W1 connection cost the load generator 5.2 KB with it,
/// 5.7 KB with glibc's malloc (10,000 connections, 2026-12-07).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "tidings-bench", about = "Load generator for Tidings (loopback targets only)")]
struct Cli {
    /// Server base URLs, comma-separated (http://127.0.0.1:8080,...).
    #[arg(long, default_value = "http://127.0.0.1:8080", value_delimiter = ',', global = true)]
    servers: Vec<String>,
    /// Hard time limit for the run, seconds.
    #[arg(long, default_value_t = 120, global = true)]
    timeout: u64,
    /// Server pids, comma-separated: W1 reads their memory; W2, W3 and W5 report their CPU share
    /// and busiest thread (default: every local process named `tidings`).
    #[arg(long, value_delimiter = ',', global = true)]
    server_pids: Vec<u32>,
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// Idle authenticated connections; server memory per connection; optionally deliveries to
    /// random connected users while they are held.
    W1(w1::W1Args),
    /// One-to-one throughput and latency, with loss/duplicate/order checks.
    W2 {
        /// Sender/receiver pairs.
        #[arg(long, default_value_t = 50)]
        pairs: usize,
        /// Messages per sender.
        #[arg(long, default_value_t = 1000)]
        messages: usize,
        /// Unacknowledged sends per sender (windowed mode).
        #[arg(long, default_value_t = 32)]
        window: usize,
        /// Total messages per second; 0 = windowed, as fast as acks allow.
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Percent of messages their sender edits once acked (sent as text; not counted as
        /// messages).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100))]
        edit_pct: u64,
        /// Percent of messages their receiver reacts to once received (not counted as messages).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100))]
        react_pct: u64,
        /// Send every message as `text` with words in English and Chinese after its stamp (what
        /// search indexes), instead of `custom`.
        #[arg(long)]
        text: bool,
    },
    /// Group fan-out: one group, all members online, some of them sending.
    W3 {
        /// Group members (the server's `groups.max_members` must allow them).
        #[arg(long, default_value_t = 1000)]
        members: usize,
        /// Members who send.
        #[arg(long, default_value_t = 10)]
        senders: usize,
        /// Messages per sender.
        #[arg(long, default_value_t = 100)]
        messages: usize,
        /// Unacknowledged sends per sender.
        #[arg(long, default_value_t = 8)]
        window: usize,
    },
    /// A day in compressed time: mostly idle users, direct and group messages with bursts,
    /// reads and recalls.
    W5 {
        /// Connected users (one device each).
        #[arg(long, default_value_t = 2000)]
        users: usize,
        /// Group sizes, comma-separated (the server's `groups.max_members` must allow the largest).
        #[arg(long, value_delimiter = ',', default_value = "500,200,100,50,50,20,20,20,10,10,10,10,5,5,5,5")]
        groups: Vec<usize>,
        /// Seconds the day lasts.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Messages per second outside bursts.
        #[arg(long, default_value_t = 500)]
        rate: u64,
        /// A one-second burst every this many seconds (0: none).
        #[arg(long, default_value_t = 10)]
        burst_every: u64,
        /// The burst's multiple of the rate.
        #[arg(long, default_value_t = 5)]
        burst_factor: u64,
        /// Percent of received messages marked read.
        #[arg(long, default_value_t = 20)]
        read_pct: u64,
        /// Percent of acked sends recalled by their sender.
        #[arg(long, default_value_t = 2)]
        recall_pct: u64,
    },
    /// Search at size: a large mixed Chinese and English log, then one user's searches.
    W6 {
        /// Direct conversations.
        #[arg(long, default_value_t = 10_000)]
        conversations: usize,
        /// Messages in all.
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        /// Conversations the searcher is in.
        #[arg(long, default_value_t = 200)]
        searcher_convs: usize,
        /// Unacknowledged sends per connection while seeding.
        #[arg(long, default_value_t = 16)]
        window: usize,
        /// Times each query is asked.
        #[arg(long, default_value_t = 50)]
        rounds: usize,
    },
    /// Offline push fan-out: a group whose members are all offline with push tokens; pushes/s at
    /// `tidings-fake-push` and the sender's ack latency.
    W7 {
        /// Group members (the server's `groups.max_members` must allow them).
        #[arg(long, default_value_t = 1000)]
        members: usize,
        /// Messages the one sender sends.
        #[arg(long, default_value_t = 50)]
        messages: usize,
        /// Unacknowledged sends.
        #[arg(long, default_value_t = 8)]
        window: usize,
        /// Messages per second; 0 = windowed.
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// `tidings-fake-push`'s stats URL (empty: push is off, measure the send path only).
        #[arg(long, default_value = "")]
        stats_url: String,
    },
    /// Placement: devices reconnect through `GET /api/v1/discovery`, twice; the spread over the
    /// instances and how many come back to the same one.
    W8 {
        /// Devices (one per user).
        #[arg(long, default_value_t = 1000)]
        devices: usize,
        /// Devices connecting at once.
        #[arg(long, default_value_t = 1)]
        parallel: usize,
    },
    /// A before-send hook on 127.0.0.1 that allows everything, until --timeout (for W2 with a
    /// hook: `hooks.before_send_url`).
    Hook {
        /// Port to listen on.
        #[arg(long, default_value_t = 18090)]
        port: u16,
    },
    /// Posts a word list of this many generated words through the admin API (for W2 with the
    /// filter on).
    SeedFilter {
        /// Words in the list.
        #[arg(long, default_value_t = 50_000)]
        words: usize,
        /// What the list does: reject, mask or flag.
        #[arg(long, default_value = "mask")]
        action: String,
        /// The administrator's username.
        #[arg(long, default_value = "bench-admin")]
        admin: String,
        /// Their password.
        #[arg(long, default_value = "bench-admin-password")]
        password: String,
    },
    /// Reconnect storm: offline clients with waiting messages all reconnect and sync.
    W4 {
        /// Offline clients.
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Messages waiting for each.
        #[arg(long, default_value_t = 50)]
        messages: usize,
        /// Users sending the waiting messages.
        #[arg(long, default_value_t = 50)]
        senders: usize,
        /// Clients reconnecting at once.
        #[arg(long, default_value_t = 512)]
        parallel: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Unique per run and per process, so several generators can share one cluster.
    let prefix = format!(
        "b{}p{}x",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() % 1_000_000,
        std::process::id() % 100_000
    );
    let timeout = Duration::from_secs(cli.timeout);
    let run = async {
        match cli.workload {
            Workload::Hook { port } => tidings_bench::content::serve_hook(port, timeout).await?,
            Workload::SeedFilter { words, action, admin, password } => {
                let server = cli.servers.first().context("no server")?;
                tidings_bench::content::seed_filter(server, &admin, &password, words, &action).await?;
                println!("posted a {action} list of {words} words");
            }
            Workload::W1(args) => {
                let r = w1::run(args.params(cli.servers.clone(), cli.server_pids.clone(), prefix, timeout)).await?;
                println!("{}", serde_json::to_string(&r)?);
                println!("{}", r.summary());
            }
            Workload::W6 { conversations, messages, searcher_convs, window, rounds } => {
                let r = w6::run(w6::W6Params {
                    servers: cli.servers.clone(),
                    conversations,
                    messages,
                    searcher_convs,
                    window,
                    rounds,
                    timeout,
                    prefix,
                    server_pids: cli.server_pids.clone(),
                })
                .await?;
                println!("{}", serde_json::to_string(&r)?);
                println!(
                    "W6: {} messages acked ({} refused) in {} conversations in {:.1}s ({:.0} msgs/s; {}); index caught up {:.1}s after the last ack",
                    r.acked,
                    r.refused,
                    r.conversations,
                    r.seed_s,
                    r.seed_msgs_per_s,
                    r.seed_cpu.summary(),
                    r.index_lag_s
                );
                for q in &r.queries {
                    println!("  {:<24} first page {:>2}: {}", q.q, q.first_page, q.latency);
                }
                println!(
                    "W6 search, a user in {} conversations, {} queries: {}; load generator CPU {:.0}%; {}",
                    r.searcher_convs,
                    r.queries.len() * rounds.max(1),
                    r.latency,
                    r.client_cpu_pct,
                    r.query_cpu.summary()
                );
            }
            Workload::W4 { clients, messages, senders, parallel } => {
                let r = w4::run(w4::W4Params {
                    servers: cli.servers.clone(),
                    clients,
                    messages,
                    senders,
                    parallel,
                    timeout,
                    prefix,
                })
                .await?;
                println!("{}", serde_json::to_string(&r)?);
                println!(
                    "W4: {} clients x {} waiting messages (filled in {:.1}s); all reconnected and caught up in {:.2}s: {} complete, {} incomplete; load generator CPU {:.0}%",
                    r.clients, r.messages_each, r.fill_s, r.catch_up_s, r.caught_up, r.incomplete, r.client_cpu_pct
                );
            }
            Workload::W5 { users, groups, seconds, rate, burst_every, burst_factor, read_pct, recall_pct } => {
                let r = w5::run(w5::W5Params {
                    servers: cli.servers.clone(),
                    users,
                    group_sizes: groups,
                    duration: Duration::from_secs(seconds),
                    rate,
                    burst_every: Duration::from_secs(burst_every),
                    burst_factor,
                    read_pct,
                    recall_pct,
                    timeout,
                    prefix,
                    server_pids: cli.server_pids.clone(),
                })
                .await?;
                println!("{}", serde_json::to_string(&r)?);
                println!(
                    "W5: {} users, {} groups; {} sent, {} acked ({} to groups) = {:.0} msgs/s; {} of {} deliveries = {:.0}/s; {}; {} reads, {} recalls ({} acked), {} errors; {}",
                    r.users,
                    r.group_sizes.len(),
                    r.sent,
                    r.acked,
                    r.acked_group,
                    r.messages_per_s,
                    r.delivered,
                    r.expected,
                    r.deliveries_per_s,
                    r.latency,
                    r.reads,
                    r.recalls,
                    r.recalls_acked,
                    r.errors,
                    stats::integrity_and_cpu(r.lost, r.duplicated, r.reordered, r.client_cpu_pct, &r.cpu.summary())
                );
            }
            Workload::W7 { members, messages, window, rate, stats_url } => {
                let r = w7::run(w7::W7Params {
                    server: cli.servers.first().cloned().unwrap_or_default(),
                    stats_url,
                    members,
                    messages,
                    window,
                    rate,
                    timeout,
                    prefix,
                    server_pids: cli.server_pids.clone(),
                })
                .await?;
                println!("{}", serde_json::to_string(&r)?);
                println!(
                    "W7: group of {}, {} acked; {} of {} pushes in {:.2}s = {:.0} pushes/s; ack {}; client cpu {:.0}%; {}",
                    r.members,
                    r.acked,
                    r.pushes,
                    r.expected_pushes,
                    r.elapsed_s,
                    r.pushes_per_s,
                    r.ack_latency,
                    r.client_cpu_pct,
                    r.cpu.summary()
                );
            }
            Workload::W8 { devices, parallel } => {
                let server = cli.servers.first().cloned().unwrap_or_default();
                let r = w8::run(w8::W8Params { server, devices, parallel, prefix, timeout }).await?;
                println!("{}", serde_json::to_string(&r)?);
                println!(
                    "W8: {} devices, {} at once, placed in {:.2}s: {:?}; worst deviation from even {:.1}%; \
                     same instance on reconnect {:.1}%; discovery {}",
                    r.devices,
                    r.parallel,
                    r.wave_s,
                    r.per_instance,
                    r.worst_deviation * 100.0,
                    r.same_home * 100.0,
                    r.discovery
                );
            }
            Workload::W3 { members, senders, messages, window } => {
                let r = w3::run(w3::W3Params {
                    servers: cli.servers.clone(),
                    members,
                    senders,
                    messages,
                    window,
                    timeout,
                    prefix,
                    server_pids: cli.server_pids.clone(),
                })
                .await?;
                println!("{}", serde_json::to_string(&r)?);
                println!(
                    "W3: group of {}, {} senders, {} acked; {} of {} deliveries in {:.2}s = {:.0} deliveries/s; {}; {}",
                    r.members,
                    r.senders,
                    r.acked,
                    r.delivered,
                    r.expected,
                    r.elapsed_s,
                    r.deliveries_per_s,
                    r.latency,
                    stats::integrity_and_cpu(r.lost, r.duplicated, r.reordered, r.client_cpu_pct, &r.cpu.summary())
                );
            }
            Workload::W2 { pairs, messages, window, rate, edit_pct, react_pct, text } => {
                let r = w2::run(w2::W2Params {
                    servers: cli.servers.clone(),
                    pairs,
                    messages,
                    window,
                    rate,
                    timeout,
                    prefix,
                    server_pids: cli.server_pids.clone(),
                    edit_pct,
                    react_pct,
                    text,
                })
                .await?;
                println!("{}", serde_json::to_string(&r)?);
                println!(
                    "W2: {} pairs (connected in {:.1}s), {} sent, {} acked, {} refused, {} delivered in {:.2}s = {:.0} msgs/s; {}; {}",
                    r.pairs,
                    r.connect_s,
                    r.sent,
                    r.acked,
                    r.refused,
                    r.delivered,
                    r.elapsed_s,
                    r.delivered_per_s,
                    r.latency,
                    stats::integrity_and_cpu(r.lost, r.duplicated, r.reordered, r.client_cpu_pct, &r.cpu.summary())
                );
                let mut actions = Vec::new();
                if r.edit_pct > 0 {
                    actions.push(format!("edits of {}% of messages: {}", r.edit_pct, r.edits));
                }
                if r.react_pct > 0 {
                    actions.push(format!("reactions to {}%: {}", r.react_pct, r.reactions));
                }
                if !actions.is_empty() {
                    println!("W2 actions (in none of the figures above): {}", actions.join("; "));
                }
                println!(
                    "by second sent (delivered/over 20 ms/over 50 ms/max ms): {}",
                    w2::by_second_summary(&r.by_second)
                );
                if !r.send_lag_by_second.is_empty() {
                    println!(
                        "sender lag by second (sends/over 20 ms/over 50 ms/max ms): {}",
                        w2::by_second_summary(&r.send_lag_by_second)
                    );
                }
            }
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(timeout + Duration::from_secs(30), run)
        .await
        .map_err(|_| anyhow::anyhow!("run exceeded its time limit"))?
}
