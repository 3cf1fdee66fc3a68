//! One connection's loop: read frames, answer them, write queued pushes, keep the socket alive.
//! Sends are queued in frame order and their acks awaited concurrently, so a client can pipeline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_http::ws::{CloseCode, CloseReason, Message};
use bytes::Bytes;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tidings_app::AppError;
use tidings_app::messaging::{SendParts, parse_conv};
use tidings_domain::ports::AccessClaims;
use tidings_domain::{StoreError, UserId};
use tidings_protocol::{ClientFrame, ServerFrame};
use tracing::Instrument;

use super::decode::{FrameError, decode};
use super::hub::{ConnHandle, Registration};
use super::outbox::{Next, Outbox};
use super::socket::{Incoming, RecvError, Socket, WRITE_BATCH_BYTES};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// A reply that waits on the database (a send's ack, a recall's, a read's possible error),
/// awaited alongside the loop so the connection keeps writing pushes meanwhile.
///
/// The loop polls these only between frames: while it handles a frame, they stand still. So one
/// must only *wait* (a send's ack on its oneshot); a reply that does work of its own goes
/// through [`spawned`]. A read run inside this set once took the cluster's gate-epoch lock and
/// stood still holding it while the loop's next send waited for that very lock: every send of
/// the instance stopped behind them, for good (docs/benchmarks.md, "The cluster stall").
type AckFuture = Pin<Box<dyn Future<Output = Option<ServerFrame>>>>;

/// Runs `work` as a task of its own on this worker, so it makes progress whatever the loop is
/// doing, and returns the future of its reply for the loop's set.
fn spawned(work: impl Future<Output = Option<ServerFrame>> + 'static) -> AckFuture {
    let task = actix_web::rt::spawn(work.in_current_span());
    Box::pin(async move {
        task.await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "a frame's task failed");
            None
        })
    })
}

/// Why the loop ended, for the log.
enum End {
    Closed(Option<CloseReason>),
    Gone,
}

/// Runs the connection until either side closes it. (A plain function returning the future:
/// an `async fn` would keep room for its arguments beside the future they move into, in every
/// connection's task.)
pub fn run(state: Arc<AppState>, claims: AccessClaims, socket: Socket, reg: Registration) -> impl Future<Output = ()> {
    let span = tracing::info_span!("ws", user = %claims.user_id, device = %claims.device_id);
    let mut conn = Connection {
        state,
        claims,
        socket,
        handle: reg.handle,
        last_typing: None,
        last_presence_sub: None,
        outbox: reg.outbox,
        draining: false,
    };
    async move {
        let conn_id = conn.handle.id;
        tracing::debug!(conn = conn_id, "connected");
        let end = conn.serve().await;
        // Boxed, like everything that runs once at the end: kept inline, its state would take
        // room in every idle connection's task.
        Box::pin(detach(&conn.state, &conn.claims, &conn.handle)).await;
        match end {
            End::Closed(reason) => {
                tracing::debug!(conn = conn_id, ?reason, "disconnected");
                // Bounded: a socket that stopped reading cannot take the close frame either, and
                // a client that never closes its side is not waited for past CLOSE_WAIT.
                let _ = Box::pin(tokio::time::timeout(CLOSE_WAIT, conn.socket.close(reason))).await;
            }
            End::Gone => tracing::debug!(conn = conn_id, "disconnected: client gone"),
        }
    }
    .instrument(span)
}

/// A connection was registered: writes its route (cluster mode) and tells presence if the user
/// just came online (the hub knows for one instance, the routes in Redis for a cluster). An
/// error means the route could not be written: the caller refuses the connection.
pub async fn attached(
    state: &AppState,
    claims: &AccessClaims,
    handle: &ConnHandle,
    first_here: bool,
) -> Result<(), StoreError> {
    let came_online = match &state.routes {
        Some(routes) => routes.connected(&claims.user_id, &claims.device_id, handle.owner()).await?,
        None => first_here,
    };
    if came_online {
        state.webhooks.presence_changed(&claims.user_id, true);
        state.presence_events.changed(&claims.user_id, true).await;
    }
    Ok(())
}

/// A connection ended: takes it out of the hub (and its device's route, unless a newer
/// connection of the same device owns it now, here or elsewhere) and tells presence if the user
/// went offline.
pub async fn detach(state: &AppState, claims: &AccessClaims, handle: &ConnHandle) {
    let last_here = state.hub.unregister(&claims.user_id, handle.id);
    let went_offline = match &state.routes {
        Some(routes) if !state.hub.has_device(&claims.user_id, &claims.device_id) => {
            routes.disconnected(&claims.user_id, &claims.device_id, handle.owner()).await
        }
        Some(_) => false,
        None => last_here,
    };
    if went_offline {
        state.webhooks.presence_changed(&claims.user_id, false);
        state.presence_events.changed(&claims.user_id, false).await;
    }
}

struct Connection {
    state: Arc<AppState>,
    claims: AccessClaims,
    socket: Socket,
    /// This connection in the hub (for presence subscriptions).
    handle: ConnHandle,
    /// When the last `typing` frame was forwarded (per-connection rate limit).
    last_typing: Option<Instant>,
    /// When the last `presence_sub` was served (per-connection rate limit).
    last_presence_sub: Option<Instant>,
    /// Pushes queued by the hub, and its close requests (also watched while a write waits on a
    /// full socket).
    outbox: Arc<Outbox>,
    /// The instance is draining and this client was told to reconnect: new sends are refused,
    /// and the connection closes once the accepted ones are acked.
    draining: bool,
}

/// How long a close may take: writing the frames queued before it, and the client closing its
/// side after the close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The close of a drained connection: 1012, service restart.
fn restart_reason() -> Option<CloseReason> {
    Some(CloseReason { code: CloseCode::Restart, description: Some("server restart: reconnect".into()) })
}

fn close(code: CloseCode, why: &str) -> End {
    End::Closed(Some(CloseReason { code, description: Some(why.to_owned()) }))
}

impl Connection {
    async fn serve(&mut self) -> End {
        let (heartbeat_every, idle_timeout) = (self.state.config.ws.heartbeat, self.state.config.ws.idle_timeout);
        let max_inflight_sends = self.state.config.limits.max_inflight_sends;
        let mut heartbeat = tokio::time::interval(heartbeat_every);
        heartbeat.tick().await;
        let mut last_seen = Instant::now();
        let mut acks: FuturesUnordered<AckFuture> = FuturesUnordered::new();
        let mut drain_rx = self.state.drain.watch();
        loop {
            if self.draining && acks.is_empty() {
                // Every send accepted before the drain is acked: flush the pushes and go.
                return Box::pin(self.flush_and_close(restart_reason())).await;
            }
            tokio::select! {
                biased;
                next = self.outbox.next() => match next {
                    // Frames queued before the close (e.g. `kicked`) still go out first.
                    Next::Close(reason) => return Box::pin(self.flush_and_close(Some(reason))).await,
                    Next::Frame(frame) => self.socket.queue_text(frame),
                },
                changed = drain_rx.changed(), if !self.draining => {
                    if changed.is_ok() && *drain_rx.borrow() {
                        self.draining = true;
                        let frame = crate::drain::reconnect_frame(&self.state.config.drain, self.handle.id);
                        self.queue(&frame);
                    }
                }
                Some(reply) = acks.next(), if !acks.is_empty() => {
                    if let Some(frame) = reply {
                        self.queue(&frame);
                    }
                }
                msg = self.socket.recv(), if acks.len() < max_inflight_sends => {
                    let msg = match msg {
                        None => return End::Gone,
                        Some(Err(RecvError::TooLarge)) => return close(CloseCode::Size, "frame too large"),
                        Some(Err(RecvError::BadUtf8)) => return close(CloseCode::Invalid, "text frame is not valid UTF-8"),
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "protocol error");
                            return close(CloseCode::Protocol, "protocol error");
                        }
                        Some(Ok(msg)) => msg,
                    };
                    last_seen = Instant::now();
                    match msg {
                        Incoming::Text(text) => {
                            // Boxed: the futures of frame handling are large, and kept inline
                            // they would make every idle connection's task as large.
                            if let Some(pending) = Box::pin(self.handle(&text)).await {
                                acks.push(pending);
                            }
                        }
                        Incoming::Binary => {
                            let frame = error_frame(None, tidings_protocol::ErrorCode::BadFrame, "binary frames are not accepted; send JSON text".into());
                            self.queue(&frame);
                        }
                        Incoming::Ping(bytes) => self.socket.queue(Message::Pong(bytes)),
                        Incoming::Pong => {}
                        Incoming::Close(reason) => return End::Closed(reason),
                    }
                }
                _ = heartbeat.tick() => {
                    if last_seen.elapsed() > idle_timeout {
                        return close(CloseCode::Normal, "idle timeout");
                    }
                    self.socket.queue(Message::Ping(Bytes::new()));
                }
            }
            // One write for everything ready by now: this turn's frames, queued pushes and
            // finished acks.
            if self.socket.queued() > 0 {
                self.gather(&mut acks);
                if !self.flush().await {
                    return self.ended();
                }
            }
        }
    }

    /// Queues the pushes waiting in the outbox and the acks already finished, up to one write's
    /// worth.
    fn gather(&mut self, acks: &mut FuturesUnordered<AckFuture>) {
        while self.socket.queued() < WRITE_BATCH_BYTES {
            match self.outbox.try_pop() {
                Some(frame) => self.socket.queue_text(frame),
                None => break,
            }
        }
        while self.socket.queued() < WRITE_BATCH_BYTES {
            match acks.next().now_or_never() {
                Some(Some(Some(frame))) => self.queue(&frame),
                Some(Some(None)) => {}
                Some(None) | None => break,
            }
        }
    }

    /// Writes the frames queued on the socket. If the hub closes this connection while the
    /// write waits on a full socket (a client that stopped reading), gives up at once instead of
    /// waiting forever.
    async fn flush(&mut self) -> bool {
        tokio::select! {
            sent = self.socket.flush() => sent.is_ok(),
            _ = self.outbox.closed() => false,
        }
    }

    /// Why a write failed: the hub closed the connection (its reason), or the client is gone.
    fn ended(&self) -> End {
        match self.outbox.closing() {
            Some(reason) => End::Closed(Some(reason)),
            None => End::Gone,
        }
    }

    /// Writes the pushes still queued, as far as the socket takes them, then ends with `reason`.
    async fn flush_and_close(&mut self, reason: Option<CloseReason>) -> End {
        while let Some(frame) = self.outbox.try_pop() {
            self.socket.queue_text(frame);
        }
        match tokio::time::timeout(CLOSE_WAIT, self.socket.flush()).await {
            Ok(Err(_)) => End::Gone,
            Ok(Ok(())) | Err(_) => End::Closed(reason),
        }
    }

    /// Encodes a frame onto the socket's queue; the loop writes it at the end of its turn.
    fn queue(&mut self, frame: &ServerFrame) {
        self.state.metrics.frame_out(frame);
        match serde_json::to_string(frame) {
            Ok(text) => self.socket.queue_text(text.into()),
            Err(e) => tracing::error!(error = %e, "could not encode a frame"),
        }
    }

    /// Handles one text frame. A send returns the future of its ack; everything else is
    /// answered right away.
    async fn handle(&mut self, text: &str) -> Option<AckFuture> {
        let frame = match decode(text) {
            Ok(frame) => frame,
            Err(FrameError { id, code, message }) => {
                self.state.metrics.frame_in(None);
                tracing::debug!(%code, "bad frame");
                let reply = error_frame(id, code, message);
                self.queue(&reply);
                return None;
            }
        };
        self.state.metrics.frame_in(Some(&frame));
        let span = tracing::debug_span!("frame", kind = crate::metrics::client_kind(&frame));
        let reply = self.dispatch(frame).instrument(span).await;
        match reply {
            Reply::Now(Some(frame)) => {
                self.queue(&frame);
                None
            }
            Reply::Now(None) => None,
            Reply::Later(fut) => Some(fut),
        }
    }

    async fn dispatch(&mut self, frame: ClientFrame) -> Reply {
        let c = &self.claims;
        let m = &self.state.messaging;
        match frame {
            ClientFrame::Send { id, .. }
            | ClientFrame::Recall { id, .. }
            | ClientFrame::Edit { id, .. }
            | ClientFrame::React { id, .. }
                if self.draining =>
            {
                let why = "this instance is shutting down: resend on the new connection (same client_msg_id)";
                Reply::Now(Some(error_frame(Some(id), tidings_protocol::ErrorCode::Draining, why.into())))
            }
            ClientFrame::Send { id, conv, client_msg_id, kind, body } => {
                if let Err(limited) = self.state.check_send_rate(&c.user_id).await {
                    return Reply::Now(Some(api_error(Some(id), limited)));
                }
                let arrived = Instant::now();
                let metrics = self.state.metrics.clone();
                // Parsed here, once; a malformed part fails like any refused send.
                let sent = match SendParts::parse(&conv, client_msg_id, &kind) {
                    Ok(p) => m.send(&c.user_id, &c.device_id, p.conv, p.client_msg_id, p.kind, &body).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(pending) => Reply::Later(Box::pin(async move {
                        let outcome = pending.wait().await;
                        metrics.send_done(outcome.as_ref().map(|a| a.duplicate).map_err(|_| ()), arrived.elapsed());
                        Some(match outcome {
                            Ok(ack) => wire::ack_frame(id, ack),
                            Err(e) => app_error(Some(id), e),
                        })
                    })),
                    Err(e) => {
                        metrics.send_done(Err(()), arrived.elapsed());
                        Reply::Now(Some(app_error(Some(id), e)))
                    }
                }
            }
            ClientFrame::Sync { id, conv, after_seq, limit } => {
                let slice = async { m.sync(&c.user_id, &parse_conv(&conv)?, after_seq, limit).await };
                Reply::Now(Some(match slice.await {
                    Ok(slice) => ServerFrame::SyncResult {
                        id,
                        conv,
                        messages: wire::page(&slice),
                        has_more: slice.has_more,
                        min_seq: slice.min_seq,
                    },
                    Err(e) => app_error(Some(id), e),
                }))
            }
            ClientFrame::Read { conv, seq } => {
                let m = self.state.messaging.clone();
                let (user, device) = (c.user_id.clone(), c.device_id.clone());
                // Written in a batch with other reads: waited for beside the loop, not in it,
                // so pushes to this connection keep flowing meanwhile.
                Reply::Later(spawned(async move {
                    let read = async { m.read(&user, &device, &parse_conv(&conv)?, seq).await };
                    read.await.err().map(|e| app_error(None, e))
                }))
            }
            ClientFrame::Recall { id, conv, seq } => {
                let m = self.state.messaging.clone();
                let user = c.user_id.clone();
                // Answered like a send: `ack` of the recall notice, once it is durable.
                acked_later(id, async move { m.recall(&user, parse_conv(&conv)?, seq).await })
            }
            ClientFrame::Edit { id, conv, seq, body } => {
                let m = self.state.messaging.clone();
                let user = c.user_id.clone();
                self.logged_action(id, &c.user_id, async move { m.edit(&user, parse_conv(&conv)?, seq, &body).await })
                    .await
            }
            ClientFrame::React { id, conv, seq, emoji, on } => {
                let m = self.state.messaging.clone();
                let user = c.user_id.clone();
                self.logged_action(
                    id,
                    &c.user_id,
                    async move { m.react(&user, parse_conv(&conv)?, seq, &emoji, on).await },
                )
                .await
            }
            ClientFrame::Ping {} => {
                let changes = self.state.changes.clone();
                let user = c.user_id.clone();
                // In a cluster the counter is in Redis: read beside the loop, not in it.
                Reply::Later(spawned(async move {
                    let changes = match changes.current(&user).await {
                        Ok(n) => Some(n),
                        Err(e) => {
                            tracing::debug!(error = %e, "could not read the change counter; pong without it");
                            None
                        }
                    };
                    Some(ServerFrame::Pong { changes })
                }))
            }
            ClientFrame::PresenceSub { id, users } => self.presence_sub(id, users).await,
            ClientFrame::Typing { conv } => self.typing(conv).await,
        }
    }

    /// Replaces the presence subscriptions and answers with everyone's current state.
    async fn presence_sub(&mut self, id: String, users: Vec<String>) -> Reply {
        let interval = self.state.config.ws.presence_sub_interval;
        if let Some(wait) = too_soon(self.last_presence_sub, interval) {
            return Reply::Now(Some(rate_limited(Some(id), "presence_sub too often", wait)));
        }
        let max = self.state.config.ws.max_presence_subs;
        if users.len() > max {
            let why = format!("at most {max} users per presence_sub");
            return Reply::Now(Some(error_frame(Some(id), tidings_protocol::ErrorCode::InvalidField, why)));
        }
        let mut ids: Vec<UserId> = Vec::with_capacity(users.len());
        let mut seen = std::collections::HashSet::with_capacity(users.len());
        for raw in &users {
            let Some(user) = UserId::parse(raw) else {
                let why = format!("not a user id: {raw}");
                return Reply::Now(Some(error_frame(Some(id), tidings_protocol::ErrorCode::InvalidField, why)));
            };
            if seen.insert(user.clone()) {
                ids.push(user);
            }
        }
        self.last_presence_sub = Some(Instant::now());
        self.state.hub.subscribe(Some(&self.handle), self.handle.id, &ids);
        match self.state.presence_events.current(&ids).await {
            Ok(states) => {
                for (user, st) in ids.iter().zip(states) {
                    let frame = ServerFrame::Presence {
                        user_id: user.to_string(),
                        online: st.online,
                        last_active_at: st.last_active_at,
                    };
                    self.queue(&frame);
                }
                Reply::Now(None)
            }
            Err(e) => Reply::Now(Some(app_error(Some(id), e))),
        }
    }

    /// Forwards a typing indicator, at most one per `ws.typing_interval` per connection.
    async fn typing(&mut self, conv: String) -> Reply {
        let interval = self.state.config.ws.typing_interval;
        if let Some(wait) = too_soon(self.last_typing, interval) {
            return Reply::Now(Some(rate_limited(None, "typing too often", wait)));
        }
        let typed = async { self.state.messaging.typing(&self.claims.user_id, parse_conv(&conv)?).await };
        match typed.await {
            Ok(()) => {
                self.last_typing = Some(Instant::now());
                Reply::Now(None)
            }
            Err(e) => Reply::Now(Some(app_error(None, e))),
        }
    }
}

/// How long until `interval` has passed since `last`, if it has not.
fn too_soon(last: Option<Instant>, interval: Duration) -> Option<Duration> {
    let since = last?.elapsed();
    (since < interval).then(|| interval.saturating_sub(since))
}

/// The `rate_limited` error frame of a per-connection limit.
fn rate_limited(id: Option<String>, what: &str, wait: Duration) -> ServerFrame {
    ServerFrame::Error {
        id,
        code: tidings_protocol::ErrorCode::RateLimited.as_str().to_owned(),
        message: what.to_owned(),
        retry_after_ms: Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1)),
    }
}

impl Connection {
    /// An action on a message that writes an entry to the log (edit, react): it spends the
    /// sender's send budget (docs/operations.md) and is answered like a recall, by the `ack` of
    /// its entry once durable, waited for beside the loop.
    async fn logged_action(
        &self,
        id: String,
        user: &tidings_domain::UserId,
        action: impl Future<Output = Result<tidings_domain::message::Ack, AppError>> + 'static,
    ) -> Reply {
        if let Err(limited) = self.state.check_send_rate(user).await {
            return Reply::Now(Some(api_error(Some(id), limited)));
        }
        acked_later(id, action)
    }
}

/// The answer to request `id` that writes a log entry: the entry's `ack` once durable (or the
/// error), waited for beside the loop.
fn acked_later(
    id: String,
    action: impl Future<Output = Result<tidings_domain::message::Ack, AppError>> + 'static,
) -> Reply {
    Reply::Later(spawned(async move {
        Some(match action.await {
            Ok(ack) => wire::ack_frame(id, ack),
            Err(e) => app_error(Some(id), e),
        })
    }))
}

enum Reply {
    Now(Option<ServerFrame>),
    Later(AckFuture),
}

fn error_frame(id: Option<String>, code: tidings_protocol::ErrorCode, message: String) -> ServerFrame {
    ServerFrame::Error { id, code: code.as_str().to_owned(), message, retry_after_ms: None }
}

fn api_error(id: Option<String>, api: ApiError) -> ServerFrame {
    ServerFrame::Error {
        id,
        code: api.code.as_str().to_owned(),
        message: api.message,
        retry_after_ms: api.retry_after_ms,
    }
}

fn app_error(id: Option<String>, e: AppError) -> ServerFrame {
    api_error(id, ApiError::from(e))
}
