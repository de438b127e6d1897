//! `dsguard serve`: the admission webhook over TLS, and its plain-HTTP side port.
//!
//! * TLS port: rustls (TLS 1.3 and 1.2), HTTP/2 chosen by ALPN and HTTP/1.1 on the same
//!   port, `POST /validate` and `POST /mutate` answered by [`crate::admission`].
//! * Side port: `/healthz`, `/readyz`, `/metrics`.
//! * The certificate is reloaded when its files change ([`tls`]).
//! * SIGTERM or SIGINT: `/readyz` fails at once; after `drain_delay` (time for the Service's
//!   endpoints to drop this pod) the listener closes, open connections are told to finish
//!   (HTTP/2 GOAWAY, HTTP/1.1 `Connection: close`), in-flight reviews complete, and the
//!   process exits 0 — or after `grace_period` at the latest.
//!
//! Bounds: connections (`max_connections`, beyond which new ones are closed at once),
//! reviews in flight (`max_in_flight`, beyond which they wait within their deadline),
//! HTTP/2 streams per connection, TLS handshake time, HTTP/1.1 header read time (which in
//! hyper also bounds how long a keep-alive connection may sit idle), request body size,
//! each review's deadline (`?timeout=` from the API server), and TCP keep-alive probes,
//! which drop peers that vanished. An idle HTTP/2 connection from a live peer stays open:
//! that is the API server's connection pool.

mod coalesce;
mod connection;
mod errors;
pub mod handlers;
pub mod logging;
pub mod metrics;
pub mod state;
pub mod tls;

pub use logging::{LogFormat, LogSink, init_logging};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::policy::Policy;
use connection::Builders;
use metrics::Metrics;
use state::{App, Health, Limits};
use tls::{Reloader, TlsPaths};

/// Everything `dsguard serve` is told.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// TLS port address.
    pub listen: SocketAddr,
    /// Side port address (`/healthz`, `/readyz`, `/metrics`).
    pub probe_listen: SocketAddr,
    /// Certificate, key and optional client CA.
    pub tls: TlsPaths,
    /// Body size and deadlines.
    pub limits: Limits,
    /// Open connections on the TLS port.
    pub max_connections: usize,
    /// Reviews answered at once.
    pub max_in_flight: usize,
    /// HTTP/2 streams per connection.
    pub max_streams: u32,
    /// TLS handshake deadline.
    pub handshake_timeout: Duration,
    /// HTTP/1.1: time to read a request's headers, and the longest a keep-alive
    /// connection may wait for its next request.
    pub header_read_timeout: Duration,
    /// TCP keep-alive: idle time before the first probe; a peer that answers none of three
    /// probes, sent this often, is disconnected. The kernel does this, so it costs the
    /// request path nothing (HTTP/2 PING keep-alive cost about 0.5 µs per review).
    pub keepalive_interval: Duration,
    /// Time between SIGTERM and closing the listener.
    pub drain_delay: Duration,
    /// Longest wait for in-flight requests after the listener closes.
    pub grace_period: Duration,
    /// Settle time after a certificate file event, and the fallback poll interval.
    pub reload_settle: Duration,
    /// Fallback poll of the certificate files.
    pub reload_poll: Duration,
}

impl ServeOptions {
    /// Defaults for everything but the addresses and files.
    pub fn new(listen: SocketAddr, probe_listen: SocketAddr, tls: TlsPaths) -> Self {
        Self {
            listen,
            probe_listen,
            tls,
            limits: Limits::default(),
            max_connections: 1024,
            max_in_flight: 256,
            max_streams: 128,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(30),
            drain_delay: Duration::ZERO,
            grace_period: Duration::from_secs(25),
            reload_settle: Duration::from_millis(100),
            reload_poll: Duration::from_secs(60),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Certificate, key or client CA.
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The file watcher could not start.
    #[error("cannot watch the certificate files: {0}")]
    Watch(#[from] notify::Error),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signal(std::io::Error),
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// Resolves on SIGTERM or SIGINT.
fn shutdown_signal() -> Result<impl Future<Output = &'static str>, ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(ServeError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(ServeError::Signal)?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

/// Runs the server until SIGTERM or SIGINT and the drain that follows.
pub async fn run(options: ServeOptions, policy: Policy) -> Result<(), ServeError> {
    let started = Instant::now();
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health::default());
    let reloader = Arc::new(Reloader::new(options.tls.clone(), metrics.clone())?);
    let _watcher = tls::watch(reloader.clone(), options.reload_settle, options.reload_poll)?;
    let signal = shutdown_signal()?;

    let listener = bind(options.listen).await?;
    let probe_listener = bind(options.probe_listen).await?;
    let tls_addr = listener.local_addr().unwrap_or(options.listen);
    let probe_addr = probe_listener.local_addr().unwrap_or(options.probe_listen);

    let app = Arc::new(App::new(
        policy,
        metrics.clone(),
        options.limits,
        options.max_in_flight,
        health.clone(),
    ));
    let webhook = TowerToHyperService::new(handlers::webhook_router(app.clone()));
    let probes = TowerToHyperService::new(handlers::probe_router(metrics.clone(), health.clone()));

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let probe_task = tokio::spawn(serve_probes(probe_listener, probes, stop_rx.clone()));

    health.set_ready();
    tracing::info!(
        tls_addr = %tls_addr,
        probe_addr = %probe_addr,
        mutual_tls = options.tls.client_ca.is_some(),
        startup_us = started.elapsed().as_micros() as u64,
        version = env!("CARGO_PKG_VERSION"),
        "serving"
    );

    let graceful = GracefulShutdown::new();
    let builders = Arc::new(Builders::new(&options));
    let connections = Arc::new(Semaphore::new(options.max_connections));
    tokio::pin!(signal);
    let which = loop {
        tokio::select! {
            which = &mut signal => break which,
            accepted = listener.accept() => {
                let (tcp, _peer) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    metrics.connection_rejected();
                    drop(tcp);
                    continue;
                };
                connection::tune_socket(&tcp, options.keepalive_interval);
                let acceptor = tokio_rustls::TlsAcceptor::from(reloader.config());
                let served = connection::serve_connection(
                    tcp,
                    acceptor,
                    builders.clone(),
                    webhook.clone(),
                    metrics.clone(),
                    graceful.watcher(),
                    options.handshake_timeout,
                );
                tokio::spawn(async move {
                    let _permit = permit;
                    served.await;
                });
            }
        }
    };

    health.set_draining();
    tracing::info!(
        signal = which,
        drain_delay_ms = options.drain_delay.as_millis() as u64,
        "draining: not ready"
    );
    tokio::time::sleep(options.drain_delay).await;
    drop(listener);
    let open = graceful.count();
    let drained = graceful.shutdown();
    tokio::select! {
        () = drained => tracing::info!(connections = open, "drained"),
        () = quiet(&metrics) => tracing::info!(
            connections = open,
            "no review in flight; closing the idle connections"
        ),
        () = tokio::time::sleep(options.grace_period) => tracing::warn!(
            grace_period_ms = options.grace_period.as_millis() as u64,
            "grace period over with reviews still in flight; exiting"
        ),
    }
    let _ = stop_tx.send(true);
    let _ = probe_task.await;
    Ok(())
}

/// How long no review must have been in flight before the drain stops waiting for
/// connections to close: time for the last responses to be written.
const QUIET: Duration = Duration::from_millis(500);

/// Resolves once no review has been in flight for [`QUIET`]. Connections that hold no
/// review (idle keep-alive connections, a client that opened one and never sent a request,
/// HTTP/1.1 headers that trickle in) would otherwise hold the exit for the whole grace
/// period after they were told to close.
async fn quiet(metrics: &Metrics) {
    let mut since: Option<Instant> = None;
    loop {
        if metrics.reviews_in_flight() == 0 {
            if since.get_or_insert_with(Instant::now).elapsed() >= QUIET {
                return;
            }
        } else {
            since = None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn serve_probes(
    listener: TcpListener,
    service: TowerToHyperService<axum::Router>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let conn = builder.serve_connection(TokioIo::new(tcp), service.clone());
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        }
    }
}
