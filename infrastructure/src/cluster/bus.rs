//! RabbitMQ transport for pushes between instances.
//!
//! Each instance declares its own queue `{prefix}tidings.instance.{id}` (exclusive: it lives as
//! long as the instance's connection), bound to the direct exchange `{prefix}tidings.push` with
//! the instance id as routing key. A supervisor task keeps the connection up: when it drops or
//! the broker restarts, it reconnects with exponential backoff and declares the topology again.
//! Publishes use publisher confirms; consumption has a bounded prefetch. While disconnected,
//! publishes are dropped: the message log already holds every message and clients sync.

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
}

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
        let shared = Arc::new(Shared { opts, hub, channel: RwLock::new(None), confirms: confirm_tx, stop });
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
        let Some(channel) = channel else {
            super::stats::AMQP_PUBLISH.failed();
            tracing::debug!(instance, "broker unavailable; push dropped");
            return;
        };
        let sent = super::stats::AMQP_PUBLISH
            .time(channel.basic_publish(
                self.shared.opts.exchange().into(),
                instance.into(),
                BasicPublishOptions::default(),
                &body,
                BasicProperties::default().with_content_type("application/json".into()),
            ))
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

    /// Whether a broker connection is up right now.
    pub async fn is_connected(&self) -> bool {
        self.shared.channel.read().await.is_some()
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
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One connection's life: declare, consume until the connection dies.
async fn run_connection(shared: &Shared, ready: &watch::Sender<bool>) -> Result<(), lapin::Error> {
    let opts = &shared.opts;
    let props = ConnectionProperties::default().with_connection_name(format!("tidings-{}", opts.instance).into());
    let conn = Connection::connect(&opts.url, props).await?;
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
    let mut consumer = consume
        .basic_consume(
            opts.queue().into(),
            format!("tidings-{}", opts.instance).into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    *shared.channel.write().await = Some(publish);
    ready.send_replace(true);
    tracing::info!(queue = %opts.queue(), "connected to the broker");
    let mut stop = shared.stop.subscribe();
    loop {
        let delivery = tokio::select! {
            next = consumer.next() => match next {
                Some(delivery) => delivery?,
                None => break,
            },
            () = async { let _ = stop.wait_for(|stopped| *stopped).await; } => {
                let _ = conn.close(200, "instance shutting down".into()).await;
                *shared.channel.write().await = None;
                return Ok(());
            }
        };
        match envelope::decode_many(&delivery.data) {
            Some(list) => list.iter().for_each(|d| shared.hub.deliver(d)),
            None => tracing::warn!(bytes = delivery.data.len(), "unreadable push envelopes dropped"),
        }
        delivery.ack(BasicAckOptions::default()).await?;
    }
    let _ = conn.close(200, "consumer ended".into()).await;
    Ok(())
}
