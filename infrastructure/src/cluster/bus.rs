//! RabbitMQ transport for pushes between instances.
//!
//! Each instance declares its own queue `{prefix}tidings.instance.{id}` (exclusive: it lives as
//! long as the instance's connection), bound to the direct exchange `{prefix}tidings.push` with
//! the instance id as routing key. A supervisor task keeps the connection up: when it drops or
//! the broker restarts, it reconnects with exponential backoff and declares the topology again.
//! Publishes use publisher confirms; consumption has a bounded prefetch. While disconnected,
//! publishes are dropped: the message log already holds every message and clients sync.
//!
//! A link can also hang (the socket open, nothing moving). Every second the instance publishes a
//! probe to its own queue; a link that has carried nothing back for [`SILENT_LIMIT`] is taken for
//! dead: `/readyz` says so, publishes are dropped at once instead of waiting, and the connection
//! is made again. A publish past the dependency deadline keeps waiting only while the link
//! carries things back (`silence.rs`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tidings_domain::StoreError;
use tidings_domain::ports::LocalDelivery;
use tokio::sync::{RwLock, mpsc, watch};

use super::envelope;
use super::silence::{LastHeard, patiently};

/// How to reach the broker and what to call things.
#[derive(Debug, Clone)]
pub struct AmqpOptions {
    /// `amqp://user:pass@host:5672/%2f`.
    pub url: String,
    /// This instance's id (routing key and queue suffix).
    pub instance: String,
    /// Prepended to the exchange and queue names (empty in production).
    pub prefix: String,
    /// Unacknowledged deliveries the broker may push to this instance at once.
    pub prefetch: u16,
    /// How long a publish waits before it starts asking whether the link still carries things
    /// back; one that gives up drops its push.
    pub publish_timeout: Duration,
}

/// How often the link is probed.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The longest wait between two connection attempts: short, so pushes between instances resume
/// within about a second of the broker coming back (an attempt against a broker that is down
/// costs next to nothing).
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A publish past its deadline gives up once the link has been silent this long (a little
/// more than the probe interval: an idle link hears a probe every second).
const QUIET_LIMIT: Duration = Duration::from_millis(1500);

/// The longest one publish may wait while the link carries things back.
const LONGEST_PUBLISH: Duration = Duration::from_secs(5);

/// A link that carried nothing back for this long is dead.
const SILENT_LIMIT: Duration = Duration::from_secs(3);

/// The longest making a connection (and declaring the topology) may take.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);

impl AmqpOptions {
    fn exchange(&self) -> String {
        format!("{}tidings.push", self.prefix)
    }

    fn queue(&self) -> String {
        format!("{}tidings.instance.{}", self.prefix, self.instance)
    }
}

struct Shared {
    opts: AmqpOptions,
    hub: Arc<dyn LocalDelivery>,
    /// The publishing channel while connected.
    channel: RwLock<Option<Channel>>,
    /// Confirms to check, in publish order.
    confirms: mpsc::Sender<lapin::PublisherConfirm>,
    /// Turns true when the instance shuts down: stop consuming, close, do not reconnect.
    stop: watch::Sender<bool>,
    /// When the consumer last received anything (a push or a probe).
    heard: LastHeard,
}

impl Shared {
    /// Whether the link carried something back within [`SILENT_LIMIT`].
    fn lively(&self) -> bool {
        self.heard.silent_for() <= SILENT_LIMIT
    }
}

/// Handle to the instance's broker connection.
#[derive(Clone)]
pub struct AmqpBus {
    shared: Arc<Shared>,
}

impl AmqpBus {
    /// Connects (waiting up to `first_connect` for the broker), declares the topology, starts
    /// consuming into `hub`, and keeps all of that alive in the background.
    pub async fn start(
        opts: AmqpOptions,
        hub: Arc<dyn LocalDelivery>,
        first_connect: Duration,
    ) -> Result<Self, StoreError> {
        let (confirm_tx, confirm_rx) = mpsc::channel(4096);
        let stop = watch::channel(false).0;
        let shared = Arc::new(Shared {
            opts,
            hub,
            channel: RwLock::new(None),
            confirms: confirm_tx,
            stop,
            heard: LastHeard::new(),
        });
        tokio::spawn(check_confirms(confirm_rx));
        let (ready_tx, mut ready_rx) = watch::channel(false);
        tokio::spawn(supervise(shared.clone(), ready_tx));
        let became_ready = tokio::time::timeout(first_connect, ready_rx.wait_for(|ready| *ready)).await;
        match became_ready {
            Ok(Ok(_)) => Ok(Self { shared }),
            _ => Err(StoreError::Unavailable(format!("RabbitMQ not reachable at start within {first_connect:?}"))),
        }
    }

    /// Publishes one delivery body to `instance`'s queue. Never blocks on the broker: if it is
    /// unreachable the push is dropped (clients catch up by sync).
    pub async fn publish(&self, instance: &str, body: Vec<u8>) {
        let channel = self.shared.channel.read().await.clone();
        let Some(channel) = channel.filter(|_| self.shared.lively()) else {
            super::stats::AMQP_PUBLISH.failed();
            tracing::debug!(instance, "broker unavailable; push dropped");
            return;
        };
        let sent = super::stats::AMQP_PUBLISH
            .time(async {
                let publish = channel.basic_publish(
                    self.shared.opts.exchange().into(),
                    instance.into(),
                    BasicPublishOptions::default(),
                    &body,
                    BasicProperties::default().with_content_type("application/json".into()),
                );
                let quiet = || self.shared.heard.silent_for() < QUIET_LIMIT;
                match patiently(publish, self.shared.opts.publish_timeout, LONGEST_PUBLISH, quiet).await {
                    Some(sent) => sent.map_err(|e| e.to_string()),
                    None => Err("publish missed its deadline on a silent link".to_owned()),
                }
            })
            .await;
        match sent {
            Ok(confirm) => {
                if self.shared.confirms.try_send(confirm).is_err() {
                    tracing::debug!("confirm backlog full; not tracking this confirm");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, instance, "publish failed; push dropped");
            }
        }
    }

    /// Stops consuming and closes the broker connection for good (a draining instance): its
    /// queue, exclusive to the connection, goes with it; publishes after this are dropped.
    pub async fn close(&self) {
        self.shared.stop.send_replace(true);
        // The consumer clears the channel once the connection is closed; bounded, the process
        // is about to end anyway.
        let closed = async {
            while self.shared.channel.read().await.is_some() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), closed).await;
    }

    /// Whether a broker connection is up right now and carried something back lately.
    pub async fn is_connected(&self) -> bool {
        self.shared.channel.read().await.is_some() && self.shared.lively()
    }
}

async fn check_confirms(mut rx: mpsc::Receiver<lapin::PublisherConfirm>) {
    while let Some(confirm) = rx.recv().await {
        match confirm.await {
            Ok(c) if c.is_nack() => {
                tracing::warn!("broker nacked a push");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(error = %e, "push confirm lost with the connection");
            }
        }
    }
}

/// Keeps a connection up for as long as the process runs.
async fn supervise(shared: Arc<Shared>, ready: watch::Sender<bool>) {
    let mut backoff = Duration::from_millis(100);
    let mut stop = shared.stop.subscribe();
    loop {
        if *stop.borrow() {
            *shared.channel.write().await = None;
            tracing::info!("broker connection closed (shutting down)");
            return;
        }
        match run_connection(&shared, &ready).await {
            Ok(()) if *stop.borrow() => {}
            Ok(()) => {
                tracing::warn!("broker connection closed; reconnecting");
                backoff = Duration::from_millis(100);
            }
            Err(e) => tracing::warn!(error = %e, retry_in = ?backoff, "broker connection failed"),
        }
        *shared.channel.write().await = None;
        if *stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: declare, consume until the connection dies.
async fn run_connection(shared: &Shared, ready: &watch::Sender<bool>) -> Result<(), String> {
    let (conn, publish, mut consumer) = connect(shared).await?;
    let opts = &shared.opts;
    *shared.channel.write().await = Some(publish.clone());
    shared.heard.heard();
    ready.send_replace(true);
    tracing::info!(queue = %opts.queue(), "connected to the broker");
    let mut stop = shared.stop.subscribe();
    let mut probe = tokio::time::interval(PROBE_EVERY);
    loop {
        let delivery = tokio::select! {
            next = consumer.next() => match next {
                Some(Ok(delivery)) => delivery,
                Some(Err(e)) => {
                    close_eventually(conn, 320, "consumer failed");
                    return Err(e.to_string());
                }
                None => break,
            },
            _ = probe.tick() => {
                if !shared.lively() {
                    *shared.channel.write().await = None;
                    // In the background: a hung link does not answer the close at once.
                    close_eventually(conn, 320, "link silent");
                    return Err(format!("the broker link carried nothing back for {SILENT_LIMIT:?}"));
                }
                // Sent beside the loop: consuming never waits for a publish.
                tokio::spawn(send_probe(publish.clone(), shared.opts.exchange(), shared.opts.instance.clone(), shared.opts.publish_timeout));
                continue;
            }
            () = async { let _ = stop.wait_for(|stopped| *stopped).await; } => {
                let _ = conn.close(200, "instance shutting down".into()).await;
                *shared.channel.write().await = None;
                return Ok(());
            }
        };
        shared.heard.heard();
        match envelope::decode_many(&delivery.data) {
            Some(list) => list.iter().for_each(|d| shared.hub.deliver(d)),
            None => tracing::warn!(bytes = delivery.data.len(), "unreadable push envelopes dropped"),
        }
        if let Err(e) = delivery.ack(BasicAckOptions::default()).await {
            close_eventually(conn, 320, "ack failed");
            return Err(e.to_string());
        }
    }
    close_eventually(conn, 200, "consumer ended");
    Ok(())
}

/// Publishes an empty envelope list to this instance's own queue (`exchange`, routing key
/// `instance`): coming back, it shows the link carries traffic both ways. Never waits longer
/// than `limit`.
async fn send_probe(publish: Channel, exchange: String, instance: String, limit: Duration) {
    let sent = publish.basic_publish(
        exchange.into(),
        instance.into(),
        BasicPublishOptions::default(),
        b"[]",
        BasicProperties::default(),
    );
    if let Ok(Err(e)) = tokio::time::timeout(limit, sent).await {
        tracing::debug!(error = %e, "could not send the link probe");
    }
}

/// How long a connection given up on may take to close before it is left to the broker.
const CLOSE_LIMIT: Duration = Duration::from_secs(60);

/// Closes `conn` in the background, waiting up to [`CLOSE_LIMIT`]. A lapin connection that is
/// only dropped stays open (its I/O loop keeps it alive, heartbeats and all), and with it the
/// instance's exclusive queue: every later connection was refused `RESOURCE_LOCKED` and the
/// instance got no pushes for the rest of a 5-minute run (26 instances on two cores, after a
/// connect that timed out half-way and a close cut short at 500 ms).
fn close_eventually(conn: Connection, code: u16, why: &'static str) {
    tokio::spawn(async move {
        match tokio::time::timeout(CLOSE_LIMIT, conn.close(code, why.into())).await {
            Ok(Ok(())) => tracing::debug!(why, "broker connection closed"),
            Ok(Err(e)) => tracing::debug!(error = %e, why, "broker connection closed with an error"),
            Err(_) => tracing::warn!(why, "a broker connection given up on did not close within a minute"),
        }
    });
}

/// Opens the connection and declares the topology (the publishing channel with confirms, the
/// consumer of this instance's queue), each within [`CONNECT_LIMIT`]. A connection made but not
/// fully declared is closed, not merely dropped (see [`close_eventually`]).
async fn connect(shared: &Shared) -> Result<(Connection, Channel, lapin::Consumer), String> {
    let opts = &shared.opts;
    let props = ConnectionProperties::default().with_connection_name(format!("tidings-{}", opts.instance).into());
    let conn = match tokio::time::timeout(CONNECT_LIMIT, Connection::connect(&opts.url, props)).await {
        Ok(made) => made.map_err(|e| e.to_string())?,
        Err(_) => return Err(format!("no connection within {CONNECT_LIMIT:?}")),
    };
    match tokio::time::timeout(CONNECT_LIMIT, declare(opts, &conn)).await {
        Ok(Ok((publish, consumer))) => Ok((conn, publish, consumer)),
        Ok(Err(e)) => {
            close_eventually(conn, 320, "topology not declared");
            Err(e.to_string())
        }
        Err(_) => {
            close_eventually(conn, 320, "topology not declared in time");
            Err(format!("topology not declared within {CONNECT_LIMIT:?}"))
        }
    }
}

/// Declares the exchange, this instance's queue and its binding on `conn`, and starts consuming.
async fn declare(opts: &AmqpOptions, conn: &Connection) -> Result<(Channel, lapin::Consumer), lapin::Error> {
    let publish = conn.create_channel().await?;
    publish.confirm_select(ConfirmSelectOptions::default()).await?;
    // Auto-delete: the exchange goes away with the last instance, leaving nothing behind.
    publish
        .exchange_declare(
            opts.exchange().into(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions { auto_delete: true, ..ExchangeDeclareOptions::default() },
            FieldTable::default(),
        )
        .await?;
    let consume = conn.create_channel().await?;
    consume
        .queue_declare(
            opts.queue().into(),
            QueueDeclareOptions { exclusive: true, auto_delete: true, ..QueueDeclareOptions::default() },
            FieldTable::default(),
        )
        .await?;
    consume
        .queue_bind(
            opts.queue().into(),
            opts.exchange().into(),
            opts.instance.clone().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    consume.basic_qos(opts.prefetch, BasicQosOptions::default()).await?;
    let consumer = consume
        .basic_consume(
            opts.queue().into(),
            format!("tidings-{}", opts.instance).into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok((publish, consumer))
}
