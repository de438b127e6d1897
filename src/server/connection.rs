//! One TLS connection of the webhook port: the handshake (bounded in time), then HTTP/2 or
//! HTTP/1.1 as ALPN chose, served until it ends or the server drains. HTTP/2 output is
//! coalesced ([`Coalesce`]).

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;

use super::ServeOptions;
use super::coalesce::Coalesce;
use super::metrics::Metrics;

/// Connection builders: HTTP/2 when ALPN chose `h2`, HTTP/1.1 when it chose `http/1.1`,
/// and either (by the connection preface) when the client sent no ALPN.
pub(crate) struct Builders {
    h2: auto::Builder<TokioExecutor>,
    h1: auto::Builder<TokioExecutor>,
    auto: auto::Builder<TokioExecutor>,
}

impl Builders {
    pub(crate) fn new(o: &ServeOptions) -> Self {
        let make = || {
            let mut b = auto::Builder::new(TokioExecutor::new());
            b.http1()
                .timer(TokioTimer::new())
                .header_read_timeout(o.header_read_timeout)
                .keep_alive(true);
            b.http2()
                .timer(TokioTimer::new())
                .max_concurrent_streams(o.max_streams);
            b
        };
        Self {
            h2: make().http2_only(),
            h1: make().http1_only(),
            auto: make(),
        }
    }
}

/// Socket options of an accepted connection: no Nagle delay (small responses would wait
/// for the peer's delayed ACK), and TCP keep-alive probes, which drop peers that vanished
/// at no cost to the request path.
pub(crate) fn tune_socket(tcp: &TcpStream, keepalive_interval: Duration) {
    let _ = tcp.set_nodelay(true);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(keepalive_interval)
        .with_interval(keepalive_interval / 3)
        .with_retries(3);
    let _ = socket2::SockRef::from(tcp).set_tcp_keepalive(&keepalive);
}

/// Serves one accepted connection: TLS handshake within `handshake_timeout`, then HTTP
/// until the client closes it or the server drains. Failures are counted and logged at
/// debug level: a client that cannot finish a handshake is the client's problem.
pub(crate) async fn serve_connection(
    tcp: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    builders: Arc<Builders>,
    service: TowerToHyperService<axum::Router>,
    metrics: Arc<Metrics>,
    watcher: Watcher,
    handshake_timeout: Duration,
) {
    let _open = metrics.connection();
    let stream = match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            metrics.handshake_error();
            tracing::debug!(error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            metrics.handshake_error();
            tracing::debug!("TLS handshake timed out");
            return;
        }
    };
    let result = match stream.get_ref().1.alpn_protocol() {
        Some(b"h2") => serve(&builders.h2, Coalesce::new(stream), service, watcher).await,
        Some(b"http/1.1") => serve(&builders.h1, stream, service, watcher).await,
        _ => serve(&builders.auto, stream, service, watcher).await,
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// HTTP on an established stream until it ends or the server drains.
async fn serve<I>(
    builder: &auto::Builder<TokioExecutor>,
    io: I,
    service: TowerToHyperService<axum::Router>,
    watcher: Watcher,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .into_owned();
    watcher.watch(conn).await
}
