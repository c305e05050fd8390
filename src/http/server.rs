//! The HTTP/1.1 server around the router, with the limits that keep slow or idle clients from
//! holding the server: a time limit on reading each request's headers (which also closes
//! keep-alive connections left idle that long), a limit on how long a request body may send
//! nothing, a cap on open connections (those over it wait in the listen backlog), and a bounded
//! drain at shutdown: accepting stops, requests in flight get the grace period to finish, then
//! their connections are dropped (a write in progress rolls back as after a crash).

use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::ConnectInfo, Router};
use hyper::{body::Incoming, server::conn::http1, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    net::TcpListener,
    sync::{watch, Semaphore},
    task::JoinSet,
};
use tower::Service;
use tower_http::timeout::TimeoutBody;

/// The server's limits on clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A request's headers must arrive within this time (and an idle keep-alive connection is
    /// closed after it).
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long is cut off (a long upload that keeps
    /// sending is not).
    pub body_idle: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// At shutdown, how long requests in flight may take to finish.
    pub shutdown_grace: Duration,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        header_timeout: Duration::from_secs(30),
        body_idle: Duration::from_secs(30),
        max_connections: 1024,
        shutdown_grace: Duration::from_secs(30),
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then drains within the grace
/// period. Handlers see the client's address as `ConnectInfo<SocketAddr>`.
pub async fn run(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(());
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        // Take a slot before accepting: over the cap, clients wait in the backlog.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(TokioIo::new(stream), service(router.clone(), remote, limits));
        let mut stop = stop_rx.clone();
        connections.spawn(async move {
            let _permit = permit;
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = stop.changed() => {
                    // Finish the request in flight, answer it, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = outcome {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!(
        open = connections.len(),
        grace_seconds = limits.shutdown_grace.as_secs(),
        "shutting down: no new connections; finishing requests in flight"
    );
    let _ = stop_tx.send(());
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            cut = connections.len(),
            "the grace period ended: connections still open are closed and their writes rolled back"
        );
        connections.shutdown().await;
    }
}

/// The router as a hyper service for one connection: the client's address in the request's
/// extensions, the body wrapped in the idle limit.
fn service(
    router: Router,
    remote: SocketAddr,
    limits: Limits,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Future<Output = Result<axum::response::Response, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let mut request = request.map(|body| axum::body::Body::new(TimeoutBody::new(limits.body_idle, body)));
        request.extensions_mut().insert(ConnectInfo(remote));
        let mut router = router.clone();
        router.call(request)
    })
}

/// Accepting can fail for one connection (it went away) or for the process (out of file
/// descriptors): the latter is worth a pause, or the loop would spin.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
