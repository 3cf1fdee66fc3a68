//! What the fake push services share: a request read whole, response builders, and accept
//! loops serving a synchronous handler over plain HTTP/1.1 or over TLS with HTTP/2 (or 1.1,
//! as ALPN decides). The loops and their connections stop when the returned guard drops.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Streams a fake accepts at once on one HTTP/2 connection (real APNs allows 1000).
const MAX_STREAMS: u32 = 1000;

/// One request, body read whole.
pub struct FakeRequest {
    /// Method.
    pub method: Method,
    /// Path without the query.
    pub path: String,
    /// HTTP version the client spoke.
    pub version: Version,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl FakeRequest {
    /// A header's value, "" when absent or not text.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// A handler's answer.
pub type FakeResponse = Response<Full<Bytes>>;

/// A fake's request handler (synchronous: the fakes only look things up and count).
pub type Handler = Arc<dyn Fn(FakeRequest) -> FakeResponse + Send + Sync>;

/// An answer with a JSON body and extra headers.
pub fn json_response(status: u16, body: &Value, headers: &[(&'static str, String)]) -> FakeResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response
}

/// An empty answer.
pub fn empty_response(status: u16) -> FakeResponse {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}

/// Stops a fake's accept loop and every connection it serves when dropped.
pub struct ServerGuard(JoinHandle<()>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn read(request: Request<Incoming>) -> Result<FakeRequest, hyper::Error> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(FakeRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        version: parts.version,
        headers: parts.headers,
        body,
    })
}

/// Accepts connections on `listener` until dropped, each served by `serve` as a task of its own.
fn accept_loop<F, Fut>(listener: TcpListener, serve: F) -> ServerGuard
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    ServerGuard(tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve(stream));
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }))
}

/// Serves `handler` over plain HTTP/1.1 (keep-alive) on `listener`.
pub fn serve_http1(listener: TcpListener, handler: Handler) -> ServerGuard {
    accept_loop(listener, move |stream| {
        let handler = handler.clone();
        async move {
            let service = service_fn(move |request| {
                let handler = handler.clone();
                async move { read(request).await.map(|r| handler(r)) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        }
    })
}

/// Serves `handler` over TLS on `listener`, HTTP/2 or HTTP/1.1 as the client's ALPN asks.
pub fn serve_tls(listener: TcpListener, acceptor: TlsAcceptor, handler: Handler) -> ServerGuard {
    accept_loop(listener, move |stream| {
        let (handler, acceptor) = (handler.clone(), acceptor.clone());
        async move {
            let Ok(tls) = acceptor.accept(stream).await else { return };
            let service = service_fn(move |request| {
                let handler = handler.clone();
                async move { read(request).await.map(|r| handler(r)) }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder.http2().max_concurrent_streams(MAX_STREAMS);
            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
        }
    })
}
