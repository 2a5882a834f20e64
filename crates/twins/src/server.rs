//! Serves a twin's axum `Router` on 127.0.0.1 with its own accept loop, so a request can have its
//! connection dropped without any response (the `drop_after_write` fault) and shutdown is graceful.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// How long `shutdown` waits for open connections to finish their current request.
const GRACE: Duration = Duration::from_secs(5);

/// Errors starting a twin's server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The port could not be bound.
    #[error("cannot listen on `127.0.0.1:{port}`: {source}; pick another `--port` or use 0 for any free port")]
    Bind {
        /// The port asked for.
        port: u16,
        /// Why binding failed.
        source: std::io::Error,
    },
}

/// A handle on the connection that carries the current request, inserted into every request's
/// extensions by [`TwinServer`]. Calling [`ConnectionKill::kill`] closes the TCP connection at
/// once, without writing any (further) response.
#[derive(Clone, Debug, Default)]
pub struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Closes the connection this request arrived on. The in-flight response future is dropped, so
    /// the client sees the connection close (a connection error) instead of a response.
    pub fn kill(&self) {
        self.0.notify_one();
    }
}

/// A running twin server: the bound address, and a way to stop it.
///
/// Dropping the handle stops accepting and closes connections in the background; call
/// [`TwinServer::shutdown`] to wait for in-flight requests to finish.
#[derive(Debug)]
pub struct TwinServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
}

impl TwinServer {
    /// Binds `127.0.0.1:port` (`0` = any free port) and serves `router` on it.
    ///
    /// Every request gets a [`ConnectionKill`] extension for its connection.
    pub async fn serve(router: Router, port: u16) -> Result<TwinServer, ServeError> {
        TwinServer::serve_on(TwinServer::bind(port).await?, router)
    }

    /// Binds `127.0.0.1:port` (`0` = any free port) without serving yet, so a twin can learn its
    /// address (for the URLs in its bodies) before it builds its router.
    pub async fn bind(port: u16) -> Result<TcpListener, ServeError> {
        TcpListener::bind(("127.0.0.1", port)).await.map_err(|source| ServeError::Bind { port, source })
    }

    /// Serves `router` on a listener from [`TwinServer::bind`].
    pub fn serve_on(listener: TcpListener, router: Router) -> Result<TwinServer, ServeError> {
        let addr = listener.local_addr().map_err(|source| ServeError::Bind { port: 0, source })?;
        let (stop, stop_rx) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, router, stop_rx));
        Ok(TwinServer { addr, stop, accept: Some(accept) })
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish (at most a few seconds), then
    /// returns once every connection is closed.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
        // Every connection task holds a receiver; `closed` resolves when the last one is gone.
        let _ = tokio::time::timeout(GRACE * 2, self.stop.closed()).await;
    }
}

impl Drop for TwinServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, router.clone(), stop.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "twin could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, mut stop: watch::Receiver<bool>) {
    let kill = ConnectionKill::default();
    let notify = kill.0.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(kill.clone());
        router.clone().oneshot(request)
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut connection: Pin<Box<dyn GracefulConnection>> = Box::pin(connection);
    // Borrowed, so the receiver lives (and `shutdown` waits) until the connection is done.
    let stopping = async {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    let graceful = tokio::select! {
        _ = connection.as_mut() => false,
        // Dropping the connection closes the socket with nothing more written.
        _ = notify.notified() => false,
        _ = stopping => true,
    };
    if graceful {
        connection.as_mut().begin_graceful_shutdown();
        let _ = tokio::time::timeout(GRACE, connection.as_mut()).await;
    }
}

/// A hyper connection future that can be asked to finish gracefully.
trait GracefulConnection: Future<Output = Result<(), hyper::Error>> + Send {
    fn begin_graceful_shutdown(self: Pin<&mut Self>);
}

impl<I, S> GracefulConnection for hyper::server::conn::http1::Connection<I, S>
where
    Self: Future<Output = Result<(), hyper::Error>> + Send,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn begin_graceful_shutdown(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Extension;
    use axum::routing::get;

    #[tokio::test]
    async fn killed_connection_gets_no_response_and_shutdown_is_graceful() {
        let router = Router::new().route("/ok", get(|| async { "ok" })).route(
            "/drop",
            get(|Extension(kill): Extension<ConnectionKill>| async move {
                kill.kill();
                std::future::pending::<&str>().await
            }),
        );
        let server = TwinServer::serve(router, 0).await.unwrap();
        let base = server.base_url();
        assert!(base.starts_with("http://127.0.0.1:"));
        let client = reqwest::Client::new();
        let ok = client.get(format!("{base}/ok")).send().await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "ok");
        let dropped = client.get(format!("{base}/drop")).send().await;
        assert!(dropped.is_err(), "expected a connection error, got {dropped:?}");
        server.shutdown().await;
        assert!(client.get(format!("{base}/ok")).send().await.is_err());
    }
}
