//! WebSocket handshakes leave the HTTP/1 dispatcher: actix-http hands every `Upgrade: websocket`
//! request here with its socket. The request still runs through the whole actix-web app
//! (middleware, gateway checks, routing, the `/ws` handler's authentication); when the handler
//! admits it, the socket is registered, answered `101` and served by [`connection::run`] on its
//! own task, without the dispatcher and its two 8 KiB buffers. Anything else is answered as the
//! app answered it, and the socket closed.

use std::convert::Infallible;
use std::io;
use std::rc::Rc;
use std::sync::Arc;

use actix_codec::Framed;
use actix_http::body::{BodySize, BoxBody, MessageBody};
use actix_http::{ConnectionType, Request, Response, h1};
use actix_service::{IntoServiceFactory, Service, ServiceFactory, fn_factory, fn_service};
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use futures_util::SinkExt;
use tidings_domain::ports::AccessClaims;
use tidings_protocol::ErrorCode;
use tokio::net::TcpStream;

use super::connection;
use super::hub::Refused;
use super::socket::Socket;
use crate::error::ApiError;
use crate::state::AppState;

/// What the `/ws` handler puts in the extensions of a `101` it answers: who is connecting.
/// Without it a `101` is not followed by a takeover.
pub struct Admitted {
    /// The gateway's state.
    pub state: Arc<AppState>,
    /// The authenticated device.
    pub claims: AccessClaims,
}

/// When a client refused for an unwritten route is told to try again (it adds its own jitter).
const ROUTE_RETRY_AFTER_MS: u64 = 1_000;

/// The upgrade service of one worker: its own instance of the app (made by `make_app`, the same
/// builder as the worker's HTTP service) answers the handshakes.
pub fn factory<F, A, SF, B>(
    make_app: F,
) -> impl ServiceFactory<
    (Request, Framed<TcpStream, h1::Codec>),
    Config = (),
    Response = (),
    Error = Infallible,
    InitError = (),
>
where
    F: Fn() -> A + Clone + 'static,
    A: IntoServiceFactory<SF, Request>,
    SF: ServiceFactory<
            Request,
            Config = AppConfig,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    fn_factory(move || {
        let app = make_app().into_factory();
        async move {
            let app = Rc::new(app.new_service(AppConfig::default()).await?);
            Ok::<_, ()>(fn_service(move |(req, framed): (Request, Framed<TcpStream, h1::Codec>)| {
                serve(app.clone(), req, framed)
            }))
        }
    })
}

/// Answers one upgrade request.
async fn serve<S, B>(app: Rc<S>, req: Request, framed: Framed<TcpStream, h1::Codec>) -> Result<(), Infallible>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    let mut res = match app.call(req).await {
        Ok(res) => res.into_parts().1.map_into_boxed_body(),
        Err(e) => e.error_response(),
    };
    let admitted = res.extensions_mut().remove::<Admitted>();
    let written = match admitted {
        Some(admitted) if res.status() == StatusCode::SWITCHING_PROTOCOLS => attach(admitted, res, framed).await,
        _ => answer(res, framed).await,
    };
    if let Err(e) = written {
        tracing::debug!(error = %e, "could not answer an upgrade request");
    }
    Ok(())
}

/// Registers the connection, answers `101` and starts its loop on a task of its own.
async fn attach(admitted: Admitted, res: HttpResponse, mut framed: Framed<TcpStream, h1::Codec>) -> io::Result<()> {
    let Admitted { state, claims } = admitted;
    // Register (and, in a cluster, publish the route) before answering: once the client sees its
    // socket open, every push for it finds it.
    let registration = match state.hub.register(&claims.user_id, &claims.device_id, &claims.session_id) {
        Ok(registration) => registration,
        Err(refused) => {
            tracing::info!(?refused, user = %claims.user_id, "connection refused: cap reached");
            let error = ApiError::new(ErrorCode::TooManyConnections, "too many connections; try again later");
            // The instance being full is the code's own 503; this user's cap is 429.
            let error = match refused {
                Refused::InstanceFull => error,
                Refused::UserFull => error.with_status(StatusCode::TOO_MANY_REQUESTS),
            };
            return answer(error.error_response(), framed).await;
        }
    };
    if let Err(e) = connection::attached(&state, &claims, &registration.handle, registration.first).await {
        tracing::info!(error = %e, user = %claims.user_id, "connection refused: its route could not be written");
        connection::detach(&state, &claims, &registration.handle).await;
        let error = ApiError {
            retry_after_ms: Some(ROUTE_RETRY_AFTER_MS),
            ..ApiError::new(ErrorCode::Busy, "the cluster's route store did not answer; try again shortly")
        };
        return answer(error.error_response(), framed).await;
    }
    let head = Response::<BoxBody>::from(res).drop_body();
    if let Err(e) = framed.send((head, BodySize::None).into()).await {
        tracing::debug!(error = %e, "client left during the handshake");
        connection::detach(&state, &claims, &registration.handle).await;
        return Ok(());
    }
    let parts = framed.into_parts();
    if let Err(e) = parts.io.set_nodelay(state.config.ws.nodelay) {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    let socket = Socket::new(parts.io, parts.read_buf, state.config.limits.max_frame_bytes);
    actix_web::rt::spawn(connection::run(state, claims, socket, registration));
    Ok(())
}

/// Writes the app's answer to an upgrade request that is not taken over, then closes.
async fn answer(res: HttpResponse, mut framed: Framed<TcpStream, h1::Codec>) -> io::Result<()> {
    let (mut head, body) = Response::<BoxBody>::from(res).into_parts();
    head.head_mut().set_connection_type(ConnectionType::Close);
    let body = actix_http::body::to_bytes(body).await.unwrap_or_default();
    let size = BodySize::Sized(body.len() as u64);
    framed.send((head, size).into()).await?;
    if !body.is_empty() {
        framed.send(h1::Message::Chunk(Some(body))).await?;
    }
    framed.send(h1::Message::Chunk(None)).await?;
    framed.close().await
}
