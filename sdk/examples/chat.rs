//! A terminal chat on the SDK, for trying Tidings against a local server:
//!
//! ```sh
//! cargo run --release &                                   # the server, on 127.0.0.1:8080
//! cargo run -p tidings-sdk --example chat -- --user alice --password wonderland --register
//! cargo run -p tidings-sdk --example chat -- --user bob --password builder-bob --register --to alice-user-id
//! ```
//!
//! Lines you type go to the current peer; `/help` lists the commands.

// A terminal program: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use std::sync::{Arc, Mutex};

use clap::Parser;
use tidings_sdk::{Client, ClientConfig, ClientEvent, ClientListener, ConnectionState, MessageStatus, SdkError};
use tokio::sync::mpsc;

/// Chat with another Tidings user from the terminal.
#[derive(Parser)]
struct Args {
    /// Server base URL; repeat for a cluster (tried in order).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: Vec<String>,
    /// Your username.
    #[arg(long)]
    user: String,
    /// Your password (8+ characters).
    #[arg(long)]
    password: String,
    /// Create the account first (an existing one is fine).
    #[arg(long)]
    register: bool,
    /// Who to talk to: a user id (`u_…`) or a group conversation (`g:…`).
    #[arg(long)]
    to: Option<String>,
    /// Where the SDK keeps its store (default `./tidings-chat/<user>`).
    #[arg(long)]
    data: Option<String>,
}

/// Prints what happens while you type, and remembers where the last message came from.
struct Printer {
    last_conv: Arc<Mutex<Option<String>>>,
}

impl ClientListener for Printer {
    fn on_event(&self, event: ClientEvent) {
        match event {
            ClientEvent::NewMessage { message } => {
                if let Ok(mut last) = self.last_conv.lock() {
                    *last = Some(message.conv.clone());
                }
                let text = message.text().unwrap_or_else(|| format!("[{}] {}", message.kind, message.body));
                println!("<< {} #{}  {}: {text}", message.conv, message.seq.unwrap_or(0), message.sender);
            }
            ClientEvent::MessageStatusChanged { status: MessageStatus::Sent, seq, .. } => {
                println!("   sent (#{})", seq.unwrap_or(0));
            }
            ClientEvent::MessageStatusChanged { status: MessageStatus::Failed, reason, .. } => {
                println!("   FAILED: {}", reason.unwrap_or_default());
            }
            ClientEvent::Recalled { conv, seq, by } => println!("   {by} recalled #{seq} in {conv}"),
            ClientEvent::ReadReceipt { user_id, seq, .. } => println!("   {user_id} read up to #{seq}"),
            ClientEvent::Connection { state } => match state {
                ConnectionState::Connected { server } => println!("-- connected to {server}"),
                ConnectionState::Disconnected { reason } if reason == "stopped" => println!("-- disconnected"),
                ConnectionState::Disconnected { reason } => println!("-- disconnected: {reason} (retrying)"),
                ConnectionState::Kicked { reason } => println!("-- logged out by the server: {reason}"),
                ConnectionState::TokenExpired => println!("-- session expired: restart to log in"),
                ConnectionState::Connecting { .. } => {}
            },
            ClientEvent::TotalUnreadChanged { total } => println!("   ({total} unread)"),
            _ => {}
        }
    }
}

const HELP: &str = "\
/to <user_id | g:group>   talk to someone (a direct chat) or in a group
/list                     conversations with unread counts
/history                  the last 20 messages here
/read                     mark this conversation read
/recall <seq>             recall one of your messages
/friends | /requests      friends, incoming friend requests
/add <user_id>            ask someone to be friends; /accept <request_id>
/groups                   your groups; /group <name> <user_id>... creates one
/me | /quit";

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), SdkError> {
    let data = args.data.clone().unwrap_or_else(|| format!("./tidings-chat/{}", args.user));
    let device = format!("chat-cli-{}", args.user);
    let client = Client::new(ClientConfig::new(args.server.clone(), data, device, "desktop".into())).await?;
    if args.register {
        match client.register(args.user.clone(), args.password.clone(), None).await {
            Ok(id) => println!("-- registered {} as {id}", args.user),
            Err(e) if e.code() == Some("username_taken") => {}
            Err(e) => return Err(e),
        }
    }
    let me = client.login(args.user.clone(), args.password.clone()).await?;
    println!("-- you are {} ({me}); /help for commands", args.user);
    let last_conv = Arc::new(Mutex::new(None));
    client.add_listener(Arc::new(Printer { last_conv: last_conv.clone() }));
    client.connect().await?;

    let mut conv = match &args.to {
        Some(to) => Some(target(&client, to)?),
        None => None,
    };
    if conv.is_none() {
        println!("-- pick someone with /to <user_id>, or wait: you answer whoever writes to you first");
    }
    let mut lines = stdin_lines();
    while let Some(line) = lines.recv().await {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if conv.is_none() {
            conv = last_conv.lock().ok().and_then(|c| c.clone());
        }
        if let Err(e) = command(&client, &mut conv, line).await {
            if matches!(e, SdkError::Shutdown) {
                break;
            }
            println!("!! {e}");
        }
    }
    client.shutdown().await;
    Ok(())
}

fn target(client: &Client, to: &str) -> Result<String, SdkError> {
    if to.starts_with("g:") || to.starts_with("d:") {
        Ok(to.to_owned())
    } else {
        client.direct_conversation(to.to_owned())
    }
}

async fn command(client: &Arc<Client>, conv: &mut Option<String>, line: &str) -> Result<(), SdkError> {
    let mut words = line.split_whitespace();
    let (cmd, rest): (&str, Vec<&str>) = match words.next() {
        Some(w) if w.starts_with('/') => (w, words.collect()),
        _ => ("", Vec::new()),
    };
    let arg = |i: usize| {
        rest.get(i)
            .map(|s| (*s).to_owned())
            .ok_or(SdkError::InvalidInput { message: format!("{cmd} needs an argument") })
    };
    match cmd {
        "" => {
            let Some(c) = conv.clone() else {
                return Err(SdkError::InvalidInput { message: "no peer: /to <user_id>".into() });
            };
            client.send_text(c, line.to_owned()).await?;
        }
        "/help" => println!("{HELP}"),
        "/quit" => return Err(SdkError::Shutdown),
        "/me" => println!("{}", client.user_id().unwrap_or_default()),
        "/to" => {
            let c = target(client, &arg(0)?)?;
            println!("-- now talking in {c}");
            *conv = Some(c);
        }
        "/list" => {
            for c in client.conversations().await? {
                let last = c.last_message.and_then(|m| m.text()).unwrap_or_default();
                println!("{:>4} unread  {}  {}  {last}", c.unread, c.title, c.conv);
            }
        }
        "/history" => {
            let Some(c) = conv.clone() else { return Ok(()) };
            for m in client.history(c, None, 20).await? {
                let text = m.text().unwrap_or_else(|| format!("[{}]", m.kind));
                println!("#{:<5} {}: {text}  ({:?})", m.seq.map_or("-".into(), |s| s.to_string()), m.sender, m.status);
            }
        }
        "/read" => {
            let Some(c) = conv.clone() else { return Ok(()) };
            if let Some(row) = client.conversation(c.clone()).await? {
                client.mark_read(c, row.max_seq).await?;
            }
        }
        "/recall" => {
            let Some(c) = conv.clone() else { return Ok(()) };
            let seq = arg(0)?.parse().map_err(|_| SdkError::InvalidInput { message: "seq must be a number".into() })?;
            client.recall(c, seq).await?;
        }
        "/friends" => client.friends().await?.iter().for_each(|f| println!("{}  {}", f.user_id, f.display_name)),
        "/requests" => client
            .friend_requests(true)
            .await?
            .iter()
            .for_each(|r| println!("{}  from {}  {}", r.request_id, r.from, r.status)),
        "/add" => println!("{:?}", client.send_friend_request(arg(0)?, None).await?.status),
        "/accept" => println!("{:?}", client.answer_friend_request(arg(0)?, true).await?.status),
        "/groups" => {
            client.groups().await?.iter().for_each(|g| println!("{}  {} ({} members)", g.conv, g.name, g.member_count))
        }
        "/group" => {
            let g = client.create_group(arg(0)?, rest.iter().skip(1).map(|s| (*s).to_owned()).collect()).await?;
            println!("-- created {} ({}); /to {} to talk there", g.name, g.conv, g.conv);
        }
        other => println!("unknown command {other}; /help"),
    }
    Ok(())
}

/// Lines from the terminal, read on a plain thread (stdin is blocking).
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
